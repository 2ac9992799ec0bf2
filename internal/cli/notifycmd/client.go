package notifycmd

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
	"github.com/vigilsec/vigil/internal/center/notify"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/version"
)

// Bounds of the calls.
const (
	// maxAnswer bounds an answer: 100 channels with their configurations.
	maxAnswer = 16 << 20
	// testTimeout bounds a test: the center gives the channel 30 s.
	testTimeout = 45 * time.Second
)

// client calls the notification routes of the center's REST API
// (/api/v1/notify/...) with the server, token and CA the App's
// apiclient.Client is configured with. Errors are those of that client:
// *apiclient.APIError for the center's refusals (*refusal for an invalid
// channel), *apiclient.NetError when the center cannot be reached.
type client struct {
	server string
	token  string
	http   *http.Client
}

// refusal is the center's answer to an invalid channel: the error and
// each invalid field.
type refusal struct {
	*apiclient.APIError
	Fields []notify.FieldProblem
}

// Unwrap gives the APIError, which clikit reports.
func (r *refusal) Unwrap() error { return r.APIError }

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
	return &client{server: api.Server(), token: a.Token, http: &http.Client{Transport: tr}}, nil
}

// channelPath is the path of one channel, or of the collection.
func channelPath(name string, more ...string) string {
	p := "/api/v1/notify/channels"
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	for _, m := range more {
		p += "/" + m
	}
	return p
}

// do sends method path with body (JSON, when not nil) within timeout and
// decodes a JSON answer into out (when not nil); it returns the status.
func (cl *client) do(ctx context.Context, method, path string, body []byte, timeout time.Duration, out any) (int, error) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, cl.server+path, rd)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "vigil/"+version.Version)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.token != "" {
		req.Header.Set("Authorization", "Bearer "+cl.token)
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, context.Cause(ctx))
		}
		return 0, &apiclient.NetError{Server: cl.server, Timeout: timeout, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case err != nil && ctx.Err() == nil && rctx.Err() != nil:
		return 0, &apiclient.NetError{Server: cl.server, Timeout: timeout, Err: rctx.Err()}
	case err != nil:
		return 0, fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	case len(data) > maxAnswer:
		return 0, fmt.Errorf("the answer of %s %s is larger than %d bytes", method, path, maxAnswer)
	case resp.StatusCode >= 400:
		return resp.StatusCode, answerError(resp, data)
	case out != nil && resp.StatusCode != http.StatusNoContent:
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode the answer of %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// answerError reads the error envelope of an error answer, with the
// invalid fields of a refused channel.
func answerError(resp *http.Response, data []byte) error {
	e := &apiclient.APIError{Status: resp.StatusCode}
	var env struct {
		httpjson.Envelope
		Fields []notify.FieldProblem `json:"fields"`
	}
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
	if len(env.Fields) > 0 {
		return &refusal{APIError: e, Fields: env.Fields}
	}
	return e
}

// channels lists every channel.
func (cl *client) channels(ctx context.Context) ([]notify.ChannelView, error) {
	var page struct {
		Items []notify.ChannelView `json:"items"`
	}
	if _, err := cl.do(ctx, http.MethodGet, channelPath(""), nil, apiclient.DefaultTimeout, &page); err != nil {
		return nil, err
	}
	if page.Items == nil {
		page.Items = []notify.ChannelView{}
	}
	return page.Items, nil
}

// channel reads one channel.
func (cl *client) channel(ctx context.Context, name string) (notify.ChannelView, error) {
	var v notify.ChannelView
	_, err := cl.do(ctx, http.MethodGet, channelPath(name), nil, apiclient.DefaultTimeout, &v)
	return v, err
}

// put creates or replaces a channel from the JSON of its configuration
// and reports whether it was created.
func (cl *client) put(ctx context.Context, name string, body []byte) (notify.ChannelView, bool, error) {
	var v notify.ChannelView
	status, err := cl.do(ctx, http.MethodPut, channelPath(name), body, apiclient.DefaultTimeout, &v)
	return v, status == http.StatusCreated, err
}

// remove deletes a channel.
func (cl *client) remove(ctx context.Context, name string) error {
	_, err := cl.do(ctx, http.MethodDelete, channelPath(name), nil, apiclient.DefaultTimeout, nil)
	return err
}

// test sends a test message through a channel.
func (cl *client) test(ctx context.Context, name string) (notify.TestResult, error) {
	var res notify.TestResult
	_, err := cl.do(ctx, http.MethodPost, channelPath(name, "test"), nil, testTimeout, &res)
	return res, err
}
