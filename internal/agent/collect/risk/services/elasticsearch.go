package services

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// maxHTTPBody bounds the body of an answer read.
const maxHTTPBody = 64 << 10

func (r *run) elasticsearch() []check {
	if !r.s.Checks.Elasticsearch || !r.live {
		return nil
	}
	var out []check
	for _, in := range r.d.of(ProductElasticsearch) {
		targets := r.targets(in, []uint16{9200}, 9300)
		if len(targets) == 0 {
			continue
		}
		out = append(out, check{
			scope: in.name + ":" + targets[0].String(),
			run:   func(ctx context.Context) ([]finding, error) { return r.checkElasticsearch(ctx, in, targets) },
		})
	}
	return out
}

// checkElasticsearch sends GET / without credentials to each port the
// node listens on (9200 first), in the clear and then over TLS (an
// Elasticsearch 8 default), until one answers HTTP: 200 is the finding
// (security off, or anonymous access), 401 or 403 means credentials are
// needed. GET /_cat/indices then tells how much is exposed. Ports that
// answer no HTTP (the transport port) are passed over; a timeout or
// another status leaves the check without a conclusion.
func (r *run) checkElasticsearch(ctx context.Context, in *instance, targets []netip.AddrPort) ([]finding, error) {
	p := r.c.newProber(r.s)
	client := r.httpClient(p)
	defer client.CloseIdleConnections()
	var inconclusive error
ports:
	for _, target := range targets {
		for _, scheme := range []string{"http", "https"} {
			if err := p.attempt(ctx); errors.Is(err, errMaxAttempts) {
				break ports
			} else if err != nil {
				return nil, err
			}
			base := scheme + "://" + target.String()
			status, body, err := httpGet(ctx, client, base+"/")
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				if isTimeout(err) {
					inconclusive = err
					continue ports
				}
				continue // not this protocol here
			}
			switch status {
			case http.StatusUnauthorized, http.StatusForbidden:
				return nil, nil
			case http.StatusOK:
			case http.StatusBadRequest:
				if scheme == "http" {
					continue // an HTTPS port answering a request in the clear
				}
				fallthrough
			default:
				inconclusive = fmt.Errorf("GET %s/ answered %d", base, status)
				continue ports
			}
			var root struct {
				Cluster string `json:"cluster_name"`
				Version struct {
					Number       string `json:"number"`
					Distribution string `json:"distribution"`
				} `json:"version"`
			}
			if err := json.Unmarshal(body, &root); err != nil || root.Cluster == "" {
				continue ports // another HTTP service of the process
			}
			if root.Version.Distribution == "opensearch" {
				in.name = ProductOpenSearch
			}
			f := finding{target: in.name, typ: TypeNoAuth, addr: target}
			f.onInstance(in)
			f.key = fmt.Sprintf("%s:%s:%s", in.name, target, TypeNoAuth)
			f.evidence = fmt.Sprintf("GET %s/ answered 200 without credentials (cluster %q, version %s)",
				base, clip(root.Cluster, 64), clip(root.Version.Number, 32))
			if p.left() {
				if err := p.attempt(ctx); err == nil {
					if st, body, err := httpGet(ctx, client, base+"/_cat/indices?h=index"); err == nil && st == http.StatusOK {
						f.evidence += fmt.Sprintf("; GET /_cat/indices answered 200 with %d indices", countLines(body))
					}
				}
			}
			if exp := exposed(in.tcp); len(exp) > 0 {
				f.severity = SeverityCritical
				f.reason = in.name + " answers without credentials and listens beyond loopback"
				f.evidence += "; listens on " + strings.Join(addrStrings(exp, ""), ", ")
			} else {
				f.severity = SeverityMedium
				f.reason = in.name + " answers every local user without credentials (it listens on loopback only)"
			}
			return []finding{f}, nil
		}
	}
	if inconclusive != nil {
		return nil, fmt.Errorf("%s: %w", in.name, inconclusive)
	}
	return nil, nil
}

// httpClient returns a client that connects only through the prober
// (loopback only, timeouts), follows no redirect and uses no proxy.
func (r *run) httpClient(p *prober) *http.Client {
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			ap, err := netip.ParseAddrPort(addr)
			if err != nil {
				return nil, err
			}
			return p.dial(ctx, ap)
		},
		DisableKeepAlives:      true,
		ResponseHeaderTimeout:  p.timeout,
		TLSHandshakeTimeout:    p.timeout,
		MaxResponseHeaderBytes: 64 << 10,
		// The node is this host's own, reached on loopback, and no
		// credentials are sent: its certificate is not checked.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       p.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// httpGet sends GET url and returns the status and at most maxHTTPBody
// bytes of the body.
func httpGet(ctx context.Context, client *http.Client, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, body, nil
}

func countLines(b []byte) int {
	n := 0
	for _, l := range bytes.Split(b, []byte{'\n'}) {
		if len(bytes.TrimSpace(l)) > 0 {
			n++
		}
	}
	return n
}
