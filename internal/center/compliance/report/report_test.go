package report

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/vigilsec/vigil/internal/compliance/eval"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// render renders r or fails the test.
func render(t testing.TB, r *Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, r); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return buf.String()
}

// TestGolden compares the host and fleet reports in both languages with
// testdata/*.html (go test -update rewrites them).
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		file   string
		report *Report
	}{
		{"host_en.html", hostReport(English)},
		{"host_zh.html", hostReport(Chinese)},
		{"fleet_en.html", fleetReport(English)},
		{"fleet_zh.html", fleetReport(Chinese)},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got := render(t, tc.report)
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
			}
		})
	}
}

// TestDeterministic: the same report renders to the same bytes (maps of
// labels, references and evidence fields are ordered).
func TestDeterministic(t *testing.T) {
	first := render(t, hostReport(English))
	for range 5 {
		if got := render(t, hostReport(English)); got != first {
			t.Fatal("two renderings of the same report differ")
		}
	}
}

// TestContent checks the parts of each report that auditors read.
func TestContent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		report *Report
		want   []string
		absent []string
	}{
		{"host en", hostReport(English), []string{
			`<html lang="en">`, "<h1>Compliance report</h1>", "Host report", "web-01.prod", "7f3c2a1e-5b8d-4c61-9a0e-2d4f6b8c1e3a",
			"Debian GNU/Linux 12 (bookworm)", "env=prod, role=web", "2026-05-04 01:30:00 UTC", "vigil-center.corp.example:8443",
			"China MLPS 2.0 Level 3", "(mlps_level3 1.0.0)", "(cis_debian12 1.1.0)",
			"Executive summary", "Failed checks by severity", "Failed and error checks (5)", "Excepted checks (2)",
			"Passed and not applicable checks (4)", "<b>MLPS 2.0</b> 8.1.4.1 b), 8.1.4.2 c)", "<b>CIS</b> 5.1.20",
			"/etc/ssh/sshd_config:32: PermitRootLogin yes", "Rule 1", "does not hold", "could not be evaluated", "negated",
			"systemd: connect to the system bus: permission denied", "a rule could not be evaluated",
			"Public web server: ports 80 and 443 approved by change CHG-2231.", "2026-12-31 00:00:00 UTC", "li.wei",
			"<b>Expires:</b> never", "applies_if does not hold", "Set PermitRootLogin no",
			"The policy&#39;s requirements do not hold on this host", "42.9%", "50.0%",
		}, []string{"Fleet report", "Hosts by score"}},
		{"host zh", hostReport(Chinese), []string{
			`<html lang="zh-CN">`, "<h1>合规检查报告</h1>", "单台主机", "网络安全等级保护 2.0 第三级", "概要",
			"不通过和出错的检查项 (5)", "已豁免的检查项 (2)", "通过和不适用的检查项 (4)", "<b>等保 2.0</b> 8.1.4.1 b)",
			"确保禁止 root 通过 SSH 登录", "规则 1", "不成立", "永不过期", "严重", "高危", "中危", "低危", "合规率",
			"本主机不满足该策略的适用条件",
		}, []string{"Compliance report", "Executive summary", "Rule 1", "Failed and error checks"}},
		{"fleet en", fleetReport(English), []string{
			"Fleet report: 6 hosts", "Hosts by score, lowest first (6)", "Checks by failing hosts, most first",
			"Checks failing on at least one host, by severity", "build-07", "43.5%", "not applicable",
		}, []string{"Failed and error checks", "Host report", "Agent ID</dt>"}},
		{"fleet zh", fleetReport(Chinese), []string{
			"全部主机：6 台", "各主机合规率（由低到高）", "各检查项的主机数", "至少在一台主机上不通过的检查项",
		}, []string{"Fleet report"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, tc.report)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("the report lacks %q", w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(got, a) {
					t.Errorf("the report holds %q", a)
				}
			}
		})
	}
}

