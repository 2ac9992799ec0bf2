// Package clikittest runs vigil command trees in-process for the tests of
// the vigil CLI: a command line with its own standard input, environment
// variables and clock, its stdout and stderr captured and its exit status
// returned, against a center such as package apiclienttest runs; and it
// compares output with golden files in testdata/, rewritten with -update.
// A test binary that imports it must not define -update itself.
package clikittest

import (
	"bytes"
	"context"
	"flag"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// PollInterval is how often `events tail` and the commands that follow a
// job poll the center in a run: short, so that tests do not wait.
const PollInterval = 5 * time.Millisecond

// Execute runs a command line (without the program name) in env and
// returns the exit status, as cli.Run does for the whole vigil tree.
type Execute func(ctx context.Context, env clikit.Env, args []string) int

// Commands returns an Execute for a vigil command tree holding only the
// commands that cmds make, with the vigil binary's global flags, output
// check and error report (clikit.NewRoot and clikit.Run): for the tests of
// a command package that package cli, which imports it, cannot serve.
func Commands(cmds ...func(*clikit.App) *cobra.Command) Execute {
	return func(ctx context.Context, env clikit.Env, args []string) int {
		a := clikit.NewApp(env)
		root := clikit.NewRoot(a)
		for _, cmd := range cmds {
			root.AddCommand(cmd(a))
		}
		return clikit.Run(ctx, a, clikit.Group(root), args)
	}
}

// Result is one run of a command line.
type Result struct {
	Stdout, Stderr string
	// Code is the exit status.
	Code int
}

// Runner runs command lines in-process. Its fields are read at each run.
type Runner struct {
	// TB is the test that OK fails.
	TB testing.TB
	// Execute runs the command tree.
	Execute Execute
	// Vars are the environment variables a run reads (clikit.EnvServer,
	// EnvToken and EnvCA); a missing one is empty.
	Vars map[string]string
	// Now is the command's clock.
	Now func() time.Time
	// Server, when not empty, is written as SERVER where it stands in
	// stderr, so that messages can be compared.
	Server string
}

// For returns a Runner of execute against env's API as env's admin, at
// env's clock, writing env's URL in stderr as SERVER.
func For(tb testing.TB, env *apiclienttest.Env, execute Execute) *Runner {
	return &Runner{
		TB:      tb,
		Execute: execute,
		Vars:    map[string]string{clikit.EnvServer: env.URL, clikit.EnvToken: env.AdminToken, clikit.EnvCA: env.CAFile},
		Now:     env.Clock,
		Server:  env.URL,
	}
}

// Env is the environment of a run that reads stdin, writes stdout and
// stderr and sees the variables vars.
func (r *Runner) Env(vars map[string]string, stdin io.Reader, stdout, stderr io.Writer) clikit.Env {
	return clikit.Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Getenv: func(k string) string { return vars[k] }, Now: r.Now,
		PollInterval: PollInterval,
	}
}

// Run runs the command line args with stdin and r.Vars.
func (r *Runner) Run(ctx context.Context, stdin string, args ...string) Result {
	return r.RunEnv(ctx, r.Vars, stdin, args...)
}

// RunAs is Run with the API token token.
func (r *Runner) RunAs(ctx context.Context, token, stdin string, args ...string) Result {
	vars := maps.Clone(r.Vars)
	if vars == nil {
		vars = map[string]string{}
	}
	vars[clikit.EnvToken] = token
	return r.RunEnv(ctx, vars, stdin, args...)
}

// RunEnv is Run with the environment variables vars alone.
func (r *Runner) RunEnv(ctx context.Context, vars map[string]string, stdin string, args ...string) Result {
	var stdout, stderr SyncBuffer
	code := r.Execute(ctx, r.Env(vars, strings.NewReader(stdin), &stdout, &stderr), args)
	errText := stderr.String()
	if r.Server != "" {
		errText = strings.ReplaceAll(errText, r.Server, "SERVER")
	}
	return Result{Stdout: stdout.String(), Stderr: errText, Code: code}
}

// OK runs args with r.Vars and no input, fails the test unless the
// command succeeded, and returns its stdout.
func (r *Runner) OK(args ...string) string {
	r.TB.Helper()
	res := r.Run(context.Background(), "", args...)
	if res.Code != 0 {
		r.TB.Fatalf("vigil %s: exit %d, stderr %q", strings.Join(args, " "), res.Code, res.Stderr)
	}
	return res.Stdout
}

// SyncBuffer is a bytes.Buffer safe for a reader while the command writes.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
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

// Golden compares got with testdata/name.golden, rewriting the file with
// -update.
func Golden(tb testing.TB, name, got string) {
	tb.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		tb.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
