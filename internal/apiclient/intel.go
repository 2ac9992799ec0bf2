package apiclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/store"
)

// The threat-intelligence routes (/api/v1/intel...) answer indicators,
// sources, checks and import results as Raw values: decoded, and as the
// center sent them.

// Bounds of what the threat-intelligence routes take.
const (
	// MaxIntelUpload bounds an indicator file, as the center does.
	MaxIntelUpload = 64 << 20
	// MaxIndicatorsAdded bounds the indicators of one AddIndicators, as
	// the center does; a longer list is a file to import.
	MaxIndicatorsAdded = 10_000
)

// IndicatorInput is one indicator to add: Value is required, the other
// fields are optional. The center detects the type when Type is empty,
// and takes its defaults for an empty Severity and a nil Confidence.
type IndicatorInput struct {
	Type        store.IndicatorType `json:"type,omitempty"`
	Value       string              `json:"value"`
	Description string              `json:"description,omitempty"`
	Severity    string              `json:"severity,omitempty"`
	Confidence  *int                `json:"confidence,omitempty"`
	Tags        []string            `json:"tags,omitempty"`
	Techniques  []string            `json:"techniques,omitempty"`
	Reference   string              `json:"reference,omitempty"`
	// ExpiresAt is when the indicator stops matching; zero: never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// IntelImport says how the center reads an indicator file. Source is
// required; the other fields apply to the entries that do not set them.
type IntelImport struct {
	// Source names the feed or list the file is: importing it again
	// updates its indicators.
	Source string
	// Format is text, csv, stix, misp or json; "" lets the center detect
	// it from the content.
	Format intel.Format
	// Severity (low, medium, high, critical) and Confidence (0 to 100,
	// nil for the center's default) of the entries without one.
	Severity   string
	Confidence *int
	// Tags are added to every entry.
	Tags []string
	// ExpiresIn is how long after the import the entries without an
	// expiry stop matching; zero: never.
	ExpiresIn time.Duration
	// Replace removes the source's indicators that the file no longer
	// lists (a feed snapshot).
	Replace bool
}

// query is the import's query string, or an error for options the
// center could not be sent.
func (o IntelImport) query() (url.Values, error) {
	q := url.Values{}
	if err := need("source", o.Source); err != nil {
		return nil, err
	}
	q.Set("source", o.Source)
	setIf(q, "format", string(o.Format))
	setIf(q, "severity", o.Severity)
	if o.Confidence != nil {
		if *o.Confidence < 0 || *o.Confidence > 100 {
			return nil, fmt.Errorf("confidence %d: want 0 to 100", *o.Confidence)
		}
		q.Set("confidence", strconv.Itoa(*o.Confidence))
	}
	for _, t := range o.Tags {
		if strings.Contains(t, ",") || strings.TrimSpace(t) == "" {
			return nil, fmt.Errorf("tag %q: a tag of an import is not empty and holds no comma", t)
		}
	}
	setIf(q, "tags", strings.Join(o.Tags, ","))
	switch {
	case o.ExpiresIn < 0:
		return nil, fmt.Errorf("expires in %s: want a positive duration", o.ExpiresIn)
	case o.ExpiresIn > 0:
		q.Set("expires_in", o.ExpiresIn.String())
	}
	if o.Replace {
		q.Set("replace", "true")
	}
	return q, nil
}

// IndicatorCheck is what the center knows of a value: its type, its
// normalized form, and the indicators it matches (an address is matched
// by the networks that hold it, a domain by its parent domains too).
type IndicatorCheck struct {
	Value      string              `json:"value"`
	Type       store.IndicatorType `json:"type"`
	Normalized string              `json:"normalized"`
	Matches    []store.Indicator   `json:"matches"`
}

// Indicators lists the indicators matching f, by type, then value, then
// source. Expired ones are left out unless f.Expired.
func (c *Client) Indicators(ctx context.Context, f store.IndicatorFilter) (Page[Raw[store.Indicator]], error) {
	q := url.Values{}
	setIf(q, "type", string(f.Type))
	setIf(q, "source", f.Source)
	setIf(q, "q", f.Q)
	if f.Expired {
		q.Set("expired", "true")
	}
	var page Page[Raw[store.Indicator]]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("intel"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// Indicator returns one indicator.
func (c *Client) Indicator(ctx context.Context, id string) (Raw[store.Indicator], error) {
	var in Raw[store.Indicator]
	if err := need("indicator id", id); err != nil {
		return in, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("intel", id)}, &in)
	return in, err
}

// IntelSources lists the sources of indicators, by name, with their
// counts (expired indicators included).
func (c *Client) IntelSources(ctx context.Context) ([]Raw[store.IntelSource], error) {
	return wholeList[store.IntelSource](ctx, c, request{method: http.MethodGet, path: pathOf("intel", "sources")})
}

// CheckIndicator looks value up in the indicators. A value that is no
// address, network, domain, URL or file hash answers 400; a center with
// threat intelligence off 503.
func (c *Client) CheckIndicator(ctx context.Context, value string) (Raw[IndicatorCheck], error) {
	var res Raw[IndicatorCheck]
	if err := need("value", value); err != nil {
		return res, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("intel", "check"), query: url.Values{"value": {value}}}, &res)
	return res, err
}

// AddIndicators adds or updates indicators of source ("manual" when
// empty); they match at once. The entries that are not valid are listed
// in the result's problems (by index) and the others kept; when none is
// valid the center answers 400.
func (c *Client) AddIndicators(ctx context.Context, source string, ins []IndicatorInput) (Raw[intel.ImportResult], error) {
	var res Raw[intel.ImportResult]
	switch n := len(ins); {
	case n == 0:
		return res, fmt.Errorf("add indicators: none given")
	case n > MaxIndicatorsAdded:
		return res, fmt.Errorf("add indicators: %d, the center takes at most %d at once; import a file for more", n, MaxIndicatorsAdded)
	}
	body := struct {
		Source     string           `json:"source,omitempty"`
		Indicators []IndicatorInput `json:"indicators"`
	}{source, ins}
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("intel"), body: body}, &res)
	return res, err
}

