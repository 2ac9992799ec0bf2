package clikittest_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
)

// server stands for a center's URL; nothing listens there.
const server = "https://127.0.0.1:9"

var at = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// echoCmd is `vigil echo`: it prints the token, stdin and clock of its
// run, and fails naming the server with --fail.
func echoCmd(a *clikit.App) *cobra.Command {
	var fail bool
	cmd := &cobra.Command{
		Use: "echo",
		RunE: func(cmd *cobra.Command, args []string) error {
			if fail {
				return fmt.Errorf("cannot reach %s", a.Env.Getenv(clikit.EnvServer))
			}
			in, err := io.ReadAll(a.Env.Stdin)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Env.Stdout, "token %s, stdin %q, at %s, -o %s\n", a.Env.Getenv(clikit.EnvToken), in,
				a.Env.Now().Format(time.RFC3339), a.Output)
			return err
		},
	}
	cmd.Flags().BoolVar(&fail, "fail", false, "fail")
	return cmd
}

func newRunner(tb testing.TB) *clikittest.Runner {
	return &clikittest.Runner{TB: tb, Execute: clikittest.Commands(echoCmd),
		Vars: map[string]string{clikit.EnvServer: server, clikit.EnvToken: "tok-admin"},
		Now:  func() time.Time { return at }, Server: server}
}

func TestRunner(t *testing.T) {
	r := newRunner(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func() clikittest.Result
		want clikittest.Result
	}{
		{"run", func() clikittest.Result { return r.Run(ctx, "hello", "echo", "-o", "json") },
			clikittest.Result{Stdout: "token tok-admin, stdin \"hello\", at 2025-03-04T10:00:00Z, -o json\n"}},
		{"as another", func() clikittest.Result { return r.RunAs(ctx, "tok-viewer", "", "echo") },
			clikittest.Result{Stdout: "token tok-viewer, stdin \"\", at 2025-03-04T10:00:00Z, -o table\n"}},
		{"own variables", func() clikittest.Result { return r.RunEnv(ctx, map[string]string{clikit.EnvToken: "x"}, "", "echo") },
			clikittest.Result{Stdout: "token x, stdin \"\", at 2025-03-04T10:00:00Z, -o table\n"}},
		{"server masked", func() clikittest.Result { return r.Run(ctx, "", "echo", "--fail") },
			clikittest.Result{Stderr: "vigil: cannot reach SERVER\n", Code: 1}},
		{"unknown command", func() clikittest.Result { return r.Run(ctx, "", "ech") },
			clikittest.Result{Stderr: "vigil: unknown command \"ech\" for \"vigil\"; did you mean echo?\nRun 'vigil --help' for usage.\n", Code: 1}},
		{"bad output", func() clikittest.Result { return r.Run(ctx, "", "echo", "-o", "yaml") },
			clikittest.Result{Stderr: "vigil: --output \"yaml\": want table or json\n", Code: 1}},
		{"bad flag", func() clikittest.Result { return r.Run(ctx, "", "echo", "--loud") },
			clikittest.Result{Stderr: "vigil: unknown flag: --loud\nRun 'vigil echo --help' for usage.\n", Code: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.run(); got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if r.Vars[clikit.EnvToken] != "tok-admin" {
		t.Errorf("RunAs changed the runner's variables: %v", r.Vars)
	}
	// Without Server, stderr is left as written.
	r.Server = ""
	if got := r.Run(ctx, "", "echo", "--fail"); got.Stderr != "vigil: cannot reach "+server+"\n" {
		t.Errorf("stderr %q", got.Stderr)
	}
}

// recorder is a test whose failures are noted, not reported.
type recorder struct {
	testing.TB
	fatal, errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = append(r.fatal, fmt.Sprintf(format, args...))
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestOK(t *testing.T) {
	rec := &recorder{TB: t}
	r := newRunner(rec)
	if out := r.OK("echo"); out != "token tok-admin, stdin \"\", at 2025-03-04T10:00:00Z, -o table\n" || len(rec.fatal) != 0 {
		t.Errorf("OK = %q, failures %q", out, rec.fatal)
	}
	r.OK("echo", "--fail")
	if want := "vigil echo --fail: exit 1, stderr \"vigil: cannot reach SERVER\\n\""; len(rec.fatal) != 1 || rec.fatal[0] != want {
		t.Errorf("failures %q, want [%q]", rec.fatal, want)
	}
}

func TestGolden(t *testing.T) {
	clikittest.Golden(t, "table", "AGENT   HOST\n7f3c9a  web-1\n")

	rec := &recorder{TB: t}
	clikittest.Golden(rec, "table", "AGENT   HOST\n7f3c9a  web-2\n")
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "testdata/table.golden differs") || !strings.Contains(rec.errors[0], "web-2") {
		t.Errorf("a changed output: %q", rec.errors)
	}
	rec = &recorder{TB: t}
	clikittest.Golden(rec, "nowhere", "x")
	if len(rec.fatal) != 1 || !strings.Contains(rec.fatal[0], "run go test -update to create it") {
		t.Errorf("a missing golden file: %q", rec.fatal)
	}
}

func TestSyncBuffer(t *testing.T) {
	var b clikittest.SyncBuffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			fmt.Fprint(&b, "x")
		}
	}()
	for range 100 {
		_ = b.String()
	}
	<-done
	if got := b.String(); got != strings.Repeat("x", 100) {
		t.Errorf("%d bytes written", len(got))
	}
}
