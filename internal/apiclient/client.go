// Package apiclient is a Go client for the center's REST API (docs/api.md).
// It has one typed method per route, returning the model types of packages
// store, command and event, or its own; the compliance, notification,
// threat-intelligence and login-baseline routes answer Raw values,
// decoded and as the center sent them. Errors
// the API answers with are *APIError (a 404 for a route the center does
// not serve says to upgrade it; a refusal that names invalid fields lists
// them), centers that cannot be reached give a *NetError. Listings
// return one Page; All walks every page of a listing.
package apiclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/version"
)

// DefaultServer is the center's address when none is configured.
const DefaultServer = "https://127.0.0.1:8443"

// DefaultTimeout bounds every request that sets no deadline of its own.
// Commands sent to agents get their own timeout on top of it.
const DefaultTimeout = 30 * time.Second

// Config says how to reach and authenticate to a center.
type Config struct {
	// Server is the center's base URL (https://host:port). A bare
	// host:port means https; plain http is refused because the bearer
	// token would travel in clear text.
	Server string
	// Token is the bearer token: an API token (vgt_...) or a session.
	Token string
	// CAFile (PEM) or CAPEM is the CA the center's certificate must chain
	// to, usually the center's DATA/tls/ca.pem. Without either the
	// system's roots are used.
	CAFile string
	CAPEM  []byte
	// Insecure skips certificate verification. Only for tests.
	Insecure bool
	// HTTPClient replaces the client built from CAFile, CAPEM and
	// Insecure, which must then be empty.
	HTTPClient *http.Client
	// Timeout bounds each request (DefaultTimeout when zero).
	Timeout time.Duration
	// UserAgent is sent with every request ("vigil/VERSION" when empty).
	UserAgent string
}

// Client calls one center's REST API. It is safe for concurrent use.
type Client struct {
	server    string // normalized base URL, no trailing slash
	token     string
	http      *http.Client
	timeout   time.Duration
	userAgent string
}

// New checks cfg and returns a client. It does not contact the center.
func New(cfg Config) (*Client, error) {
	server, err := normalizeServer(cfg.Server)
	if err != nil {
		return nil, err
	}
	c := &Client{server: server, token: cfg.Token, timeout: cfg.Timeout, userAgent: cfg.UserAgent}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.userAgent == "" {
		c.userAgent = "vigil/" + version.Version
	}
	if strings.ContainsAny(cfg.Token, "\r\n") {
		return nil, errors.New("token contains a line break")
	}
	if cfg.HTTPClient != nil {
		if cfg.CAFile != "" || len(cfg.CAPEM) > 0 || cfg.Insecure {
			return nil, errors.New("HTTPClient cannot be combined with CAFile, CAPEM or Insecure")
		}
		c.http = cfg.HTTPClient
		return c, nil
	}
	tlsConf, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	c.http = &http.Client{Transport: tr}
	return c, nil
}

// Server is the base URL the client talks to.
func (c *Client) Server() string { return c.server }

// WithToken returns a copy of the client that sends token instead, for
// example the session a Login returned. The copy shares the connections.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// normalizeServer turns host:port or an https URL into a base URL without
// a trailing slash.
func normalizeServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = DefaultServer
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("server %q: %w", s, err)
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("server %q: want an https:// URL (the center only speaks HTTPS)", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("server %q: no host", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("server %q: want scheme, host, port and at most a path", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// tlsConfig trusts the configured CA only, or the system roots.
func tlsConfig(cfg Config) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.Insecure}
	pem := cfg.CAPEM
	if cfg.CAFile != "" {
		if len(pem) > 0 {
			return nil, errors.New("set CAFile or CAPEM, not both")
		}
		data, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pem = data
	}
	if len(pem) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			what := "CA"
			if cfg.CAFile != "" {
				what = "CA file " + cfg.CAFile
			}
			return nil, fmt.Errorf("%s: no PEM certificate found", what)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}
