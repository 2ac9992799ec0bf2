package enroll

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/jointoken"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

const caHash = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

// signer issues user JWTs with an account key, or fails when told to.
type signer struct {
	account nkeys.KeyPair
	fail    bool
}

func (s *signer) IssueAgent(agentID, userPublicKey string) (string, error) {
	if s.fail {
		return "", errors.New("account key unavailable")
	}
	uc := jwt.NewUserClaims(userPublicKey)
	uc.Name = agentID
	return uc.Encode(s.account)
}

type fixture struct {
	st        store.Store
	issuer    *signer
	h         http.Handler
	now       time.Time
	published *publisher
}

// publisher records the agents whose policy was published, checking that
// each is stored by then.
type publisher struct {
	st  store.Store
	ids []string
	err error
}

func (p *publisher) Publish(ctx context.Context, agentID string) error {
	if _, err := p.st.Agents().Get(ctx, agentID); err != nil {
		return fmt.Errorf("published before the agent was stored: %w", err)
	}
	p.ids = append(p.ids, agentID)
	return p.err
}

func newFixture(t *testing.T, natsURLs []string) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	akp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, issuer: &signer{account: akp}, now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), published: &publisher{st: st}}
	f.h = New(Config{Store: st, Issuer: f.issuer, CAHash: caHash, NATSURLs: natsURLs, NATSPort: 4222,
		Policies: f.published, Now: func() time.Time { return f.now }})
	return f
}

// token stores a join token and returns its string.
func (f *fixture) token(t *testing.T, limit int, labels map[string]string) string {
	t.Helper()
	tok, err := jointoken.Generate(caHash)
	if err != nil {
		t.Fatal(err)
	}
	err = f.st.JoinTokens().Create(context.Background(), store.JoinToken{
		ID: tok.ID, SecretHash: jointoken.HashSecret(tok.Secret), Labels: labels,
		CreatedAt: f.now, CreatedBy: "admin", ExpiresAt: f.now.Add(time.Hour), UsageLimit: limit,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok.String()
}

func newKey(t *testing.T) string {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	return pub
}

func (f *fixture) post(t *testing.T, body any, remote string) (int, []byte) {
	t.Helper()
	data, _ := json.Marshal(body)
	req := httptest.NewRequest("POST", Path, bytes.NewReader(data))
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func TestEnroll(t *testing.T) {
	f := newFixture(t, []string{"tls://soc.example.internal:4222"})
	tok := f.token(t, 0, map[string]string{"env": "prod"})
	key := newKey(t)
	status, data := f.post(t, bus.EnrollRequest{Token: tok, PublicKey: key, Facts: map[string]any{"hostname": "from-facts", "machineId": "mid-1"}}, "192.0.2.1:5000")
	if status != 200 {
		t.Fatalf("%d %s", status, data)
	}
	var resp bus.EnrollResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.NATSURLs) != 1 || resp.NATSPort != 0 || resp.Labels["env"] != "prod" {
		t.Fatalf("response %+v", resp)
	}
	a, err := f.st.Agents().Get(context.Background(), resp.AgentID)
	if err != nil || a.Hostname != "from-facts" || a.MachineID != "mid-1" || !bus.ValidAgentID(a.ID) {
		t.Fatalf("agent %+v %v", a, err)
	}
	// Its policy is published before it gets its credentials.
	if len(f.published.ids) != 1 || f.published.ids[0] != resp.AgentID {
		t.Errorf("policies published for %v, want [%s]", f.published.ids, resp.AgentID)
	}
	entries, _, _ := f.st.Audit().List(context.Background(), store.AuditFilter{})
	if len(entries) != 1 || entries[0].SourceIP != "192.0.2.1" || entries[0].Action != "agent.enroll" {
		t.Fatalf("audit %+v", entries)
	}
	// The token is now counted once.
	parsed, _ := jointoken.Parse(tok)
	if jt, _ := f.st.JoinTokens().Get(context.Background(), parsed.ID); jt.Uses != 1 {
		t.Fatalf("uses %d", jt.Uses)
	}
}

func TestEnrollIssuerFailureLeavesNoAgent(t *testing.T) {
	f := newFixture(t, nil)
	f.issuer.fail = true
	status, data := f.post(t, bus.EnrollRequest{Token: f.token(t, 0, nil), PublicKey: newKey(t), Hostname: "h"}, "192.0.2.1:1")
	if status != 500 || strings.Contains(string(data), "account key") {
		t.Fatalf("%d %s", status, data)
	}
	agents, _, _ := f.st.Agents().List(context.Background(), store.AgentFilter{})
	if len(agents) != 0 {
		t.Fatalf("agent left behind: %+v", agents)
	}
}

func TestEnrollRefusals(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(t, 0, nil)
	for _, tc := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"not json", `nope`, 400, "bad_request"},
		{"unknown field", `{"token":"x","public_key":"y","admin":true}`, 400, "bad_request"},
		{"no token", `{"public_key":"UABC"}`, 400, "bad_request"},
		{"bad facts", `{"token":"` + tok + `","public_key":"` + newKey(t) + `","hostname":"h","facts":{"ips":["not-an-ip"]}}`, 400, "bad_request"},
		{"facts type", `{"token":"` + tok + `","public_key":"` + newKey(t) + `","hostname":"h","facts":{"os":5}}`, 400, "bad_request"},
		{"control chars", `{"token":"` + tok + `","public_key":"` + newKey(t) + `","hostname":"a\u0000b"}`, 400, "bad_request"},
		{"too large", `{"token":"` + strings.Repeat("x", maxBody) + `"}`, 413, "too_large"},
	} {
		req := httptest.NewRequest("POST", Path, strings.NewReader(tc.body))
		req.RemoteAddr = "198.51.100.1:1"
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), `"code":"`+tc.code+`"`) {
			t.Errorf("%s: %d %s", tc.name, rec.Code, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest("GET", Path, nil))
	if rec.Code != 405 {
		t.Errorf("GET: %d", rec.Code)
	}
	// Seven failures so far from 198.51.100.1; three more block it, but
	// not another address.
	for i := 0; i < 3; i++ {
		f.post(t, map[string]any{"token": "bad", "public_key": "bad"}, "198.51.100.1:2")
	}
	if status, _ := f.post(t, bus.EnrollRequest{Token: tok, PublicKey: newKey(t), Hostname: "h"}, "198.51.100.1:3"); status != 429 {
		t.Fatalf("blocked address: %d", status)
	}
	if status, data := f.post(t, bus.EnrollRequest{Token: tok, PublicKey: newKey(t), Hostname: "h"}, "198.51.100.2:3"); status != 200 {
		t.Fatalf("other address: %d %s", status, data)
	}
	f.now = f.now.Add(failureWindow)
	if status, _ := f.post(t, bus.EnrollRequest{Token: tok, PublicKey: newKey(t), Hostname: "h"}, "198.51.100.1:4"); status != 200 {
		t.Fatalf("after the window: %d", status)
	}
}

