// Package compliancecmdtest runs a center for the tests of `vigil
// compliance` (package compliancecmd): the real REST API
// (internal/center/api) over a SQLite store in a temporary folder, with
// the real compliance service (internal/center/compliance: the shipped
// policy catalogue, uploads, assignments, exceptions, scores), the agent
// policy distributor that puts the assigned policies into each agent's
// policy, the command service and the inventory service on an embedded
// bus, served over TLS on loopback; and it runs the vigil command tree
// in-process against it.
//
// The hosts are folders standing for a host's root. Their results are
// real: the agent's compliance/baseline collector evaluates the policies
// the center assigned (read from the agent's policy in the policy
// bucket) on the host's folder. Seeding stores them as the inventory
// service does (Store.Inventory().Apply, then the compliance service's
// InventoryChanged) at chosen times; a connected host answers the collect
// command on the bus as an agent does, sending its inventory with the
// agent's syncer to the inventory service. Nothing of the API is imitated.
package compliancecmdtest

import (
	"bytes"
	"context"
	"encoding/pem"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/center/agentpolicy"
	"github.com/vigilsec/vigil/internal/center/api"
	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/center/compliance"
	"github.com/vigilsec/vigil/internal/center/inventory"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/cli/compliancecmd"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Now is the clock of the API, the compliance service and the CLI: times
// in fixtures and golden files are measured from it.
var Now = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// Env is one running center.
type Env struct {
	// URL is the API's base URL (https://127.0.0.1:port) and CAFile the
	// certificate it presents, written to a file as VIGIL_CA names it.
	URL, CAFile string
	// Bearer values of API tokens named admin, responder, analyst and
	// viewer with those roles.
	AdminToken, ResponderToken, AnalystToken, ViewerToken string
	// Store is the center's store, for seeding and checking.
	Store *sqlite.Store
	// Compliance is the center's compliance service.
	Compliance *compliance.Service
	// Policies is the agent policy distributor.
	Policies *agentpolicy.Distributor
	// Bus is the embedded bus.
	Bus *bustest.Center
	// ExceptionIDs are the random ids of the exceptions Seed stored, by
	// name (ExceptionEquiv, ExceptionExpired).
	ExceptionIDs map[string]string

	tb    testing.TB
	kv    jetstream.KeyValue
	clock clock

	mu       sync.Mutex
	requests []string
	hosts    map[string]*Host
}

// clock is the center's clock: Now, or the time of a collection being
// stored (the compliance service records scores at its time).
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.at = t
	c.mu.Unlock()
}

// Start starts the center on a fresh store and bus; the test's cleanup
// stops everything.
func Start(tb testing.TB) *Env {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	bc := bustest.Start(tb)
	js, err := jetstream.New(bc.Server.Conn())
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	kv, err := js.KeyValue(ctx, bus.PolicyBucket)
	if err != nil {
		tb.Fatalf("policy bucket: %v", err)
	}
	e := &Env{Store: st, Bus: bc, tb: tb, kv: kv, hosts: map[string]*Host{}, ExceptionIDs: map[string]string{}}
	e.clock.set(Now)
	e.AdminToken = e.addToken("admin", store.RoleAdmin)
	e.ResponderToken = e.addToken("responder", store.RoleResponder)
	e.AnalystToken = e.addToken("analyst", store.RoleAnalyst)
	e.ViewerToken = e.addToken("viewer", store.RoleViewer)

	e.Compliance, err = compliance.New(ctx, compliance.Config{Store: st, Now: e.clock.now})
	if err != nil {
		tb.Fatalf("compliance service: %v", err)
	}
	e.Policies = agentpolicy.New(agentpolicy.Config{KV: kv, Store: st, Amend: e.Compliance.Amend})
	inv := inventory.New(inventory.Config{Conn: bc.Server.Conn(), Store: st, OnChange: e.Compliance.InventoryChanged})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := inv.Run(ctx); err != nil {
			tb.Errorf("inventory service: %v", err)
		}
	}()
	tb.Cleanup(func() { cancel(); <-done })

	handler := api.New(api.Config{
		Store:      st,
		Commands:   command.New(command.Config{Conn: bc.Server.Conn(), Store: st}),
		Revoker:    revoker{bc},
		Policies:   e.Policies,
		Compliance: e.Compliance,
		Now:        e.clock.now,
	})
	srv := httptest.NewUnstartedServer(e.record(handler))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	e.URL = srv.URL
	e.CAFile = filepath.Join(tb.TempDir(), "ca.pem")
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(e.CAFile, caPEM, 0o600); err != nil {
		tb.Fatal(err)
	}
	return e
}

// revoker takes a deleted agent's bus credentials away, as the center does.
type revoker struct{ bus *bustest.Center }

