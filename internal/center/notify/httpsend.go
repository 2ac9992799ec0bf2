package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/vigilsec/vigil/internal/version"
)

// maxReplyBytes bounds the part of an answer that is read.
const maxReplyBytes = 64 << 10

// httpTarget posts JSON bodies to one configured URL.
type httpTarget struct {
	url    string
	shown  string // the URL without credentials, for errors
	client *http.Client
}

// newHTTPTarget returns a target for rawURL, a checked http(s) URL. It
// follows no redirects (a signed body must not travel elsewhere) and
// takes proxies from the environment.
func newHTTPTarget(rawURL string, t *TLSConfig) (*httpTarget, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("url is not a valid URL")
	}
	tlsCfg, err := clientTLS(t, u.Hostname())
	if err != nil {
		return nil, err
	}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &httpTarget{
		url:   rawURL,
		shown: redactURL(rawURL),
		client: &http.Client{
			Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}, nil
}

// post sends body to u (the target's URL, or a signed form of it) and
// returns the answer of a 2xx status. Transport failures and statuses
// 408, 425, 429 and 5xx are retryable errors; other statuses are
// permanent. Errors show the URL without credentials.
func (h *httpTarget) post(ctx context.Context, u string, body []byte, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, permanent(fmt.Errorf("POST %s: cannot build the request", h.shown))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "vigil-center/"+version.Version)
	resp, err := h.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		return nil, fmt.Errorf("POST %s: %w", h.shown, err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	if err != nil {
		return nil, fmt.Errorf("POST %s: reading the answer: %w", h.shown, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return reply, nil
	}
	err = fmt.Errorf("POST %s: HTTP %s%s", h.shown, resp.Status, replySnippet(reply))
	switch {
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooEarly,
		resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return nil, err
	default:
		return nil, permanent(err)
	}
}

// replySnippet is the start of an answer, on one line, for errors.
func replySnippet(b []byte) string {
	s := oneLine(truncateBytes(string(bytes.ToValidUTF8(b, []byte("?"))), 200))
	if s == "" {
		return ""
	}
	return ": " + s
}

func (h *httpTarget) close() { h.client.CloseIdleConnections() }
