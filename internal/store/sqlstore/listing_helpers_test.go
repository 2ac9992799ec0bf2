package sqlstore_test

import (
	"errors"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

// listingAccepted fails t unless err, of the listing what, is nil or
// says that the listing rejected its input (ErrBadCursor, ErrInvalid);
// it reports whether err is nil.
func listingAccepted(t *testing.T, what string, err error) bool {
	t.Helper()
	if err != nil && !errors.Is(err, store.ErrBadCursor) && !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("%s: %v", what, err)
	}
	return err == nil
}

// checkListed fails t unless each item of a listed page matches the
// filter it was listed by and stands after the item before it in the
// listing order compare gives; noun names an item.
func checkListed[T any](t *testing.T, noun string, page []T, filter any, matches func(T) bool, compare func(a, b T) int) {
	t.Helper()
	for i, x := range page {
		if !matches(x) {
			t.Fatalf("%s %+v does not match %+v", noun, x, filter)
		}
		if i > 0 && compare(page[i-1], x) >= 0 {
			t.Fatalf("%ss out of order: %+v then %+v", noun, page[i-1], x)
		}
	}
}

// checkPagedOn fails t unless the page listed after a cursor, more,
// starts after last, the item the cursor was handed out with.
func checkPagedOn[T any](t *testing.T, last T, more []T, compare func(a, b T) int) {
	t.Helper()
	if len(more) > 0 && compare(last, more[0]) >= 0 {
		t.Fatalf("next page starts at %+v, after %+v", more[0], last)
	}
}