// RevokeAgent revokes the agent's user key on the bus.
func (r revoker) RevokeAgent(_ context.Context, a store.Agent) error {
	if a.UserKey == "" {
		return nil
	}
	return r.bus.Server.Revoke(a.UserKey)
}

// addToken stores an API token and returns its bearer value.
func (e *Env) addToken(name string, role store.Role) string {
	e.tb.Helper()
	id, bearer, err := auth.NewBearer(auth.APITokenPrefix)
	if err != nil {
		e.tb.Fatal(err)
	}
	err = e.Store.APITokens().Create(context.Background(), store.APIToken{ID: id, Name: name, Kind: auth.KindAPI,
		Role: role, Hash: auth.HashBearer(bearer), CreatedAt: Now.AddDate(0, 0, -7)})
	if err != nil {
		e.tb.Fatalf("add API token %s: %v", name, err)
	}
	return bearer
}

// record notes each request line for Requests, then serves it.
func (e *Env) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.requests = append(e.requests, r.Method+" "+r.URL.RequestURI())
		e.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// Requests returns the request lines served so far
// ("GET /api/v1/compliance?...").
func (e *Env) Requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.requests...)
}

// Result is one run of the CLI.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run executes `vigil ARGS...` with stdin and the admin token; the server
// URL in stderr is replaced by SERVER.
func (e *Env) Run(ctx context.Context, stdin string, args ...string) Result {
	return e.RunAs(ctx, e.AdminToken, stdin, args...)
}

// RunAs is Run with another token.
func (e *Env) RunAs(ctx context.Context, token, stdin string, args ...string) Result {
	e.tb.Helper()
	return e.RunEnv(ctx, map[string]string{clikit.EnvServer: e.URL, clikit.EnvToken: token, clikit.EnvCA: e.CAFile}, stdin, args...)
}

// RunEnv is Run with the environment variables vars (VIGIL_SERVER,
// VIGIL_TOKEN, VIGIL_CA) alone.
func (e *Env) RunEnv(ctx context.Context, vars map[string]string, stdin string, args ...string) Result {
	e.tb.Helper()
	var stdout, stderr syncBuffer
	env := clikit.Env{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] }, Now: func() time.Time { return Now },
		PollInterval: 5 * time.Millisecond,
	}
	code := Execute(ctx, env, args)
	return Result{Stdout: stdout.String(), Stderr: strings.ReplaceAll(stderr.String(), e.URL, "SERVER"), Code: code}
}

// OK runs args and fails the test unless the CLI succeeded; it returns
// stdout.
func (e *Env) OK(args ...string) string {
	e.tb.Helper()
	r := e.Run(context.Background(), "", args...)
	if r.Code != 0 {
		e.tb.Fatalf("vigil %s: exit %d, stderr %q", strings.Join(args, " "), r.Code, r.Stderr)
	}
	return r.Stdout
}

// Execute runs `vigil ARGS...` with the compliance commands, as the vigil
// binary's command tree does (package cli: the same global flags, output
// check and error report), and returns the exit status.
func Execute(ctx context.Context, env clikit.Env, args []string) int {
	a := clikit.NewApp(env)
	root := &cobra.Command{
		Use:               "vigil",
		SilenceErrors:     true,
		SilenceUsage:      true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error { return a.CheckOutput() },
	}
	root.SetIn(a.Env.Stdin)
	root.SetOut(a.Env.Stdout)
	root.SetErr(a.Env.Stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return clikit.UsageErr(cmd, "%v", err)
	})
	f := root.PersistentFlags()
	f.StringVar(&a.Server, "server", "", "center URL")
	f.StringVar(&a.Token, "token", "", "API token")
	f.StringVar(&a.CA, "ca", "", "CA certificate of the center, PEM")
	f.StringVarP(&a.Output, "output", "o", "table", "output format: table or json")
	root.AddCommand(compliancecmd.Command(a))
	root.SetArgs(args)
	if err := clikit.Group(root).ExecuteContext(ctx); err != nil {
		return a.Report(err)
	}
	return 0
}

// syncBuffer is a bytes.Buffer safe for a reader while the CLI writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// uuid is the form of the ids the center draws at random.
var uuid = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)

// Mask replaces what changes from run to run: the seeded exceptions' ids
// become their names padded to the width of an id (ex-equiv-----...),
// so that tables keep their shape, and any other random id
// RANDOM-ID-----... .
func (e *Env) Mask(s string) string {
	for name, id := range e.ExceptionIDs {
		s = strings.ReplaceAll(s, id, name+strings.Repeat("-", len(id)-len(name)))
	}
	return uuid.ReplaceAllString(s, "RANDOM-ID"+strings.Repeat("-", 27))
}

// Golden compares got with testdata/name.golden, rewriting it with
// -update.
func Golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
