package sca

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

func TestParseRule(t *testing.T) {
	cases := []struct {
		in   string
		want Rule
		err  string
	}{
		{in: "f:/etc/passwd", want: Rule{Kind: 'f', Target: "/etc/passwd"}},
		{in: "not f:/etc/x -> r:a && !r:^#", want: Rule{Not: true, Kind: 'f', Target: "/etc/x", Content: []Minterm{{Op: "r", Value: "a"}, {Negate: true, Op: "r", Value: "^#"}}}},
		{in: "c:sshd -T -> n:^maxauthtries\\s+(\\d+) compare <= 4", want: Rule{Kind: 'c', Target: "sshd -T", Content: []Minterm{{Op: "n", Value: "^maxauthtries\\s+(\\d+)", Compare: "<=", Number: "4"}}}},
		{in: "d:/etc/sudoers.d -> r:\\.* -> r:use_pty", want: Rule{Kind: 'd', Target: "/etc/sudoers.d", Entry: "r:\\.*", Content: []Minterm{{Op: "r", Value: "use_pty"}}}},
		{in: "f:/proc/sys/net/ipv4/ip_forward -> 0", want: Rule{Kind: 'f', Target: "/proc/sys/net/ipv4/ip_forward", Content: []Minterm{{Value: "0"}}}},
		{in: "p:avahi-daemon", want: Rule{Kind: 'p', Target: "avahi-daemon"}},
		{in: "r:HKLM\\X -> V -> 1", want: Rule{Kind: 'r', Target: "HKLM\\X", Entry: "V", Content: []Minterm{{Value: "1"}}}},
		{in: "x:/etc", err: "starts with"},
		{in: "f:", err: "no target"},
		{in: "f:/a -> r:x -> r:y", err: "at most one"},
		{in: "c:id -> n:(\\d+) compare ~ 4", err: "compare"},
		{in: "p:x -> y", err: "no ->"},
		{in: "f:/a -> r:", err: "empty pattern"},
	}
	for _, c := range cases {
		got, err := ParseRule(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: want error %q, got %v", c.in, c.err, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got.Not != c.want.Not || got.Kind != c.want.Kind || got.Target != c.want.Target || got.Entry != c.want.Entry || len(got.Content) != len(c.want.Content) {
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
			continue
		}
		for i := range got.Content {
			if got.Content[i] != c.want.Content[i] {
				t.Errorf("%q minterm %d: got %+v, want %+v", c.in, i, got.Content[i], c.want.Content[i])
			}
		}
	}
}

