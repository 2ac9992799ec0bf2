// Package enroll is the agent half of enrollment: with the center's URL and
// a join token it checks that the server is the center the token was made
// for (by the CA hash the token carries), creates the agent's NKEY user key
// on the host, sends the public half with the host's facts, and returns the
// identity the agent keeps (Save, Load) and connects with.
package enroll

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	"google.golang.org/protobuf/encoding/protojson"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/jointoken"
	"github.com/vigilsec/vigil/internal/pki"
)

// Path is the enrollment endpoint under the center URL.
const Path = "/api/v1/enroll"

// Bounds of one enrollment exchange.
const (
	requestTimeout = 30 * time.Second
	maxResponse    = 1 << 20
)

// Enroll enrolls this host with the center at centerURL (https://host:port)
// using joinToken. The user key is made here and only its public half is
// sent; the returned identity holds the seed, the issued JWT, the bus URLs
// and the pinned CA. Errors wrap ErrCAMismatch, ErrTokenInvalid,
// ErrTokenExpired, ErrTokenUsedUp, jointoken.ErrMalformed ... and never
// repeat the token's secret.
func Enroll(ctx context.Context, centerURL, joinToken string, facts *busv1.HostFacts) (bus.Identity, error) {
	tok, err := jointoken.Parse(joinToken)
	if err != nil {
		return bus.Identity{}, fmt.Errorf("enroll: %w", err)
	}
	base, err := parseCenterURL(centerURL)
	if err != nil {
		return bus.Identity{}, err
	}
	user, err := nkeys.CreateUser()
	if err != nil {
		return bus.Identity{}, fmt.Errorf("enroll: create user key: %w", err)
	}
	defer user.Wipe()
	pub, err := user.PublicKey()
	if err != nil {
		return bus.Identity{}, fmt.Errorf("enroll: user key: %w", err)
	}
	seedBytes, err := user.Seed()
	if err != nil {
		return bus.Identity{}, fmt.Errorf("enroll: user key: %w", err)
	}
	seed := string(seedBytes) // a copy: Wipe clears seedBytes

	req, err := newRequest(tok, pub, facts)
	if err != nil {
		return bus.Identity{}, err
	}
	var ca *x509.Certificate
	resp, err := post(ctx, base, req, tok, &ca)
	if err != nil {
		return bus.Identity{}, err
	}
	if err := checkResponse(resp, pub); err != nil {
		return bus.Identity{}, err
	}
	urls := resp.NATSURLs
	if len(urls) == 0 {
		if resp.NATSPort <= 0 || resp.NATSPort > 65535 {
			return bus.Identity{}, errors.New("enroll: the center named no bus URL and no bus port")
		}
		urls = []string{"tls://" + net.JoinHostPort(base.Hostname(), strconv.Itoa(resp.NATSPort))}
	}
	return bus.Identity{
		AgentID: resp.AgentID, CenterURL: base.String(), NATSURLs: urls,
		UserJWT: resp.UserJWT, UserSeed: seed, CAPEM: string(pki.EncodeCerts(ca)),
	}, nil
}

// parseCenterURL checks that the center URL is an https URL with a host.
func parseCenterURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("enroll: center URL: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("enroll: center URL %q: want https://host[:port]", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("enroll: center URL %q: want only scheme, host, port and path", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// newRequest builds the enrollment body.
func newRequest(tok jointoken.Token, pub string, facts *busv1.HostFacts) (bus.EnrollRequest, error) {
	req := bus.EnrollRequest{Token: tok.String(), PublicKey: pub}
	if facts != nil {
		raw, err := protojson.Marshal(facts)
		if err != nil {
			return req, fmt.Errorf("enroll: encode host facts: %w", err)
		}
		if err := json.Unmarshal(raw, &req.Facts); err != nil {
			return req, fmt.Errorf("enroll: encode host facts: %w", err)
		}
		req.Hostname, req.MachineID = facts.GetHostname(), facts.GetMachineId()
	}
	if req.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return req, fmt.Errorf("enroll: hostname: %w", err)
		}
		req.Hostname = h
	}
	return req, nil
}

// post sends the request over TLS pinned to the token's CA hash and decodes
// the answer. The CA the server presented is stored in *ca.
func post(ctx context.Context, base *url.URL, body bus.EnrollRequest, tok jointoken.Token, ca **x509.Certificate) (bus.EnrollResponse, error) {
	endpoint := base.String() + Path
	var out bus.EnrollResponse
	data, err := json.Marshal(body)
	if err != nil {
		return out, fmt.Errorf("enroll: encode request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(data))
	if err != nil {
		return out, fmt.Errorf("enroll: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	tr := &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		TLSClientConfig:   pinnedTLS(tok.CAHash, base.Hostname(), ca),
		ForceAttemptHTTP2: true,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{
		Transport: tr,
		// A redirect could carry the token elsewhere: answer it as is.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		if errors.Is(err, ErrCAMismatch) {
			return out, fmt.Errorf("enroll: %s: %w", endpoint, ErrCAMismatch)
		}
		return out, fmt.Errorf("enroll: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return out, fmt.Errorf("enroll: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return out, fmt.Errorf("enroll: %w", decodeAPIError(resp.StatusCode, raw))
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("enroll: decode answer: %w", err)
	}
	return out, nil
}

// checkResponse makes sure the answer can be used: a valid agent id and a
// user JWT issued for our key and named after the agent.
func checkResponse(resp bus.EnrollResponse, pub string) error {
	if !bus.ValidAgentID(resp.AgentID) {
		return fmt.Errorf("enroll: the center answered an invalid agent id %q", clip(resp.AgentID, 80))
	}
	uc, err := jwt.DecodeUserClaims(resp.UserJWT)
	if err != nil {
		return fmt.Errorf("enroll: the center answered an invalid user JWT: %w", err)
	}
	if uc.Subject != pub {
		return errors.New("enroll: the center issued credentials for another key")
	}
	return nil
}