// TestEscaping: hostile texts from agents, policies and exceptions come
// out as text, never as markup.
func TestEscaping(t *testing.T) {
	const hostile = `<script>alert(1)</script>"><img src=x onerror=alert(2)><style>body{display:none}</style>`
	r := hostReport(English)
	r.Center = hostile
	r.Host.Hostname = hostile
	r.Host.Labels["x"] = hostile
	p := &r.Policies[0]
	p.Name.En = hostile
	for i := range p.Results {
		res := &p.Results[i]
		res.Title.En = hostile
		res.Reason = hostile
		res.Remediation.En = hostile
		res.References["cis"] = []string{hostile}
		res.CheckID += hostile
		if res.Exception != nil {
			res.Exception.Reason = hostile
			res.Exception.CreatedBy = hostile
		}
		if res.Status == StatusFail {
			res.Evidence = evidenceJSON(map[string]any{"index": 0, "type": hostile, "result": hostile, "error": hostile,
				"evidence": []string{hostile}, hostile: hostile, "output": hostile})
		}
	}
	p.Results[4].Evidence = []byte(hostile) // not JSON: shown as text
	got := render(t, r)
	for _, bad := range []string{"<script", "<img", "<style>body"} {
		if strings.Contains(got, bad) {
			t.Errorf("the report holds %q unescaped", bad)
		}
	}
	for _, tag := range tags(got) {
		if strings.Contains(strings.ToLower(tag), "onerror") {
			t.Errorf("tag %s has an event handler", tag)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;"} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks the escaped %q", want)
		}
	}
	if n := strings.Count(got, "&lt;script&gt;"); n < 20 {
		t.Errorf("only %d escaped hostile texts: some were left out", n)
	}
	// The fixture's own hostile evidence value.
	clean := render(t, hostReport(English))
	if strings.Contains(clean, "<script") || strings.Contains(clean, "<img") ||
		!strings.Contains(clean, "&lt;script&gt;alert(&#39;evidence&#39;)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the fixture's evidence output is not shown escaped")
	}
}

// TestSelfContained: no script, no outside resource, only links within
// the document.
func TestSelfContained(t *testing.T) {
	for _, r := range []*Report{hostReport(English), hostReport(Chinese), fleetReport(English)} {
		got := render(t, r)
		for _, bad := range []string{"<script", "<link", "<iframe", "<object", "<embed", "<img", "<svg", "url(", "@import", "http://", "https://"} {
			if strings.Contains(strings.ToLower(got), bad) {
				t.Errorf("%s report holds %q", r.Lang, bad)
			}
		}
		for _, tag := range tags(got) {
			if l := strings.ToLower(tag); strings.Contains(l, " src=") || strings.Contains(l, " on") || strings.Contains(l, "http-equiv") {
				t.Errorf("%s report: tag %s loads or runs something", r.Lang, tag)
			}
		}
		for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(got, -1) {
			if !strings.HasPrefix(m[1], "#") {
				t.Errorf("link to %q leaves the document", m[1])
			} else if !strings.Contains(got, `id="`+m[1][1:]+`"`) {
				t.Errorf("link to %q has no target", m[1])
			}
		}
		for _, want := range []string{"@media print", "size: A4", "break-before: page", "Noto Sans CJK SC", "Microsoft YaHei", "WenQuanYi Micro Hei", `<meta charset="utf-8">`} {
			if !strings.Contains(got, want) {
				t.Errorf("%s report lacks %q", r.Lang, want)
			}
		}
		if !utf8.ValidString(got) {
			t.Errorf("%s report is not valid UTF-8", r.Lang)
		}
	}
}

// tags returns the tags of an HTML document.
func tags(doc string) []string {
	return regexp.MustCompile(`<[!/]?[a-zA-Z][^>]*>`).FindAllString(doc, -1)
}

