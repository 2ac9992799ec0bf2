package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Errors of the client. API errors wrap one of them where one applies.
var (
	// ErrConfig: the configuration cannot make a client.
	ErrConfig = errors.New("invalid Kubernetes source configuration")
	// ErrUnauthorized: the API server refused the credentials (401).
	ErrUnauthorized = errors.New("Kubernetes API: credentials refused")
	// ErrForbidden: the credentials may not list a resource (403).
	ErrForbidden = errors.New("Kubernetes API: listing forbidden")
	// ErrExpired: a continue token expired (410) and the listing had to
	// start again more often than allowed.
	ErrExpired = errors.New("Kubernetes API: listing expired")
	// ErrMalformed: an answer is not what the Kubernetes API writes.
	ErrMalformed = errors.New("malformed Kubernetes API answer")
	// ErrTooLarge: an answer or a listing exceeds its bound.
	ErrTooLarge = errors.New("Kubernetes API answer larger than the limit")
)

// APIError is an error status of the API server, with its Status
// object's reason and message.
type APIError struct {
	Code     int
	Reason   string
	Message  string
	Resource string
	err      error
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Code)
	}
	return fmt.Sprintf("list %s: API server answered %d %s: %s", e.Resource, e.Code, e.Reason, msg)
}

// Unwrap returns ErrUnauthorized, ErrForbidden or nil.
func (e *APIError) Unwrap() error { return e.err }

// Config says how to reach a cluster's API server.
type Config struct {
	// Server is the API server's URL ("https://10.0.0.1:6443").
	Server string
	// Token is a bearer token (a service account's).
	Token string
	// CAData is the PEM of the CA that signed the API server's
	// certificate; empty means the system's roots.
	CAData []byte
	// ClientCertData and ClientKeyData are a PEM client certificate and
	// key, for a kubeconfig user that has them instead of a token.
	ClientCertData, ClientKeyData []byte
	// TLSServerName overrides the name the server's certificate is
	// checked against.
	TLSServerName string
	// ClusterName is set as orchestrator.cluster.name on every item.
	ClusterName string
	// PageSize is the limit of each list request; 0 means 500.
	PageSize int
	// Timeout bounds each request; 0 means 30 s.
	Timeout time.Duration
	// Logger receives the listings' progress; nil discards it.
	Logger *slog.Logger
	// Transport replaces the HTTP transport (tests); the TLS fields are
	// then ignored.
	Transport http.RoundTripper
}

// Bounds on what is read.
const (
	defaultPage = 500
	// maxPage bounds one page's body.
	maxPage = 64 << 20
	// maxItems bounds the objects of one resource.
	maxItems = 200000
	// maxRelists bounds how often a listing starts again after its
	// continue token expired.
	maxRelists = 2
)

