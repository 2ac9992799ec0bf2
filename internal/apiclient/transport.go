package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/center/api/httpjson"
)

// maxAnswer bounds a successful answer (a page of 1000 large events fits).
const maxAnswer = 512 << 20

// request is one call of the API.
type request struct {
	method string
	path   string // below the server URL, e.g. /api/v1/agents
	query  url.Values
	body   any           // encoded as JSON when not nil
	wait   time.Duration // added to the client's timeout (commands)
	// accept is the Accept header: application/json when empty.
	accept string
}

// do sends a request and decodes a successful answer into out (when not nil).
func (c *Client) do(ctx context.Context, r request, out any) error {
	return c.roundTrip(ctx, r, func(resp *http.Response) error {
		if resp.StatusCode >= 400 {
			return decodeError(resp)
		}
		if out == nil || resp.StatusCode == http.StatusNoContent {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
			return nil
		}
		return decodeAnswer(resp.Body, out, r)
	})
}

// roundTrip sends r within the client's timeout and hands the answer to
// handle. Transport failures become *NetError; a cancelled ctx is returned
// as such so that callers can tell an interrupt from an outage.
func (c *Client) roundTrip(ctx context.Context, r request, handle func(*http.Response) error) error {
	timeout := c.timeout + r.wait
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		data, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", r.method, r.path, err)
		}
		body = bytes.NewReader(data)
	}
	target := c.server + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(rctx, r.method, target, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s: %w", r.method, r.path, context.Cause(ctx))
		}
		return &NetError{Server: c.server, Timeout: timeout, Err: err}
	}
	defer resp.Body.Close()
	err = handle(resp)
	if err != nil && ctx.Err() == nil && rctx.Err() != nil {
		return &NetError{Server: c.server, Timeout: timeout, Err: rctx.Err()}
	}
	return err
}

// decodeAnswer decodes one JSON value. Numbers inside untyped values
// (events, evidence) stay json.Number so that large integers survive.
func decodeAnswer(body io.Reader, out any, r request) error {
	dec := json.NewDecoder(io.LimitReader(body, maxAnswer))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", r.method, r.path, err)
	}
	return nil
}

// readBounded reads an answer that is not JSON (a file, a document) of at
// most max bytes; what names it in errors.
func readBounded(body io.Reader, max int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", what, max)
	}
	return data, nil
}

// noRouteHint follows the message of a 404 for a route the center does
// not serve: a center older than this client.
const noRouteHint = ": this center does not offer it yet (upgrade vigil-center)"

// maxErrorAnswer bounds an error answer: the center's refusal of a body
// (of at most 1 MiB) names each invalid field of it.
const maxErrorAnswer = 1 << 20

// decodeError reads the error envelope {"error":{"code","message"}} with
// the invalid fields the answer may list beside it; an answer without one
// (a proxy's page, say) keeps the status and a short text.
func decodeError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorAnswer))
	return errorOf(resp, data)
}

// errorOf builds the *APIError of an answer whose body is data.
func errorOf(resp *http.Response, data []byte) error {
	e := &APIError{Status: resp.StatusCode}
	var env httpjson.Envelope
	if json.Unmarshal(data, &env) == nil && env.Error.Message != "" {
		e.Code, e.Message = env.Error.Code, env.Error.Message
		if e.Code == "" {
			e.Code = httpjson.Code(resp.StatusCode)
		}
		if e.Status == http.StatusNotFound && strings.HasPrefix(e.Message, "no route ") {
			e.Message += noRouteHint
		}
		// A "fields" of another shape is not a list of invalid fields:
		// the error stays without them.
		var fields struct {
			Fields []FieldProblem `json:"fields"`
		}
		if json.Unmarshal(data, &fields) == nil && len(fields.Fields) > 0 {
			e.Fields = fields.Fields
		}
	} else {
		e.Code = httpjson.Code(resp.StatusCode)
		e.Message = http.StatusText(resp.StatusCode)
		if e.Message == "" {
			e.Message = fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
		if text := bytes.TrimSpace(data); len(text) > 0 && len(text) <= 200 && printableASCII(text) {
			e.Message += ": " + string(text)
		}
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		var secs int
		if _, err := fmt.Sscanf(s, "%d", &secs); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
	}
	return e
}

func printableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// pathOf joins escaped segments below /api/v1.
func pathOf(segments ...string) string {
	p := "/api/v1"
	for _, s := range segments {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// need returns an error when an identifying argument is empty, so that an
// empty id never turns a call on one item into a call on the collection.
func need(what, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty", what)
	}
	return nil
}