// ImportIndicators sends an indicator file and returns what the center
// read, added, updated, removed and skipped, with the problems of the
// entries it could not take (by line or object id). body is streamed,
// never held in memory; size is its length (-1 when unknown). The upload
// fails when nothing moves for the client's timeout. A file the center
// cannot read at all answers 400; one larger than MaxIntelUpload 413 (a
// size known to be larger is refused before anything is sent).
func (c *Client) ImportIndicators(ctx context.Context, opts IntelImport, body io.Reader, size int64) (Raw[intel.ImportResult], error) {
	var res Raw[intel.ImportResult]
	q, err := opts.query()
	if err != nil {
		return res, fmt.Errorf("import indicators: %w", err)
	}
	if size > MaxIntelUpload {
		return res, fmt.Errorf("import indicators: %d bytes, the center takes files of at most %d", size, MaxIntelUpload)
	}
	r := request{method: http.MethodPost, path: pathOf("intel", "import"), query: q}
	err = c.send(ctx, r, upload{contentType: "application/octet-stream", body: body, size: size, expectContinue: true},
		func(resp *http.Response) error {
			if resp.StatusCode >= 400 {
				return decodeError(resp)
			}
			return decodeAnswer(resp.Body, &res, r)
		})
	return res, err
}

// DeleteIndicator removes one indicator; it stops matching at once.
func (c *Client) DeleteIndicator(ctx context.Context, id string) error {
	if err := need("indicator id", id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("intel", id)}, nil)
}

// DeleteIntelSource removes every indicator of a source and returns how
// many. A source without indicators answers 404.
func (c *Client) DeleteIntelSource(ctx context.Context, name string) (int, error) {
	if err := need("source name", name); err != nil {
		return 0, err
	}
	var res struct {
		Removed int `json:"removed"`
	}
	err := c.do(ctx, request{method: http.MethodDelete, path: pathOf("intel", "sources", name)}, &res)
	return res.Removed, err
}