// TestOrdering: failed and error checks by severity then id (numbers
// compared as numbers), excepted likewise, the others by id; fleet hosts
// lowest score first, checks by failing hosts.
func TestOrdering(t *testing.T) {
	v := buildView(hostReport(English))
	ids := func(cs []checkView) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	p := v.Policies[0]
	for _, tc := range []struct {
		name      string
		got, want []string
	}{
		{"failing", ids(p.Failing), []string{"mlps_level3.8.1.4.1.a.4", "mlps_level3.8.1.4.1.b.9", "mlps_level3.8.1.4.1.b.10",
			"mlps_level3.8.1.4.3.a.2", "mlps_level3.8.1.4.2.d.1"}},
		{"excepted", ids(p.Excepted), []string{"mlps_level3.8.1.4.4.c.1", "mlps_level3.8.1.4.4.a.3"}},
		{"others", ids(p.Others), []string{"mlps_level3.8.1.4.1.a.1", "mlps_level3.8.1.4.1.a.2", "mlps_level3.8.1.4.1.c.2", "mlps_level3.8.1.4.3.b.1"}},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	if diff := cmp.Diff([]int{1, 2, 0, 1}, p.BySeverity); diff != "" {
		t.Errorf("failed checks by severity (-want +got):\n%s", diff)
	}

	fv := buildView(fleetReport(English)).Policies[0]
	var hosts, checks []string
	for _, h := range fv.Hosts {
		hosts = append(hosts, h.Hostname)
	}
	for _, c := range fv.Checks {
		checks = append(checks, c.ID)
	}
	if diff := cmp.Diff([]string{"build-07", "app-02.prod", "web-01.prod", "db-01.prod", "fresh-01", "win-jump"}, hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"mlps_level3.8.1.4.1.b.9", "mlps_level3.8.1.4.2.d.1", "mlps_level3.8.1.4.1.a.4",
		"mlps_level3.8.1.4.4.c.1", "mlps_level3.8.1.4.1.a.1", "mlps_level3.8.1.4.1.c.2"}, checks); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 1, 1, 1}, fv.BySeverity); diff != "" {
		t.Errorf("fleet checks failing by severity (-want +got):\n%s", diff)
	}

	// In the document too: the critical failure comes before the high ones.
	doc := render(t, hostReport(English))
	a, b := strings.Index(doc, "<code>mlps_level3.8.1.4.1.a.4</code>"), strings.Index(doc, "<code>mlps_level3.8.1.4.1.b.9</code>")
	c := strings.Index(doc, "<code>mlps_level3.8.1.4.1.b.10</code>")
	if a < 0 || b < 0 || c < 0 || !(a < b && b < c) {
		t.Errorf("failing checks out of order in the document: %d %d %d", a, b, c)
	}
}

// TestUnknownSeverity: a failure whose severity the center does not
// know is counted in its own column, after the low ones.
func TestUnknownSeverity(t *testing.T) {
	r := hostReport(English)
	p := &r.Policies[1]
	p.Results = append(p.Results, Result{CheckID: "cis_debian12.0.1", Status: StatusFail, Title: txt("Unknown check", "")})
	*p = withCounts(*p)
	v := buildView(r)
	if n := len(v.SeverityColumns); n != 5 || v.SeverityColumns[4].Class != "sev-none" {
		t.Fatalf("severity columns %+v", v.SeverityColumns)
	}
	if diff := cmp.Diff([]int{0, 0, 1, 0, 1}, v.Policies[1].BySeverity); diff != "" {
		t.Errorf("failed checks by severity (-want +got):\n%s", diff)
	}
	if f := v.Policies[1].Failing; f[len(f)-1].ID != "cis_debian12.0.1" {
		t.Errorf("the check without severity is not last: %v", f)
	}
	if got := render(t, r); !strings.Contains(got, `<span class="badge sev-none">Unspecified</span>`) {
		t.Error("the unspecified severity is not shown")
	}
	if v := buildView(hostReport(English)); len(v.SeverityColumns) != 4 {
		t.Errorf("%d severity columns without an unknown severity, want 4", len(v.SeverityColumns))
	}
}