// FuzzParseRequest: any body gives a request or a 400, never a panic; a
// request that parses has its facts checked without a panic either.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"token":"vgl1.abcdefgh.abcdefghabcdefghabcdefghabcdefgh.` + caHash + `","public_key":"UABC","hostname":"h","facts":{"ips":["10.0.0.1"],"bootTimeUnix":"17"}}`))
	f.Add([]byte(`{"token":"t","public_key":"k","facts":{"hostname":5}}`))
	f.Add([]byte(`{"token":"t","public_key":"k"}{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var req bus.EnrollRequest
		err := parseRequest(data, &req)
		if err == nil {
			_, err = newAgent(req, time.Unix(0, 0))
		}
		var fl *failure
		if err != nil && (!errors.As(err, &fl) || fl.Status != http.StatusBadRequest) {
			t.Fatalf("not a 400: %v", err)
		}
	})
}

// TestEnrollSurvivesPolicyFailure: the agent is enrolled even when its
// policy cannot be published (it runs on the default one until then).
func TestEnrollSurvivesPolicyFailure(t *testing.T) {
	f := newFixture(t, nil)
	f.published.err = errors.New("bus down")
	status, data := f.post(t, bus.EnrollRequest{Token: f.token(t, 0, nil), PublicKey: newKey(t), Hostname: "h"}, "192.0.2.1:5000")
	if status != 200 || len(f.published.ids) != 1 {
		t.Fatalf("%d %s, published %v", status, data, f.published.ids)
	}
}
