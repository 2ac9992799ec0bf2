package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/store"
)

// VulnDBStatus is the state of the center's vulnerability database.
type VulnDBStatus struct {
	// Advisories counts the advisories per source.
	Advisories map[string]int `json:"advisories"`
	// KnownExploited counts the entries of the known exploited catalogue.
	KnownExploited int `json:"known_exploited"`
	// Sources are the feeds configured for sync, imported, or both.
	Sources []VulnSourceStatus `json:"sources"`
	// Service is the matching service's state: its index and the last
	// match of the fleet.
	Service vuln.State `json:"service"`
	// Jobs are the running and recent imports and syncs, newest first.
	Jobs []vuln.Job `json:"jobs"`
}

// VulnSourceStatus is one feed of the database.
type VulnSourceStatus struct {
	store.VulnSource
	// Configured: the feed is in the center's sources file (synced);
	// else it was only imported.
	Configured bool `json:"configured"`
	Disabled   bool `json:"disabled,omitempty"`
}

// Running returns the job that is running, if one is.
func (s VulnDBStatus) Running() (vuln.Job, bool) {
	for _, j := range s.Jobs {
		if j.State == vuln.JobRunning {
			return j, true
		}
	}
	return vuln.Job{}, false
}

// VulnDB returns the state of the vulnerability database.
func (c *Client) VulnDB(ctx context.Context) (VulnDBStatus, error) {
	var s VulnDBStatus
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("vulndb")}, &s)
	return s, err
}

// ImportVulnDB sends a file to the vulnerability database, recorded as
// the feed source, and returns the job that imports it (poll it with
// VulnDBJob). body is streamed, never held in memory; size is its length
// (-1 when unknown). The upload has no overall deadline, since a feed can
// be gigabytes, but fails when nothing moves for the client's timeout.
// Another running import or sync answers 409 (see IsStatus).
func (c *Client) ImportVulnDB(ctx context.Context, source string, body io.Reader, size int64) (vuln.Job, error) {
	var j vuln.Job
	if err := need("source", source); err != nil {
		return j, err
	}
	r := request{method: http.MethodPost, path: pathOf("vulndb", "import"), query: url.Values{"source": {source}}}
	err := c.send(ctx, r, upload{contentType: "application/octet-stream", body: body, size: size, expectContinue: true},
		func(resp *http.Response) error {
			if resp.StatusCode >= 400 {
				return decodeError(resp)
			}
			return decodeAnswer(resp.Body, &j, r)
		})
	return j, err
}

// SyncVulnDB starts a sync of the configured sources (only the one
// named, when source is set) and returns its job. Another running import
// or sync answers 409; a source that is not configured 404.
func (c *Client) SyncVulnDB(ctx context.Context, source string) (vuln.Job, error) {
	q := url.Values{}
	setIf(q, "source", source)
	var j vuln.Job
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("vulndb", "sync"), query: q}, &j)
	return j, err
}

// VulnDBJob returns an import or sync job with its progress.
func (c *Client) VulnDBJob(ctx context.Context, id string) (vuln.Job, error) {
	var j vuln.Job
	if err := need("job id", id); err != nil {
		return j, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("vulndb", "jobs", id)}, &j)
	return j, err
}

// Advisories lists the advisories of the database matching f, by id,
// without their records.
func (c *Client) Advisories(ctx context.Context, f store.AdvisoryFilter) (Page[store.Advisory], error) {
	q := url.Values{}
	setIf(q, "id", f.ID)
	setIf(q, "ecosystem", f.Ecosystem)
	setIf(q, "source", f.Source)
	setIf(q, "severity", f.Severity)
	setIf(q, "q", f.Q)
	var page Page[store.Advisory]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("vulndb", "advisories"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// Advisory returns one advisory with its OSV record.
func (c *Client) Advisory(ctx context.Context, id string) (store.Advisory, error) {
	var a store.Advisory
	if err := need("advisory id", id); err != nil {
		return a, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("vulndb", "advisories", id)}, &a)
	return a, err
}

// upload is a request body sent as is.
type upload struct {
	contentType string
	body        io.Reader
	size        int64 // -1 when unknown
	// expectContinue asks the center to refuse (bad token, no right, a
	// bad parameter) before the body is sent.
	expectContinue bool
}

// errStalled ends an upload during which nothing moved for the timeout.
var errStalled = fmt.Errorf("%w: nothing sent or received", context.DeadlineExceeded)

// send is roundTrip for a body that is not JSON and may be large: instead
// of one deadline for the whole request, it fails when the body stops
// moving or the answer does not come for the client's timeout. An error
// reading the body is returned as such, not as the center's fault.
func (c *Client) send(ctx context.Context, r request, up upload, handle func(*http.Response) error) error {
	timeout := c.timeout + r.wait
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(timeout, func() { cancel(errStalled) })
	defer idle.Stop()
	body := &watchedReader{r: up.body, touch: func() { idle.Reset(timeout) }}
	target := c.server + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(rctx, r.method, target, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	req.ContentLength = up.size
	if up.size == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Content-Type", up.contentType)
	if up.expectContinue && up.size != 0 {
		req.Header.Set("Expect", "100-continue")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if rerr := body.failure(); rerr != nil {
			return rerr
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s: %w", r.method, r.path, context.Cause(ctx))
		}
		if errors.Is(context.Cause(rctx), errStalled) {
			err = errStalled
		}
		return &NetError{Server: c.server, Timeout: timeout, Err: err}
	}
	defer resp.Body.Close()
	err = handle(resp)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(rctx), errStalled) {
		return &NetError{Server: c.server, Timeout: timeout, Err: errStalled}
	}
	return err
}

// watchedReader calls touch whenever the body moves, and keeps the first
// error of the reader it wraps (not io.EOF).
type watchedReader struct {
	r     io.Reader
	touch func()
	mu    sync.Mutex
	err   error
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.touch()
	if err != nil && err != io.EOF {
		w.mu.Lock()
		if w.err == nil {
			w.err = err
		}
		w.mu.Unlock()
	}
	return n, err
}

// failure is the reader's error, nil when it only ended.
func (w *watchedReader) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
