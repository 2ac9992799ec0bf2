package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	"google.golang.org/protobuf/encoding/protojson"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/center/api/apitest"
	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/center/baseline"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/center/compliance"
	"github.com/vigilsec/vigil/internal/center/detect"
	"github.com/vigilsec/vigil/internal/center/enroll"
	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// testCAHash stands for the hex SHA-256 of the center CA's public key.
const testCAHash = "3f8a1c0b9d2e4f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c"

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fleetCommander answers commands for the agents in the store: online
// agents reply ok, others are offline.
type fleetCommander struct {
	st   store.Store
	mu   sync.Mutex
	reqs []command.Request
}

func (f *fleetCommander) Exec(ctx context.Context, req command.Request) (command.Response, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	resp := command.Response{ID: "cmd-" + req.Name, Command: req.Name, Results: []command.Result{}}
	seen := map[string]bool{}
	add := func(a store.Agent) {
		if seen[a.ID] {
			return
		}
		seen[a.ID] = true
		r := command.Result{AgentID: a.ID, Hostname: a.Hostname, OK: a.Status == store.StatusOnline, DurationMS: 3}
		if r.OK {
			r.Output = json.RawMessage(`{"pong":true}`)
		} else {
			r.Error = "agent offline"
		}
		resp.Results = append(resp.Results, r)
	}
	for _, id := range req.AgentIDs {
		a, err := f.st.Agents().Get(ctx, id)
		if err != nil {
			resp.Results = append(resp.Results, command.Result{AgentID: id, Error: "unknown agent"})
			seen[id] = true
			continue
		}
		add(a)
	}
	if len(req.Selector) > 0 {
		agents, _, err := f.st.Agents().List(ctx, store.AgentFilter{Labels: req.Selector, Page: store.Page{Limit: store.MaxLimit}})
		if err != nil {
			return resp, err
		}
		for _, a := range agents {
			add(a)
		}
	}
	return resp, nil
}

func (f *fleetCommander) requests() []command.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]command.Request(nil), f.reqs...)
}

// revocations records revoked agents.
type revocations struct {
	mu  sync.Mutex
	ids []string
}

func (r *revocations) RevokeAgent(ctx context.Context, a store.Agent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, a.ID)
	return nil
}

func (r *revocations) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// publisher computes effective policies from the store (highest priority,
// then name, among matching selectors) and records what was published.
type publisher struct {
	st        store.Store
	mu        sync.Mutex
	published []string
	all       int
}

func (p *publisher) Publish(ctx context.Context, agentID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published = append(p.published, agentID)
	return nil
}

func (p *publisher) PublishAll(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.all++
	return nil
}

func (p *publisher) counts() ([]string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.published...), p.all
}

func (p *publisher) Effective(ctx context.Context, a store.Agent) (*busv1.AgentPolicy, error) {
	all, err := p.st.AgentPolicies().List(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Priority != all[j].Priority {
			return all[i].Priority > all[j].Priority
		}
		return all[i].Name < all[j].Name
	})
	out := &busv1.AgentPolicy{}
	for _, pol := range all {
		match := true
		for k, v := range pol.Selector {
			match = match && a.Labels[k] == v
		}
		if match {
			if err := protojson.Unmarshal(pol.Spec, out); err != nil {
				return nil, err
			}
			out.Name, out.Revision = pol.Name, pol.Revision
			break
		}
	}
	return out, nil
}

// accountIssuer signs agent user JWTs with an account key.
type accountIssuer struct{ account nkeys.KeyPair }

func (i accountIssuer) IssueAgent(agentID, userPublicKey string) (string, error) {
	uc := jwt.NewUserClaims(userPublicKey)
	uc.Name = agentID
	return uc.Encode(i.account)
}

// env is a running API on a real SQLite store.
type env struct {
	t      *testing.T
	st     *sqlite.Store
	srv    *httptest.Server
	clock  *clock
	cmd    *fleetCommander
	rev    *revocations
	pub    *publisher
	issuer accountIssuer
	// det is the detection service over apitest.RulePack, nil when
	// detection is off.
	det    *detect.Service
	vulns  *vuln.Service
	intel  *intel.Service
	logins *baseline.Service
	tokens map[store.Role]string
	// metricsCalls counts requests that reached the metrics handler.
	metricsCalls atomic.Int32
}

const adminToken = "vgt_bootstrap_0123456789abcdef0123456789abcdef"

// newEnv starts the API with detection over apitest.RulePack.
func newEnv(t *testing.T) *env {
	t.Helper()
	return startEnv(t, true)
}

