package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"slices"
	"strconv"

	"github.com/vigilsec/vigil/internal/store"
)

// Page is one page of a listing. An empty NextCursor means the end.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Fetch gets the page of a listing that starts at cursor ("" for the first).
type Fetch[T any] func(ctx context.Context, cursor string) (Page[T], error)

// All iterates over every item of a listing, fetching the next page when
// the previous one is used up. Iteration stops at the first error, which
// is yielded with a zero item. A cursor the center returns twice in a row
// is reported as an error rather than followed for ever.
func All[T any](ctx context.Context, fetch Fetch[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		cursor := ""
		for {
			page, err := fetch(ctx, cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if page.NextCursor == "" || len(page.Items) == 0 {
				return
			}
			if page.NextCursor == cursor {
				var zero T
				yield(zero, fmt.Errorf("listing returned cursor %q twice", cursor))
				return
			}
			cursor = page.NextCursor
		}
	}
}

// Collect gathers the items of seq, at most max of them (0: all).
func Collect[T any](seq iter.Seq2[T, error], max int) ([]T, error) {
	var out []T
	if max == 0 {
		out = []T{}
	}
	for item, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, item)
		if max > 0 && len(out) >= max {
			break
		}
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// pageQuery adds limit and cursor to q (a new one when nil).
func pageQuery(q url.Values, p store.Page) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	return q
}

// setIf sets name when v is not empty.
func setIf(q url.Values, name, v string) {
	if v != "" {
		q.Set(name, v)
	}
}

// addLabels adds a label=k=v parameter per label, by key, for a filter
// that wants every label.
func addLabels(q url.Values, labels map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		q.Add("label", k+"="+labels[k])
	}
}

// Raw is a value of an answer decoded as a T together with the JSON the
// center sent for it, for callers that read the value and also pass the
// answer on as it came (vigil's -o json prints it so). It encodes as
// that JSON.
type Raw[T any] struct {
	Value T
	JSON  json.RawMessage
}

// UnmarshalJSON keeps data and decodes it into Value.
func (r *Raw[T]) UnmarshalJSON(data []byte) error {
	r.JSON = append(json.RawMessage(nil), data...)
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	r.Value = v
	return nil
}

// MarshalJSON returns the JSON the center sent, or Value encoded when
// there is none.
func (r Raw[T]) MarshalJSON() ([]byte, error) {
	if len(r.JSON) > 0 {
		return r.JSON, nil
	}
	return json.Marshal(r.Value)
}
