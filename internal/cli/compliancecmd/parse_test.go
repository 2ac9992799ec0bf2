package compliancecmd

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// now is the clock of these tests.
var now = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{"", "", false},
		{"  ", "", false},
		{"fail", "fail", false},
		{" PASS ", "pass", false},
		{"error", "error", false},
		{"not_applicable", "not_applicable", false},
		{"n/a", "not_applicable", false},
		{"NA", "not_applicable", false},
		{"not-applicable", "not_applicable", false},
		{"excepted", "excepted", false},
		{"failed", "", true},
		{"fail,pass", "", true},
		{"refused", "", true},
	} {
		got, err := parseStatus(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseStatus(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{"", "", false},
		{"critical", "critical", false},
		{"High", "high", false},
		{" low ", "low", false},
		{"medium", "medium", false},
		{"none", "", true},
		{"urgent", "", true},
		{"high,low", "", true},
	} {
		got, err := parseSeverity(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseSeverity(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseLang(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{"en", "en", false},
		{"EN", "en", false},
		{"en_US", "en", false},
		{"zh", "zh", false},
		{"zh-CN", "zh", false},
		{"zh_CN.UTF-8", "zh", false},
		{"", "", true},
		{"fr", "", true},
		{"english", "", true},
		{"zhx", "", true},
	} {
		got, err := parseLang(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseLang(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseSelector(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want map[string]string
		err  string
	}{
		{nil, map[string]string{}, ""},
		{[]string{"env=prod"}, map[string]string{"env": "prod"}, ""},
		{[]string{"env=prod", "site=sh,rack=4"}, map[string]string{"env": "prod", "site": "sh", "rack": "4"}, ""},
		{[]string{"tier="}, map[string]string{"tier": ""}, ""},
		{[]string{"env"}, nil, `"env": want key=value`},
		{[]string{""}, nil, `"": want key=value`},
		{[]string{"env=a", "env=b"}, nil, `key "env" given twice`},
		{[]string{"env=a,env=b"}, nil, `key "env" given twice`},
		{[]string{"a b=c"}, nil, `key "a b"`},
	} {
		got, err := parseSelector(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseSelector(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !cmp.Equal(got, tc.want) {
			t.Errorf("parseSelector(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseInterval(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"", 0, false},
		{"10m", 10 * time.Minute, false},
		{"12h", 12 * time.Hour, false},
		{"1d", 24 * time.Hour, false},
		{"30d", 30 * 24 * time.Hour, false},
		{"9m59s", 0, true},
		{"31d", 0, true},
		{"-1h", 0, true},
		{"1h0.5s", 0, true},
		{"daily", 0, true},
	} {
		got, err := parseInterval(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseInterval(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"30d", now.Add(30 * 24 * time.Hour), false},
		{"12h", now.Add(12 * time.Hour), false},
		{"2025-04-01", time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), false},
		{"2025-04-01T08:00:00+08:00", time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), false},
		{"2025-03-04T10:00:00Z", time.Time{}, true}, // now is not ahead
		{"2025-01-01", time.Time{}, true},
		{"0s", time.Time{}, true},
		{"-3d", time.Time{}, true},
		{"next week", time.Time{}, true},
		{"", time.Time{}, true},
	} {
		got, err := parseExpiry(now, tc.in)
		if (err != nil) != tc.err || !got.Equal(tc.want) {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseWait(t *testing.T) {
	for d, ok := range map[time.Duration]bool{time.Second: true, 3 * time.Minute: true, 5 * time.Minute: true,
		999 * time.Millisecond: false, 5*time.Minute + time.Second: false, 0: false, -time.Minute: false} {
		if err := parseWait(d); (err == nil) != ok {
			t.Errorf("parseWait(%v) = %v, want ok %v", d, err, ok)
		}
	}
}

func TestPolicyIDOf(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      string
	}{
		{"format: 1\npolicy:\n  id: acme_baseline\n  version: \"1\"\n", "acme_baseline", ""},
		{"policy:\n  id: \"cis_debian12\"\n  file: \"cis_debian12.yml\"\nchecks: []\n", "cis_debian12", ""},
		{"# a comment\npolicy: {id: x1, name: {en: a, zh: b}}\n", "x1", ""},
		{"format: 1\nchecks: []\n", "", "no policy.id"},
		{"policy:\n  id: 12\n", "", "no policy.id"},
		{"policy:\n  id: \"\"\n", "", "no policy.id"},
		{"policy:\n  id: \"../etc\"\n", "", "without blanks or '/'"},
		{"policy:\n  id: \"a b\"\n", "", "without blanks or '/'"},
		{"policy:\n  id: \"a\\u001b[2J\"\n", "", "without blanks or '/'"},
		{"policy: [\n", "", "not a YAML policy"},
		{"just text", "", "not a YAML policy"},
	} {
		got, err := policyIDOf([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("policyIDOf(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("policyIDOf(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{3 * time.Minute: "3m", 90 * time.Second: "1m30s", 2 * time.Hour: "2h",
		5 * time.Second: "5s", time.Hour + time.Minute: "1h1m"} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestInterval(t *testing.T) {
	for s, want := range map[int64]string{0: "daily", 600: "10m", 3600: "1h", 43200: "12h", 86400: "1d", 7 * 86400: "7d", 5400: "90m", 601: "601s"} {
		if got := interval(s); got != want {
			t.Errorf("interval(%d) = %q, want %q", s, got, want)
		}
	}
}

func TestParseEvidence(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []RuleEvidence
		err      bool
	}{
		{"none", ``, nil, false},
		{"null", `null`, nil, false},
		{"agent's", `[{"index":0,"type":"package","result":"holds","evidence":["nginx 1.22: installed"],"applies_if":true},
			{"index":1,"type":"config","result":"error","not":true,"error":"open /etc/x: permission denied"}]`,
			[]RuleEvidence{{Index: 0, Type: "package", Result: "holds", Evidence: []string{"nginx 1.22: installed"}, AppliesIf: true},
				{Index: 1, Type: "config", Result: "error", Not: true, Error: "open /etc/x: permission denied"}}, false},
		{"one object", `{"index":2,"type":"file","result":"fails"}`, []RuleEvidence{{Index: 2, Type: "file", Result: "fails"}}, false},
		{"unknown fields kept", `[{"type":"port","result":"fails","sockets":[22,23],"index":"x"}]`,
			[]RuleEvidence{{Index: -1, Type: "port", Result: "fails",
				Other: map[string]json.RawMessage{"sockets": json.RawMessage(`[22,23]`), "index": json.RawMessage(`"x"`)}}}, false},
		{"entry no object", `["a line", 7]`, []RuleEvidence{{Index: -1, Raw: json.RawMessage(`"a line"`)}, {Index: -1, Raw: json.RawMessage(`7`)}}, false},
		{"string", `"just text"`, nil, true},
		{"broken", `[{"index":`, nil, true},
	} {
		got, err := ParseEvidence(json.RawMessage(tc.in))
		if (err != nil) != tc.err || !cmp.Equal(got, tc.want) {
			t.Errorf("%s: ParseEvidence = %+v, %v; want %+v (error %v)", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestWriteEvidence(t *testing.T) {
	var b bytes.Buffer
	writeEvidence(&b, json.RawMessage(`[{"index":0,"type":"package","result":"holds","evidence":["nginx: installed"],"applies_if":true},
		{"index":0,"type":"content","result":"fails","not":true,"evidence":["/etc/login.defs:3: PASS_MAX_DAYS\t99999","\u001b[2Jcleared"]},
		{"type":"port","result":"fails","sockets":["0.0.0.0:23"]}, "loose"]`))
	want := `  applies_if rule 0 package: holds
    nginx: installed
  rule 0 content (not): fails
    /etc/login.defs:3: PASS_MAX_DAYS    99999
    \x1b[2Jcleared
  rule port: fails
    sockets: ["0.0.0.0:23"]
  "loose"
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("writeEvidence (-want +got):\n%s", diff)
	}
	b.Reset()
	writeEvidence(&b, json.RawMessage(`"the agent's text"`))
	if want := "  Evidence (evidence is not a list of rule results):\n    \"the agent's text\"\n"; b.String() != want {
		t.Errorf("evidence of another shape: %q, want %q", b.String(), want)
	}
}

// FuzzParseEvidence checks that any evidence a host sent is read or
// refused without a panic, and written with no control character
// reaching the terminal.
func FuzzParseEvidence(f *testing.F) {
	for _, s := range []string{`[{"index":0,"type":"file","result":"fails","evidence":["/etc/x: exists"]}]`, `{"index":-4}`,
		`[null,{},[]]`, `"x"`, `[{"evidence":"not a list","other":{"a":1}}]`, `[{"type":"\u001b[31m"}]`, `[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rules, err := ParseEvidence(raw)
		if err != nil {
			return
		}
		for _, r := range rules {
			if r.Index < -1 {
				t.Fatalf("index %d", r.Index)
			}
		}
		var b bytes.Buffer
		writeEvidence(&b, raw)
		for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x9b || r == 0x202e }) {
				t.Fatalf("control character written: %q", line)
			}
		}
	})
}

// FuzzPolicyIDOf checks that any file gives a usable id or an error.
func FuzzPolicyIDOf(f *testing.F) {
	for _, s := range []string{"policy:\n  id: a\n", "policy: {id: \"x/y\"}", "policy:\n  id: [1]\n", ":", "policy: &a {id: *a}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := policyIDOf(data)
		if err != nil {
			return
		}
		if id == "" || len(id) > 128 || strings.ContainsAny(id, "/ \t\n") || strings.TrimSpace(id) != id {
			t.Fatalf("policyIDOf(%q) = %q", data, id)
		}
	})
}

// FuzzParseExpiry checks that an accepted --expires lies ahead.
func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"30d", "12h", "2025-04-01", "2025-04-01T00:00:00Z", "-1h", "99999999d", "1e9h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseExpiry(now, s)
		if err == nil && !got.After(now) {
			t.Fatalf("parseExpiry(%q) = %v, not after now", s, got)
		}
	})
}