// Client lists a cluster's objects.
type Client struct {
	cfg    Config
	server *url.URL
	hc     *http.Client
	log    *slog.Logger

	pages, relists, malformed atomic.Uint64
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.Server)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%w: server %q is not an http(s) URL", ErrConfig, cfg.Server)
	}
	if u.Scheme == "http" && cfg.Transport == nil {
		return nil, fmt.Errorf("%w: server %q: plain http would send the token in clear", ErrConfig, cfg.Server)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if cfg.PageSize <= 0 {
		cfg.PageSize = defaultPage
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	rt := cfg.Transport
	if rt == nil {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TLSServerName}
		if len(cfg.CAData) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(cfg.CAData) {
				return nil, fmt.Errorf("%w: no certificate in the CA data", ErrConfig)
			}
			tc.RootCAs = pool
		}
		if len(cfg.ClientCertData) > 0 || len(cfg.ClientKeyData) > 0 {
			pair, err := tls.X509KeyPair(cfg.ClientCertData, cfg.ClientKeyData)
			if err != nil {
				return nil, fmt.Errorf("%w: client certificate: %w", ErrConfig, err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		rt = &http.Transport{
			TLSClientConfig:       tc,
			Proxy:                 http.ProxyFromEnvironment,
			ResponseHeaderTimeout: cfg.Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
		}
	}
	if cfg.Token == "" && len(cfg.ClientCertData) == 0 && cfg.Transport == nil {
		return nil, fmt.Errorf("%w: neither a token nor a client certificate", ErrConfig)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, server: u, hc: &http.Client{Transport: rt, Timeout: cfg.Timeout}, log: log}, nil
}

// Counters returns the client's totals: pages read, listings started
// again after an expired continue token, and answers that could not be
// decoded.
func (c *Client) Counters() map[string]uint64 {
	return map[string]uint64{"pages": c.pages.Load(), "relists": c.relists.Load(), "malformed_answers": c.malformed.Load()}
}

// listAll reads every page of a collection (path such as
// "/api/v1/pods") and hands each page's items to add, which decodes them.
// A continue token that expired (410 Gone) starts the listing again, and
// reset is called to drop what add kept.
func (c *Client) listAll(ctx context.Context, resource, path string, add func(items []json.RawMessage) error, reset func()) error {
	for attempt := 0; ; attempt++ {
		err := c.listPages(ctx, resource, path, add)
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == http.StatusGone {
			if attempt >= maxRelists {
				return fmt.Errorf("%w: %s: %w", ErrExpired, resource, err)
			}
			c.relists.Add(1)
			c.log.Info("listing expired, starting again", "resource", resource, "attempt", attempt+1)
			reset()
			continue
		}
		if errors.Is(err, ErrMalformed) {
			c.malformed.Add(1)
		}
		return err
	}
}

func (c *Client) listPages(ctx context.Context, resource, path string, add func([]json.RawMessage) error) error {
	cont := ""
	total := 0
	seenTokens := map[string]bool{}
	for {
		q := url.Values{}
		q.Set("limit", strconv.Itoa(c.cfg.PageSize))
		if cont != "" {
			q.Set("continue", cont)
		}
		page, err := c.get(ctx, resource, path+"?"+q.Encode())
		if err != nil {
			return err
		}
		c.pages.Add(1)
		total += len(page.Items)
		if total > maxItems {
			return fmt.Errorf("%w: more than %d %s", ErrTooLarge, maxItems, resource)
		}
		if err := add(page.Items); err != nil {
			return err
		}
		cont = page.Metadata.Continue
		if cont == "" {
			return nil
		}
		if seenTokens[cont] {
			return fmt.Errorf("%w: %s: the server gave the same continue token twice", ErrMalformed, resource)
		}
		seenTokens[cont] = true
	}
}

// listPage is one page of a list answer.
type listPage struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Continue        string `json:"continue"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// status is the API's error object.
type status struct {
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Code    int    `json:"code"`
}

// get reads one page.
func (c *Client) get(ctx context.Context, resource, pathQuery string) (*listPage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server.String()+pathQuery, nil)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", resource, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "vigil-center")
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", resource, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage+1))
	if err != nil {
		return nil, fmt.Errorf("list %s: read: %w", resource, err)
	}
	if len(body) > maxPage {
		return nil, fmt.Errorf("list %s: %w (%d bytes)", resource, ErrTooLarge, maxPage)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resource, resp.StatusCode, body)
	}
	page, err := decodeListPage(body)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", resource, err)
	}
	return page, nil
}

// apiError makes the error of a non-200 answer from its Status object,
// or its text.
func apiError(resource string, code int, body []byte) *APIError {
	e := &APIError{Code: code, Resource: resource}
	var st status
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
		e.Reason, e.Message = st.Reason, st.Message
	} else {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		e.Message = msg
	}
	switch code {
	case http.StatusUnauthorized:
		e.err = ErrUnauthorized
	case http.StatusForbidden:
		e.err = ErrForbidden
	}
	return e
}