// startEnv starts the API, with detection or without.
func startEnv(t *testing.T, detection bool) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	akp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		t: t, st: st, clock: &clock{t: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)},
		cmd: &fleetCommander{st: st}, rev: &revocations{}, pub: &publisher{st: st},
		issuer: accountIssuer{account: akp}, tokens: map[store.Role]string{},
	}
	if _, err := auth.Bootstrap(ctx, st, t.TempDir(), adminToken); err != nil {
		t.Fatal(err)
	}
	e.tokens[store.RoleAdmin] = adminToken
	for _, role := range []store.Role{store.RoleViewer, store.RoleAnalyst, store.RoleResponder} {
		id, bearer, err := auth.NewBearer(auth.APITokenPrefix)
		if err != nil {
			t.Fatal(err)
		}
		err = st.APITokens().Create(ctx, store.APIToken{ID: id, Name: string(role) + "-bot", Kind: auth.KindAPI, Role: role,
			Hash: auth.HashBearer(bearer), CreatedAt: e.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = bearer
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.metricsCalls.Add(1)
		io.WriteString(w, "vigil_up 1\n")
	})
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><title>Vigil</title>")
	})
	cfg := Config{
		Store: st, Commands: e.cmd, Revoker: e.rev, Policies: e.pub, CAHash: testCAHash,
		Enroll:  enroll.New(enroll.Config{Store: st, Issuer: e.issuer, CAHash: testCAHash, NATSPort: 4222, Now: e.clock.Now}),
		Console: console, Metrics: metrics, Now: e.clock.Now,
	}
	if e.vulns, err = vuln.New(vuln.Config{Store: st, TempDir: t.TempDir(), Now: e.clock.Now}); err != nil {
		t.Fatal(err)
	}
	cfg.Vulns = e.vulns
	e.intel = intel.New(intel.Config{Store: st.Intel(), Now: e.clock.Now})
	e.logins = baseline.New(baseline.Config{Store: st.Baselines(), Location: time.UTC, Now: e.clock.Now})
	for _, load := range []func(context.Context) error{e.intel.Load, e.logins.Load} {
		if err := load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Intel, cfg.Baselines = e.intel, e.logins
	if cfg.Compliance, err = compliance.New(ctx, compliance.Config{Store: st, Now: e.clock.Now}); err != nil {
		t.Fatal(err)
	}
	if detection {
		rules, err := detect.NewRules(ctx, apitest.RulePack(), st.Rules(), nil)
		if err != nil {
			t.Fatal(err)
		}
		e.det = detect.New(detect.Config{Store: st, Rules: rules, Now: e.clock.Now})
		cfg.Detection = e.det
	}
	h := New(cfg)
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// do sends a request; body is sent as is when it is a string, else as JSON.
func (e *env) do(method, path, token string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, data
}

// call sends a request, checks the status and decodes the answer into out.
func (e *env) call(method, path string, role store.Role, body any, want int, out any) []byte {
	e.t.Helper()
	status, data := e.do(method, path, e.tokens[role], body)
	if status != want {
		e.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, role, status, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return data
}

// errorCode returns the code of an error envelope.
func errorCode(t *testing.T, data []byte) string {
	t.Helper()
	var body errorBody
	if err := json.Unmarshal(data, &body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("not an error envelope: %s (%v)", data, err)
	}
	return body.Error.Code
}

// errorMessage returns the message of an error envelope, "" for an
// answer that is not one.
func errorMessage(data []byte) string {
	var body errorBody
	if err := json.Unmarshal(data, &body); err != nil {
		return ""
	}
	return body.Error.Message
}

// audit returns audit entries whose action starts with prefix, newest first.
func (e *env) audit(prefix string) []store.AuditEntry {
	e.t.Helper()
	entries, _, err := e.st.Audit().List(context.Background(), store.AuditFilter{Action: prefix, Page: store.Page{Limit: store.MaxLimit}})
	if err != nil {
		e.t.Fatal(err)
	}
	return entries
}

// addAgent stores an agent.
func (e *env) addAgent(id, hostname string, status store.AgentStatus, labels map[string]string) store.Agent {
	e.t.Helper()
	now := e.clock.Now()
	a := store.Agent{ID: id, Hostname: hostname, Status: status, StatusChangedAt: now, LastSeen: now, EnrolledAt: now,
		Labels: labels, IPs: []string{"10.1.0." + id[len(id)-1:]}, OS: "linux", UserKey: "U" + strings.Repeat("A", 55)}
	if err := e.st.Agents().Create(context.Background(), a); err != nil {
		e.t.Fatal(err)
	}
	return a
}
