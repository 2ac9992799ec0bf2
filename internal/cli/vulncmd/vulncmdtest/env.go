// Package vulncmdtest runs the center's real REST API with its real
// vulnerability service for the tests of `vigil vulns`, `vigil
// weak-passwords` and `vigil vulndb` (packages vulncmd and vulndbcmd):
// internal/center/api over a SQLite store in a temporary folder, with
// internal/center/vuln importing into it, served over TLS on loopback,
// and runs the vigil CLI in-process against it. Tests seed the store
// through its interfaces (Seed); nothing of the API is imitated. The
// command bus and the agent policy distributor are left out: of the
// routes these commands use, only the word lists touch them (to publish
// the agents' policies again), which the API skips when they are absent.
package vulncmdtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/vigilsec/vigil/internal/center/api"
	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/cli"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Now is the clock of the API, the vulnerability service and the CLI:
// times in fixtures and golden files are measured from it.
var Now = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// Options shape an Env.
type Options struct {
	// Sources are the center's configured vulnerability sources (what
	// `vulndb sync` fetches).
	Sources []feed.Source
	// Wrap, when set, wraps the API's handler: a test acts between the
	// CLI's requests with it (starting a job, say).
	Wrap func(http.Handler) http.Handler
	// NoVulns starts the API without the vulnerability service, as a
	// center with vulnerability matching off runs.
	NoVulns bool
}

// Env is one running center API with its vulnerability service.
type Env struct {
	// URL is the API's base URL (https://127.0.0.1:port) and CAFile the
	// certificate it presents, written to a file as VIGIL_CA names it.
	URL, CAFile string
	// Bearer values of API tokens named admin, responder and viewer with
	// those roles.
	AdminToken, ResponderToken, ViewerToken string
	// Store is the API's store, for seeding and checking.
	Store *sqlite.Store
	// Vulns is the vulnerability service behind /api/v1/vulndb (nil with
	// Options.NoVulns).
	Vulns *vuln.Service

	tb       testing.TB
	mu       sync.Mutex
	requests []string
}

// Start starts the API on a fresh store; the test's cleanup stops it.
func Start(tb testing.TB, opts Options) *Env {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	e := &Env{Store: st, tb: tb}
	e.AdminToken = e.addToken("admin", store.RoleAdmin)
	e.ResponderToken = e.addToken("responder", store.RoleResponder)
	e.ViewerToken = e.addToken("viewer", store.RoleViewer)

	clock := func() time.Time { return Now }
	cfg := api.Config{Store: st, Now: clock}
	if !opts.NoVulns {
		e.Vulns, err = vuln.New(vuln.Config{Store: st, TempDir: tb.TempDir(), Now: clock,
			Sources: feed.Config{Sources: opts.Sources}})
		if err != nil {
			tb.Fatalf("vulnerability service: %v", err)
		}
		cfg.Vulns = e.Vulns
	}
	var handler http.Handler = api.New(cfg)
	if opts.Wrap != nil {
		handler = opts.Wrap(handler)
	}
	srv := httptest.NewUnstartedServer(e.record(handler))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	// Jobs run on after their request; let the last one end before the
	// store closes.
	tb.Cleanup(func() { e.waitIdle() })
	e.URL = srv.URL
	e.CAFile = filepath.Join(tb.TempDir(), "ca.pem")
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(e.CAFile, caPEM, 0o600); err != nil {
		tb.Fatal(err)
	}
	return e
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

// Requests returns the request lines served so far ("GET /api/v1/vulns?...").
func (e *Env) Requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.requests...)
}

// waitIdle waits for the running job to end; the deadline only bounds a
// hang.
func (e *Env) waitIdle() {
	if e.Vulns == nil {
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		running := false
		for _, j := range e.Vulns.Jobs() {
			running = running || j.State == vuln.JobRunning
		}
		if !running {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Result is one run of the CLI.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run executes the CLI with args, stdin and the admin token; the server
// URL in stderr is replaced by SERVER.
func (e *Env) Run(ctx context.Context, stdin string, args ...string) Result {
	return e.RunAs(ctx, e.AdminToken, stdin, args...)
}

// RunAs is Run with another token.
func (e *Env) RunAs(ctx context.Context, token, stdin string, args ...string) Result {
	e.tb.Helper()
	var stdout, stderr SyncBuffer
	vars := map[string]string{cli.EnvServer: e.URL, cli.EnvToken: token, cli.EnvCA: e.CAFile}
	env := cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] }, Now: func() time.Time { return Now },
		PollInterval: 5 * time.Millisecond,
	}
	code := cli.Run(ctx, env, args)
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

// SyncBuffer is a bytes.Buffer safe for a reader while the CLI writes.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// jobID is the form of a job's id.
var jobID = regexp.MustCompile(`\b[0-9a-f]{16}\b`)

// serverFile is a file the center keeps while it imports: an upload or a
// download in its temporary folder, which job problems name.
var serverFile = regexp.MustCompile(`/\S*/vulndb-[0-9]+(-upload\.zip|-upload\.json|\.download)`)

// Mask replaces what changes from run to run in the output of vulndb
// commands: jobs' random ids become JOB-ID-XXXXXXXXX (as wide, so that
// tables keep their shape) and the center's temporary files UPLOAD.
func Mask(s string) string {
	return serverFile.ReplaceAllString(jobID.ReplaceAllString(s, "JOB-ID-XXXXXXXXX"), "UPLOAD")
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

// SHA256 is the hex SHA-256 of data.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
