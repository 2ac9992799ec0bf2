package compliancecmd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/api/httpjson"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/version"
)

// Bounds of what the center answers.
const (
	// maxAnswer bounds a JSON answer (a page of 1000 results with their
	// evidence fits).
	maxAnswer = 256 << 20
	// MaxReport bounds an HTML report (a fleet report of a large policy
	// over thousands of hosts stays far below).
	MaxReport = 64 << 20
)

// client calls the compliance routes of the center's REST API
// (/api/v1/compliance...). It talks to the server, with the token and
// CA, that the App's apiclient.Client is configured with, and answers
// errors as that client does: *apiclient.APIError for the center's
// refusals, *apiclient.NetError when the center cannot be reached.
type client struct {
	server  string
	token   string
	http    *http.Client
	timeout time.Duration
}

// newClient builds the client from the App's global flags and environment.
func newClient(a *clikit.App) (*client, error) {
	api, err := a.API() // checks and normalizes the server, reads the token
	if err != nil {
		return nil, err
	}
	caFile := a.CA
	if caFile == "" {
		caFile = a.Env.Getenv(clikit.EnvCA)
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		data, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate found", caFile)
		}
		conf.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = conf
	return &client{server: api.Server(), token: a.Token, http: &http.Client{Transport: tr}, timeout: apiclient.DefaultTimeout}, nil
}

// call is one request of the API.
type call struct {
	method string
	path   string // below /api/v1, segments escaped
	query  url.Values
	body   any    // encoded as JSON when not nil
	raw    []byte // sent as is, as text, when body is nil
}

// path joins escaped segments below /api/v1.
func path(segments ...string) string {
	p := "/api/v1"
	for _, s := range segments {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// do sends c and decodes a JSON answer into out (when not nil).
func (cl *client) do(ctx context.Context, c call, out any) error {
	return cl.roundTrip(ctx, c, "application/json", func(resp *http.Response) error {
		if out == nil || resp.StatusCode == http.StatusNoContent {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
			return nil
		}
		dec := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer))
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			return fmt.Errorf("decode answer of %s %s: %w", c.method, c.path, err)
		}
		return nil
	})
}

// roundTrip sends c within the timeout and hands a successful answer to
// handle; an error answer becomes an *apiclient.APIError.
func (cl *client) roundTrip(ctx context.Context, c call, accept string, handle func(*http.Response) error) error {
	rctx, cancel := context.WithTimeout(ctx, cl.timeout)
	defer cancel()
	var body io.Reader
	contentType := ""
	switch {
	case c.body != nil:
		data, err := json.Marshal(c.body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", c.method, c.path, err)
		}
		body, contentType = bytes.NewReader(data), "application/json"
	case c.raw != nil:
		body, contentType = bytes.NewReader(c.raw), "application/yaml"
	}
	target := cl.server + c.path
	if len(c.query) > 0 {
		target += "?" + c.query.Encode()
	}
	req, err := http.NewRequestWithContext(rctx, c.method, target, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", c.method, c.path, err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "vigil/"+version.Version)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if cl.token != "" {
		req.Header.Set("Authorization", "Bearer "+cl.token)
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s: %w", c.method, c.path, context.Cause(ctx))
		}
		return &apiclient.NetError{Server: cl.server, Timeout: cl.timeout, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return answerError(resp)
	}
	err = handle(resp)
	if err != nil && ctx.Err() == nil && rctx.Err() != nil {
		return &apiclient.NetError{Server: cl.server, Timeout: cl.timeout, Err: rctx.Err()}
	}
	return err
}

// answerError reads the error envelope {"error":{"code","message"}} of an
// error answer. A route the center does not have says so, since that
// means a center older than this vigil.
func answerError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &apiclient.APIError{Status: resp.StatusCode}
	var env httpjson.Envelope
	if json.Unmarshal(data, &env) == nil && env.Error.Message != "" {
		e.Code, e.Message = env.Error.Code, env.Error.Message
	} else {
		e.Code, e.Message = httpjson.Code(resp.StatusCode), http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusNotFound && strings.HasPrefix(e.Message, "no route ") {
		e.Message += ": this center does not offer it yet (upgrade vigil-center)"
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		var secs int
		if _, err := fmt.Sscanf(s, "%d", &secs); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
	}
	return e
}

// page is one page of a listing, its items kept as the center sent them.
type page struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

// list fetches up to max items of a listing (0: all), page by page; q
// holds its filters.
func (cl *client) list(ctx context.Context, p string, q url.Values, max int) ([]json.RawMessage, error) {
	size := store.MaxLimit
	if max > 0 && max < size {
		size = max
	}
	return apiclient.Collect(apiclient.All(ctx, func(ctx context.Context, cursor string) (apiclient.Page[json.RawMessage], error) {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		pq.Set("limit", fmt.Sprint(size))
		if cursor != "" {
			pq.Set("cursor", cursor)
		}
		var pg page
		err := cl.do(ctx, call{method: http.MethodGet, path: p, query: pq}, &pg)
		return apiclient.Page[json.RawMessage]{Items: pg.Items, NextCursor: pg.NextCursor}, err
	}), max)
}

// listAll fetches a listing that the center answers in one page.
func (cl *client) listAll(ctx context.Context, p string, q url.Values) ([]json.RawMessage, error) {
	var pg page
	if err := cl.do(ctx, call{method: http.MethodGet, path: p, query: q}, &pg); err != nil {
		return nil, err
	}
	if pg.Items == nil {
		pg.Items = []json.RawMessage{}
	}
	return pg.Items, nil
}

// report fetches an HTML report: its body (at most MaxReport bytes) and
// the file name the center suggests.
func (cl *client) report(ctx context.Context, q url.Values) ([]byte, string, error) {
	var (
		doc  []byte
		name string
	)
	p := path("compliance", "report")
	err := cl.roundTrip(ctx, call{method: http.MethodGet, path: p, query: q}, "text/html", func(resp *http.Response) error {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			return fmt.Errorf("GET %s answered %q, not an HTML report", p, ct)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, MaxReport+1))
		if err != nil {
			return fmt.Errorf("read the report: %w", err)
		}
		if len(data) > MaxReport {
			return fmt.Errorf("the report is larger than %d bytes", MaxReport)
		}
		doc, name = data, attachmentName(resp.Header.Get("Content-Disposition"))
		return nil
	})
	return doc, name, err
}