func TestCompareIDs(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"x.1.9", "x.1.10", -1},
		{"x.1.10", "x.1.9", 1},
		{"x.01", "x.1", 0},
		{"x.1", "x.1", 0},
		{"x.1", "x.1.1", -1},
		{"a", "b", -1},
		{"8.1.4.1.a.2", "8.1.4.1.b.1", -1},
		{"c99", "c100", -1},
		{"", "a", -1},
		{"x.123456789012345678901234567890", "x.123456789012345678901234567891", -1},
	} {
		if got := compareIDs(tc.a, tc.b); got != tc.want {
			t.Errorf("compareIDs(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestFallback: a text empty in the report's language shows in the
// other; a policy without a name shows its id.
func TestFallback(t *testing.T) {
	for _, tc := range []struct {
		name        string
		lang        string
		en, zh      string
		want, avoid string
	}{
		{"zh missing", Chinese, "Ensure SSH root login is disabled", "", "Ensure SSH root login is disabled", ""},
		{"en missing", English, "", "确保禁止 root 通过 SSH 登录", "确保禁止 root 通过 SSH 登录", ""},
		{"zh asked", Chinese, "English title", "中文标题", "中文标题", "English title"},
		{"en asked", English, "English title", "中文标题", "English title", "中文标题"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hostReport(tc.lang)
			res := &r.Policies[1].Results[1]
			res.Title = txt(tc.en, tc.zh)
			got := render(t, r)
			if !strings.Contains(got, "<h4>"+tc.want+"</h4>") {
				t.Errorf("title %q not shown", tc.want)
			}
			if tc.avoid != "" && strings.Contains(got, tc.avoid) {
				t.Errorf("title in the other language %q shown", tc.avoid)
			}
		})
	}
	r := hostReport(Chinese)
	r.Policies[1].Name = txt("", "")
	if got := render(t, r); !strings.Contains(got, "<h2>cis_debian12</h2>") {
		t.Error("a policy without a name does not show its id")
	}
}

// TestInvalid: a report Render refuses gives a clear error wrapping
// ErrInvalid and writes nothing.
func TestInvalid(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *Report)
		want   string
	}{
		{"unknown language", func(r *Report) { r.Lang = "fr" }, `unknown language "fr"`},
		{"empty language", func(r *Report) { r.Lang = "" }, `unknown language ""`},
		{"no time", func(r *Report) { r.GeneratedAt = time.Time{} }, "generation time"},
		{"nil policies", func(r *Report) { r.Policies = nil }, "no policies"},
		{"empty policies", func(r *Report) { r.Policies = []Policy{} }, "no policies"},
		{"host without id", func(r *Report) { r.Host.AgentID = "" }, "no agent id"},
		{"policy without id", func(r *Report) { r.Policies[1].ID = "" }, "policy 2: empty id"},
		{"policy twice", func(r *Report) { r.Policies[1].ID = "mlps_level3" }, `policy "mlps_level3": given twice`},
		{"unknown status", func(r *Report) { r.Policies[0].Results[2].Status = "failed" }, `unknown status "failed"`},
		{"unknown severity", func(r *Report) { r.Policies[0].Results[2].Severity = "urgent" }, `unknown severity "urgent"`},
		{"check without id", func(r *Report) { r.Policies[0].Results[2].CheckID = "" }, "result 3: empty check id"},
		{"check twice", func(r *Report) { r.Policies[0].Results[2].CheckID = r.Policies[0].Results[1].CheckID }, "given twice"},
		{"counts disagree", func(r *Report) { r.Policies[0].Counts.Fail++; r.Policies[0].Counts.Total++ }, "do not agree with the results"},
		{"total not the sum", func(r *Report) { r.Policies[0].Counts.Total++ }, "the total is not their sum"},
		{"negative count", func(r *Report) { r.Policies[0].Counts.Pass = -1 }, "negative counts"},
		{"score NaN", func(r *Report) { r.Policies[0].Score = score(math.NaN()) }, "not a percentage"},
		{"score above 100", func(r *Report) { r.Policies[0].Score = score(101) }, "not a percentage"},
		{"fleet data in a host report", func(r *Report) { r.Policies[0].Hosts = []HostScore{{AgentID: "a"}} }, "a host report has no fleet standing"},
		{"results in a fleet report", func(r *Report) { r.Host = nil }, "a fleet report has no per-check results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hostReport(English)
			tc.change(r)
			var buf bytes.Buffer
			err := Render(&buf, r)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Render = %v, want an ErrInvalid error with %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written for a refused report", buf.Len())
			}
		})
	}
	if err := Render(&bytes.Buffer{}, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "nil report") {
		t.Errorf("Render(nil) = %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(r *Report)
		want   string
	}{
		{"host without id", func(r *Report) { r.Policies[0].Hosts[2].AgentID = "" }, "host 3: empty agent id"},
		{"host twice", func(r *Report) { r.Policies[0].Hosts[2].AgentID = "a-1" }, `host "a-1": given twice`},
		{"host counts", func(r *Report) { r.Policies[0].Hosts[0].Counts.Total = 3 }, `host "a-1": counts`},
		{"host score", func(r *Report) { r.Policies[0].Hosts[0].Score = score(-1) }, "not a percentage"},
		{"check severity", func(r *Report) { r.Policies[0].Checks[0].Severity = "severe" }, `unknown severity "severe"`},
		{"check twice", func(r *Report) { r.Policies[0].Checks[1].CheckID = r.Policies[0].Checks[0].CheckID }, "given twice"},
		{"check hosts", func(r *Report) { r.Policies[0].Checks[0].Hosts.Fail = -2 }, "negative counts"},
		{"check without id", func(r *Report) { r.Policies[0].Checks[0].CheckID = "" }, "check standing 1: empty check id"},
	} {
		t.Run("fleet "+tc.name, func(t *testing.T) {
			r := fleetReport(Chinese)
			tc.change(r)
			if err := Render(&bytes.Buffer{}, r); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Render = %v, want an ErrInvalid error with %q", err, tc.want)
			}
		})
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	err := Render(failingWriter{}, hostReport(English))
	if err == nil || errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "write: disk full") {
		t.Fatalf("Render to a failing writer = %v", err)
	}
}

