package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/center/api/apitest"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/store"
)

// writeFiles writes files (name -> content) under a new folder.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// ruleFiles returns the names of the center's imported files.
func (h *harness) ruleFiles() []string {
	h.t.Helper()
	files, err := h.api.Store.Rules().Files(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	return names
}

func TestRulesImport(t *testing.T) {
	h := newHarness(t)
	good, err := os.ReadFile("testdata/rules/good/linux/proc_creation_curl_pipe_shell.yml")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := os.ReadFile("testdata/rules/mixed/linux/proc_creation_bad_modifier.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{
		"linux/curl.yml":      string(good),
		"linux/curl.test.yml": "cases: []\n",
		"linux/notes.txt":     "not a rule",
		".git/config.yml":     "hidden",
	})
	out := h.OK("rules", "import", dir)
	if out != "FILE            RULES  IMPORTED\nlinux/curl.yml  1      new\n" {
		t.Errorf("import of a folder: %q", out)
	}
	if got := h.ruleFiles(); !cmp.Equal(got, []string{"custom/proc_creation_nc.yml", "linux/curl.yml"}) {
		t.Errorf("files %v", got)
	}

	// One bad file: nothing is imported, every problem is printed.
	badFile := filepath.Join(writeFiles(t, map[string]string{"bad.yml": string(bad)}), "bad.yml")
	other := filepath.Join(writeFiles(t, map[string]string{"other.yml": strings.Replace(string(good), "3c1f7a2e", "3c1f7a2f", 1)}), "other.yml")
	r := h.Run(context.Background(), "", "rules", "import", badFile, other)
	want := "bad.yml:8: rule 6f4c0d5b-2e7a-4b1d-9f8a-4a5b6c7d8e9f (Bad modifier): "
	if r.Code != 1 || r.Stdout != "" || !strings.HasPrefix(r.Stderr, want) ||
		!strings.HasSuffix(r.Stderr, "vigil: 1 of 2 files have problems; nothing was imported (force imports the files that load)\n") {
		t.Errorf("refused: exit %d\nstdout %q\nstderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if got := h.ruleFiles(); len(got) != 2 {
		t.Errorf("a refused import stored %v", got)
	}
	// --force imports the rest.
	r = h.Run(context.Background(), "", "rules", "import", "--force", badFile, other)
	if r.Code != 0 || r.Stdout != "FILE       RULES  IMPORTED\nother.yml  1      new\n" || !strings.HasPrefix(r.Stderr, "vigil: skipped bad.yml\n"+want) {
		t.Errorf("forced: exit %d\nstdout %q\nstderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = h.Run(context.Background(), "", "rules", "import", "--force", badFile)
	if r.Code != 1 || !strings.HasSuffix(r.Stderr, "vigil: no rule file imported: each has a problem\n") {
		t.Errorf("forced, nothing loads: exit %d, stderr %q", r.Code, r.Stderr)
	}
	// Two arguments that would be imported under one name.
	r = h.Run(context.Background(), "", "rules", "import", other, filepath.Join(dir, "linux", "curl.yml"), filepath.Join(writeFiles(t, map[string]string{"other.yml": "x"}), "other.yml"))
	if r.Code != 1 || !strings.Contains(r.Stderr, "would both be imported as other.yml") {
		t.Errorf("clash: exit %d, stderr %q", r.Code, r.Stderr)
	}

	if out := h.OK("rules", "delete", "linux/curl.yml"); out != "rule file linux/curl.yml deleted\n" {
		t.Errorf("delete: %q", out)
	}
	r = h.Run(context.Background(), "", "rules", "delete", "linux/curl.yml")
	if r.Code != 1 || r.Stderr != "vigil: rule file linux/curl.yml not found\n" {
		t.Errorf("second delete: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestRulesSettings(t *testing.T) {
	h := newHarness(t)
	id := apitest.RuleCurlPipe
	if out := h.OK("rules", "set-severity", id, "critical"); out != "rule "+id+" (Download piped to a shell) is enabled, severity critical\n" {
		t.Errorf("set-severity: %q", out)
	}
	// Switching it off keeps the severity chosen.
	if out := h.OK("rules", "disable", id); out != "rule "+id+" (Download piped to a shell) is disabled, severity critical\n" {
		t.Errorf("disable: %q", out)
	}
	settings, err := h.api.Store.Rules().Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got *store.RuleSetting
	for i := range settings {
		if settings[i].RuleID == id {
			got = &settings[i]
		}
	}
	if got == nil || !got.Disabled || got.Severity != store.SeverityCritical || got.Author != "token:admin" {
		t.Errorf("stored setting %+v", got)
	}
	if out := h.OK("rules", "enable", id); out != "rule "+id+" (Download piped to a shell) is enabled, severity critical\n" {
		t.Errorf("enable: %q", out)
	}
	if out := h.OK("rules", "reset", id); out != "rule "+id+" is back to its defaults\n" {
		t.Errorf("reset: %q", out)
	}
	r := h.Run(context.Background(), "", "rules", "set-severity", id, "severe")
	if r.Code != 1 || r.Stderr != "vigil: severity \"severe\": want low, medium, high or critical\nRun 'vigil rules set-severity --help' for usage.\n" {
		t.Errorf("bad severity: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = h.Run(context.Background(), "", "rules", "disable", "nope")
	if r.Code != 1 || r.Stderr != "vigil: rule nope not found\n" {
		t.Errorf("unknown rule: exit %d, stderr %q", r.Code, r.Stderr)
	}
	h.Vars[EnvToken] = h.api.ViewerToken
	r = h.Run(context.Background(), "", "rules", "disable", id)
	if r.Code != 1 || r.Stderr != "vigil: role viewer may not do this (needs responder) — ask an admin for a token with that role\n" {
		t.Errorf("as viewer: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestIncidentHandling(t *testing.T) {
	h := newHarness(t)
	id := h.incidents[0]
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"incidents", "ack", id, "-m", "looking"}, "incident " + id + " is now investigating\n"},
		{[]string{"incidents", "assign", id, "bob"}, "incident " + id + " is now investigating, assigned to bob\n"},
		{[]string{"incidents", "resolve", id, "--false-positive", "-m", "maintenance"}, "incident " + id + " is now false_positive, assigned to bob\n"},
		{[]string{"incidents", "reopen", id}, "incident " + id + " is now open, assigned to bob\n"},
		{[]string{"incidents", "resolve", id}, "incident " + id + " is now resolved, assigned to bob\n"},
	} {
		if out := h.OK(tc.args...); out != tc.want {
			t.Errorf("%v: %q, want %q", tc.args, out, tc.want)
		}
	}
	inc, err := h.api.Store.Incidents().Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, c := range inc.Comments {
		states = append(states, string(c.State)+":"+c.Text)
	}
	want := []string{"investigating:looking", "investigating:", "false_positive:maintenance", "open:", "resolved:"}
	if !cmp.Equal(states, want) || inc.Assignee != "bob" {
		t.Errorf("comments %v, assignee %q", states, inc.Assignee)
	}
	r := h.Run(context.Background(), "", "incidents", "resolve", id)
	if r.Code != 1 || r.Stderr != "vigil: incident "+id+" is resolved and cannot become resolved\n" {
		t.Errorf("no move: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = h.Run(context.Background(), "", "incidents", "timeline", id, "--before", "25h")
	if r.Code != 1 || !strings.Contains(r.Stderr, "--before: want a duration up to 24h") {
		t.Errorf("long timeline: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestExceptionCommands(t *testing.T) {
	h := newHarness(t)
	r := h.Run(context.Background(), "", "exceptions", "create", "--rule", apitest.RuleToolPort, "--agent", "7f3c9a",
		"--match", "process.executable=/opt/tool/*", "--match", "process.executable=/usr/bin/nc", "--match", "user.name=ops",
		"--reason", "the ops team's port check", "--expires", "7d", "-o", "json")
	if r.Code != 0 {
		t.Fatalf("create: exit %d, stderr %q", r.Code, r.Stderr)
	}
	var created store.Exception
	decodeJSON(t, r.Stdout, &created)
	want := map[string][]string{"process.executable": {"/opt/tool/*", "/usr/bin/nc"}, "user.name": {"ops"}}
	if !cmp.Equal(created.Match, want) || !created.ExpiresAt.Equal(now.AddDate(0, 0, 7)) || created.Author != "token:admin" || created.AgentID != "7f3c9a" {
		t.Errorf("created %+v", created)
	}
	out := h.OK("exceptions", "update", created.ID, "--reason", "checked weekly", "--no-expiry")
	if out != "exception "+created.ID+" updated\n" {
		t.Errorf("update: %q", out)
	}
	got, err := h.api.Store.Exceptions().Get(context.Background(), created.ID)
	if err != nil || got.Reason != "checked weekly" || !got.ExpiresAt.IsZero() || !cmp.Equal(got.Match, want) || got.RuleID != apitest.RuleToolPort {
		t.Errorf("updated %+v, %v", got, err)
	}
	h.OK("exceptions", "update", created.ID, "--match", "user.name=root", "--rule", "", "--expires", "2026-01-01")
	got, _ = h.api.Store.Exceptions().Get(context.Background(), created.ID)
	if !cmp.Equal(got.Match, map[string][]string{"user.name": {"root"}}) || got.RuleID != "" || got.ExpiresAt.Format("2006-01-02") != "2026-01-01" {
		t.Errorf("updated again %+v", got)
	}
	if out := h.OK("exceptions", "delete", created.ID); out != "exception "+created.ID+" deleted\n" {
		t.Errorf("delete: %q", out)
	}
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"exceptions", "create", "--agent", "7f3c9a"}, "vigil: --reason is required: say why the activity is accepted\n"},
		{[]string{"exceptions", "create", "--reason", "x"}, "vigil: give --match, --rule or --agent: an exception of every event would silence detection\n"},
		{[]string{"exceptions", "create", "--reason", "x", "--match", "user.name"}, "vigil: --match: \"user.name\": want field=pattern, such as process.executable=/usr/bin/backup-*\n"},
		{[]string{"exceptions", "create", "--reason", "x", "--agent", "7f3c9a", "--expires", "soon"}, "vigil: --expires: \"soon\": want a duration such as 7d or 12h, or an RFC 3339 time such as 2025-01-02T15:04:05Z\n"},
		{[]string{"exceptions", "create", "--reason", "x", "--rule", "nope"}, "vigil: rule_id \"nope\": no such rule is loaded\n"},
		{[]string{"exceptions", "create", "--reason", "x", "--match", "process name=x"}, "vigil: match: field \"process name\": want a dotted ECS field such as process.executable (at most 128 bytes)\n"},
		{[]string{"exceptions", "update", "ex-apt", "--expires", "1d", "--no-expiry"}, "vigil: --expires and --no-expiry exclude each other\n"},
		{[]string{"exceptions", "show", "nope"}, "vigil: exception nope not found\n"},
	} {
		r := h.Run(context.Background(), "", tc.args...)
		stderr := r.Stderr
		if i := strings.Index(stderr, "Run '"); i >= 0 {
			stderr = stderr[:i]
		}
		if r.Code != 1 || stderr != tc.stderr {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, r.Code, r.Stderr, tc.stderr)
		}
	}
}

// TestRulesLocal runs lint and test over folders of rules without a
// center: output, problems and exit status.
func TestRulesLocal(t *testing.T) {
	const nowhere = "https://127.0.0.1:1"
	h := &harness{t: t, Runner: &clikittest.Runner{TB: t, Execute: Run, Vars: map[string]string{EnvServer: nowhere},
		Now: func() time.Time { return now }, Server: nowhere}}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"rules_lint_good", []string{"rules", "lint", "testdata/rules/good"}, 0, ""},
		{"rules_lint_mixed", []string{"rules", "lint", "testdata/rules/mixed"}, 1, "vigil: 3 rules or files under testdata/rules/mixed cannot be loaded\n"},
		{"rules_lint_mixed_json", []string{"rules", "lint", "testdata/rules/mixed", "-o", "json"}, 1, "vigil: 3 rules or files under testdata/rules/mixed cannot be loaded\n"},
		{"rules_test_good", []string{"rules", "test", "testdata/rules/good", "-v"}, 0, ""},
		{"rules_test_mixed", []string{"rules", "test", "testdata/rules/mixed"}, 1,
			"vigil: note: 3 rules or files under testdata/rules/mixed cannot be loaded (see vigil rules lint testdata/rules/mixed)\nvigil: 1 of 2 rule test cases failed\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Run(context.Background(), "", tc.args...)
			if r.Code != tc.code || r.Stderr != tc.stderr {
				t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
			}
			clikittest.Golden(t, tc.name, r.Stdout)
		})
	}
	untested := writeFiles(t, map[string]string{"x.yml": "title: x\n"})
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"rules", "lint", "testdata/nowhere"}, "vigil: stat testdata/nowhere: no such file or directory\n"},
		{[]string{"rules", "lint", "testdata/rules/good/linux/auth_ssh_bruteforce.yml"}, "vigil: testdata/rules/good/linux/auth_ssh_bruteforce.yml is not a folder\nRun 'vigil rules lint --help' for usage.\n"},
		{[]string{"rules", "test", untested}, "vigil: no rule tests (*.test.yml) under " + untested + "\n"},
	} {
		r := h.Run(context.Background(), "", tc.args...)
		if r.Code != 1 || r.Stderr != tc.stderr {
			t.Errorf("%v: exit %d, stderr %q", tc.args, r.Code, r.Stderr)
		}
	}
}