func TestTranslateOSRegex(t *testing.T) {
	cases := []struct {
		in      string
		match   []string
		noMatch []string
	}{
		{`^\s*install\s+/bin/false|FATAL: Module cramfs not found`, []string{"install /bin/false", "  INSTALL /bin/false", "modprobe: FATAL: Module cramfs not found in directory"}, []string{"\tinstall /bin/false", "install/bin/false"}},
		{`^\s*PermitRootLogin\s*\t*no$`, []string{"PermitRootLogin no", "permitrootlogin\tno"}, []string{"PermitRootLogin no # x", "#PermitRootLogin no"}},
		{`\d+\.\d+`, []string{"1.2", "1x2"}, []string{"a.b"}},
		{`^\w+:\w+:0:`, []string{"root:x:0:", "my-user@x:x:0:"}, []string{"root:x:10:"}},
		{`12.`, []string{"12.5"}, []string{"125"}},
		{`\$6\$|\(x\)`, []string{"$6$abc", "(x)"}, []string{"6"}},
		{`a+b`, []string{"a+b"}, []string{"aab"}},
		{`\p\W`, []string{"x:;"}, []string{"ab"}},
	}
	for _, c := range cases {
		expr, err := TranslateOSRegex(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		re := regexp.MustCompile(expr)
		for _, m := range c.match {
			if !re.MatchString(m) {
				t.Errorf("%q (RE2 %q) does not match %q", c.in, expr, m)
			}
		}
		for _, m := range c.noMatch {
			if re.MatchString(m) {
				t.Errorf("%q (RE2 %q) matches %q", c.in, expr, m)
			}
		}
	}
	for _, bad := range []string{`\x`, `(a(b))`, `a\`, `a)`, `(a`} {
		if _, err := TranslateOSRegex(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestTranslatePCRE(t *testing.T) {
	expr, err := TranslatePCRE(`^\h*password\h+[^#\n\r]+pam_unix\.so\b`)
	if err != nil || !regexp.MustCompile(expr).MatchString("password\t[success=1] pam_unix.so obscure") {
		t.Errorf("\\h: %q %v", expr, err)
	}
	for _, bad := range []string{`a(?=b)`, `a(?!b)`, `(?<=a)b`, `(a)\1`, `a*+`, `(?>a)`} {
		if _, err := TranslatePCRE(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestParseSample(t *testing.T) {
	data, err := os.ReadFile("testdata/cis_debian12_sample.yml")
	if err != nil {
		t.Fatal(err)
	}
	p, skipped, err := Parse("cis_debian12_sample.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Checks) != 9 {
		t.Errorf("want 9 checks, got %d", len(p.Checks))
	}
	if len(skipped) != 1 || skipped[0].Line != 118 || !strings.Contains(skipped[0].Reason, "lookahead") || !strings.Contains(skipped[0].Reason, "35007") {
		t.Errorf("skipped: %v", skipped)
	}
	c := p.Check("cis_debian12.35000")
	if c == nil || c.Title.Zh != c.Title.En || c.References["cis"][0] != "1.1.1.1" || c.References["nist_sp_800_53"][0] != "CM-7(1)" {
		t.Fatalf("35000: %+v", c)
	}
	if !strings.Contains(c.Description.En, "Impact: None expected.") {
		t.Errorf("impact: %q", c.Description.En)
	}
	if r := c.Rules[1]; !r.Not || r.Command == nil || !r.Command.Stderr {
		t.Errorf("not c: %+v", r)
	}
	if c := p.Check("cis_debian12.35001"); c.Rules[0].Content.Path != "/etc/ssh/sshd_config" || len(c.Rules[0].Content.Exclude) != 1 || !c.Rules[0].Content.Comments {
		t.Errorf("35001: %+v", c.Rules[0].Content)
	}
	if c := p.Check("cis_debian12.35002"); c.Rules[0].Content.Compare == nil || c.Rules[0].Content.Compare.Op != policy.OpLe {
		t.Errorf("35002: %+v", c.Rules[0].Content)
	}
	if c := p.Check("cis_debian12.35005"); c.Rules[1].Content.Path != "/etc/sudoers.d/*" {
		t.Errorf("35005: %+v", c.Rules[1].Content)
	}
	if c := p.Check("cis_debian12.35006"); len(c.Rules) != 2 || c.Rules[1].Content.Path != "/etc/pam.d/common-auth" {
		t.Errorf("35006 split over two files: %+v", c.Rules)
	}
	if c := p.Check("cis_debian12.35008"); c.AppliesIf == nil || c.AppliesIf.Rules[0].OS.ID != "windows" {
		t.Errorf("35008: %+v", c)
	}
	if p.Requirements == nil || len(p.Requirements.Rules) != 2 {
		t.Errorf("requirements: %+v", p.Requirements)
	}
	if p.Meta.Version != versionOf(data) || !strings.HasPrefix(p.Meta.Version, "sca-") || c.Severity != policy.Medium {
		t.Errorf("version %q, severity %q", p.Meta.Version, c.Severity)
	}
	// The agents read the compact form the center sends them.
	compact, err := p.Compact()
	if err != nil {
		t.Fatal(err)
	}
	if q, err := policy.ParseCompact(compact); err != nil || q.RulesDigest() != p.RulesDigest() {
		t.Errorf("compact form refused: %v", err)
	}

	rec, err := eval.LoadRecorded("../../eval/testdata/commands.yml")
	if err != nil {
		t.Fatal(err)
	}
	rec["lsmod"] = eval.Recorded{Stdout: "Module Size Used by\next4 1 0\n"}
	rep := eval.Run(context.Background(), p, eval.Env{Root: "../../eval/testdata/root", Runner: rec})
	want := map[string]eval.Status{
		"cis_debian12.35000": eval.Pass, "cis_debian12.35001": eval.Pass, "cis_debian12.35002": eval.Pass,
		"cis_debian12.35003": eval.Pass, "cis_debian12.35004": eval.Fail, "cis_debian12.35005": eval.Fail,
		"cis_debian12.35006": eval.Pass, "cis_debian12.35008": eval.NotApplicable, "cis_debian12.35009": eval.Pass,
	}
	if !rep.Applicable {
		t.Fatalf("requirements: %+v", rep.Requirements)
	}
	for id, st := range want {
		if r := rep.Result(id); r == nil || r.Status != st {
			t.Errorf("%s: %+v, want %s", id, r, st)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"":                              "empty",
		"policy: [":                     "not valid YAML",
		"policy: {id: x}\nchecks: []\n": "needs checks",
		"policy: {id: x}\nvariables: {a: b}\nchecks: [{id: 1, condition: all, rules: ['f:/x']}]\n":                                         "starts with $",
		"policy: {id: x}\nchecks: [{id: 1, condition: all, rules: ['f:/x -> r:(?=a)']}]\nrequirements: {condition: all, rules: ['x:y']}\n": "starts with f:",
		"policy: {id: x}\nchecks: [{id: 1, condition: all, rules: ['f:/x -> r:\\q']}]\n":                                                   "no check could be translated",
	}
	for in, want := range cases {
		_, _, err := Parse("t.yml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want %q, got %v", in, want, err)
		}
	}
	// A rule over two files cannot be split under the wrong condition.
	_, skipped, err := Parse("t.yml", []byte("policy: {id: x, name: X, description: D}\nvariables: {$f: '/a,/b'}\nchecks: [{id: 1, title: A, condition: all, rules: ['f:$f -> r:x']}, {id: 2, title: B, condition: all, rules: ['f:/c']}]\n"))
	if err != nil || len(skipped) != 1 || !strings.Contains(skipped[0].Reason, "cannot be split") {
		t.Errorf("split: %v %v", skipped, err)
	}
	// A command agents would not run leaves its check out.
	_, skipped, err = Parse("t.yml", []byte("policy: {id: x, name: X, description: D}\nchecks: [{id: 1, title: A, condition: all, rules: ['c:curl -s http://127.0.0.1/ -> r:ok']}, {id: 2, title: B, condition: all, rules: ['f:/c']}]\n"))
	if err != nil || len(skipped) != 1 || !strings.Contains(skipped[0].Reason, `command "curl -s http://127.0.0.1/" is not allowed`) {
		t.Errorf("command: %v %v", skipped, err)
	}
}