// TestMinimal: a report with empty policies and no optional fields.
func TestMinimal(t *testing.T) {
	r := &Report{Lang: English, GeneratedAt: generatedAt, Host: &Host{AgentID: "a"}, Policies: []Policy{{ID: "p", Applicable: true}}}
	got := render(t, r)
	for _, want := range []string{"Failed and error checks (0)", "None.", "n/a", "<h2>p</h2>"} {
		if !strings.Contains(got, want) {
			t.Errorf("minimal report lacks %q", want)
		}
	}
	if strings.Contains(got, "Center") {
		t.Error("a report without a center shows the center row")
	}
	f := &Report{Lang: Chinese, GeneratedAt: generatedAt, Policies: []Policy{{ID: "p"}}}
	if got := render(t, f); !strings.Contains(got, "全部主机：0 台") || !strings.Contains(got, "无。") {
		t.Error("an empty fleet report does not say it has no hosts")
	}
}

// TestMessages: every message has both languages with the same
// arguments, and every key the code and the template use exists.
func TestMessages(t *testing.T) {
	verbs := regexp.MustCompile(`%[a-z]`)
	for key, m := range messages {
		if strings.TrimSpace(m.en) == "" || strings.TrimSpace(m.zh) == "" {
			t.Errorf("message %q lacks a language: %+v", key, m)
		}
		if e, z := verbs.FindAllString(m.en, -1), verbs.FindAllString(m.zh, -1); !slices.Equal(e, z) {
			t.Errorf("message %q: arguments %v in English, %v in Chinese", key, e, z)
		}
	}
	used := map[string]bool{}
	for _, file := range []string{"report.html.tmpl", "view.go", "evidence.go"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?:\{\{-?\s*t|must\()\s*"([a-z_]*[a-z])"`).FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
	}
	for _, prefix := range []string{"status_", "sev_", "ref_"} {
		for key := range messages {
			if strings.HasPrefix(key, prefix) {
				used[key] = true // built from the status, severity or reference system
			}
		}
	}
	if len(used) < 40 {
		t.Fatalf("only %d keys found in the sources", len(used))
	}
	for key := range used {
		if _, ok := messages[key]; !ok {
			t.Errorf("key %q is used but has no message", key)
		}
	}
	for key := range messages {
		if !used[key] {
			t.Errorf("message %q is never used", key)
		}
	}
	for _, s := range []string{StatusPass, StatusFail, StatusError, StatusNotApplicable, StatusExcepted} {
		for _, zh := range []bool{false, true} {
			if l := statusLabel(s, translator{zh: zh}); l.Label == "" || strings.HasPrefix(l.Label, "status_") {
				t.Errorf("status %s has no label", s)
			}
		}
	}
	for _, s := range severities {
		if l := severityLabel(s, translator{zh: true}); strings.HasPrefix(l.Label, "sev_") {
			t.Errorf("severity %q has no label", s)
		}
	}
	if _, err := (translator{}).word("no_such_key"); err == nil {
		t.Error("an unknown key gives no error")
	}
}

// TestLarge: 300 checks, 60 of them failing with 32 KiB of evidence that
// escapes to five times its size: the document stays bounded.
func TestLarge(t *testing.T) {
	const checks, evidence = 300, 32 << 10
	r := largeReport(checks, evidence)
	got := render(t, r)
	// Each failing check's evidence is cut at maxEvidenceRunes characters,
	// each escaping to at most 6 bytes; every check takes at most 2 KiB
	// besides its evidence.
	failing := checks / 5
	bound := 32<<10 + checks*2<<10 + failing*maxEvidenceRunes*6
	if len(got) > bound {
		t.Errorf("the report of %d checks is %d bytes, more than %d", checks, len(got), bound)
	}
	if !strings.Contains(got, "more lines not shown") {
		t.Error("the long evidence was not cut with a note")
	}
	if n := strings.Count(got, `<article class="check`); n != failing {
		t.Errorf("%d failing checks shown, want %d", n, failing)
	}
	if n := strings.Count(got, "<tr><td class=\"mono\">big."); n != checks-failing {
		t.Errorf("%d passed checks in the table, want %d", n, checks-failing)
	}
	t.Logf("%d checks (%d failing with %d KiB of evidence each): %d bytes", checks, failing, evidence>>10, len(got))
}

// BenchmarkRender renders host reports of growing size; the time per
// check stays flat when the rendering is linear.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{30, 300, 3000} {
		r := largeReport(n, 4<<10)
		b.Run(fmt.Sprintf("checks=%d", n), func(b *testing.B) {
			var size int
			for b.Loop() {
				var buf bytes.Buffer
				if err := Render(&buf, r); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size), "bytes/report")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/check")
		})
	}
	b.Run("fleet/hosts=5000", func(b *testing.B) {
		r := fleetReport(English)
		p := &r.Policies[0]
		p.Hosts = nil
		for i := range 5000 {
			c := eval.Counts{Pass: i % 50, Fail: 50 - i%50, Total: 50}
			p.Hosts = append(p.Hosts, HostScore{AgentID: fmt.Sprintf("agent-%d", i), Hostname: fmt.Sprintf("host-%04d", i),
				Applicable: true, Counts: c, Score: eval.Score(c)})
		}
		for b.Loop() {
			if err := Render(&bytes.Buffer{}, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
