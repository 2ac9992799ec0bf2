package compliancecmd_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cct "github.com/vigilsec/vigil/internal/cli/compliancecmd/compliancecmdtest"
)

// isReport reports whether doc is one of the center's HTML reports of
// the seeded fleet: a page naming the policy, with no script.
func isReport(doc string) bool {
	lower := strings.ToLower(doc)
	return strings.HasPrefix(strings.TrimSpace(lower), "<!doctype html") && strings.Contains(doc, "acme_baseline") &&
		!strings.Contains(lower, "<script")
}

// failingTitle is the title, in a language, of the check that fails on
// web-1: every report of acme_baseline that covers web-1 shows it.
var failingTitle = map[string]string{"en": "Ensure sshd PermitRootLogin is disabled", "zh": "确保 sshd 禁止 root 直接登录"}

// TestReport saves reports: to a file named with -o, never over an
// existing one without --force, to stdout with -o -, and under the name
// the center suggests without -o.
func TestReport(t *testing.T) {
	e, _ := seeded(t)
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "fleet.html")

	out := e.OK("compliance", "report", "--policy", "acme_baseline", "-o", file)
	data, err := os.ReadFile(file)
	if err != nil || !isReport(string(data)) || !strings.Contains(string(data), failingTitle["en"]) {
		t.Fatalf("report file (%v):\n%.400s", err, data)
	}
	if want := "report saved to " + file + " ("; !strings.HasPrefix(out, want) {
		t.Errorf("stdout %q, want %q...", out, want)
	}
	if reqs := e.Requests(); reqs[len(reqs)-1] != "GET /api/v1/compliance/report?lang=en&policy_id=acme_baseline" {
		t.Errorf("asked %s", reqs[len(reqs)-1])
	}

	r := e.Run(ctx, "", "compliance", "report", "--policy", "acme_baseline", "--lang", "zh", "-o", file)
	if r.Code != 1 || !strings.Contains(r.Stderr, file+" exists: give --force to replace it, or another -o FILE") {
		t.Errorf("overwrite without --force: %+v", r)
	}
	if again, _ := os.ReadFile(file); string(again) != string(data) {
		t.Error("the existing report was changed without --force")
	}
	e.OK("compliance", "report", "--policy", "acme_baseline", "--lang", "zh", "-o", file, "--force")
	if zh, err := os.ReadFile(file); err != nil || !isReport(string(zh)) || !strings.Contains(string(zh), failingTitle["zh"]) {
		t.Errorf("report replaced with --force (%v):\n%.400s", err, zh)
	}

	host := e.OK("compliance", "report", "--agent", cct.Web, "-o", "-")
	if !isReport(host) || !strings.Contains(host, failingTitle["en"]) || !strings.Contains(host, "web-1") {
		t.Errorf("host report on stdout:\n%.400s", host)
	}

	t.Chdir(dir)
	out = e.OK("compliance", "report", "--agent", cct.DB, "--policy", "acme_baseline")
	name := strings.Fields(out)[3]
	if !strings.HasPrefix(out, "report saved to ") || strings.ContainsAny(name, "/") || !strings.HasSuffix(name, ".html") {
		t.Fatalf("report under the center's name: %q", out)
	}
	if doc, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !isReport(string(doc)) {
		t.Errorf("%s (%v):\n%.400s", name, err, doc)
	}
}

// TestReportErrors checks refusals that need no report.
func TestReportErrors(t *testing.T) {
	e, _ := seeded(t)
	ctx := context.Background()
	file := writeFile(t, t.TempDir(), "kept.html", "mine")
	r := e.Run(ctx, "", "compliance", "report", "--policy", "acme_baseline", "-o", file)
	if r.Code != 1 || !strings.Contains(r.Stderr, file+" exists: give --force to replace it, or another -o FILE") {
		t.Errorf("existing file: %+v", r)
	}
	if reqs := e.Requests(); len(reqs) > 0 && strings.Contains(reqs[len(reqs)-1], "/compliance/report") {
		t.Errorf("asked the center for a report it cannot save: %s", reqs[len(reqs)-1])
	}
	if data, _ := os.ReadFile(file); string(data) != "mine" {
		t.Errorf("existing file changed: %q", data)
	}
	// -o here is the file: the global output format does not apply.
	r = e.Run(ctx, "", "compliance", "report", "--policy", "acme_baseline", "-o", filepath.Join(t.TempDir(), "no", "such", "dir.html"))
	if r.Code != 1 || !strings.Contains(r.Stderr, "vigil: create report: open ") || !strings.Contains(r.Stderr, "no such file or directory") {
		t.Errorf("report into a missing folder: %+v", r)
	}
	for args, want := range map[string]string{
		"--agent nope":  "vigil: agent nope not found\n",
		"--policy nope": "vigil: policy \"nope\": not in the catalogue\n",
	} {
		r := e.Run(ctx, "", append([]string{"compliance", "report", "-o", "-"}, strings.Fields(args)...)...)
		if r.Code != 1 || r.Stderr != want || r.Stdout != "" {
			t.Errorf("report %s: %+v, want %q", args, r, want)
		}
	}
}
