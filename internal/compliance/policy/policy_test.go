package policy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// policyFiles lists the YAML files of a testdata folder.
func policyFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no policies in testdata/%s: %v", dir, err)
	}
	return files
}

func TestParseGood(t *testing.T) {
	files := append(policyFiles(t, "good"), "../eval/testdata/example.yml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := ParseFile(f)
			if err != nil {
				t.Fatalf("want no problem, got:\n%v", err)
			}
			if len(p.Checks) == 0 || p.Meta.ID == "" {
				t.Fatalf("parsed nothing: %+v", p)
			}
			for _, c := range p.Checks {
				if c.Condition == "" {
					t.Errorf("%s: the condition was not defaulted", c.ID)
				}
			}
		})
	}
}

func TestBlockStyleDetails(t *testing.T) {
	p, err := ParseFile("testdata/good/block_style.yml")
	if err != nil {
		t.Fatal(err)
	}
	c := p.Checks[0]
	if c.Rationale != c.Title {
		t.Errorf("the anchor was not followed: %+v", c.Rationale)
	}
	r := c.Rules[0]
	if !r.Not || r.Content == nil || r.Content.Path != "/etc/login.defs" || len(r.Content.Regex) != 2 {
		t.Errorf("rule 0: want not, the variable expanded and two regexes, got %+v %+v", r, r.Content)
	}
	if got := c.Rules[1].Config.Path; got != "/etc/pam.d/common-auth" {
		t.Errorf("variable in a path: got %q", got)
	}
	if got := c.Rules[6].Command.Run; got != "dpkg-query -W -f='${Status}' sudo" {
		t.Errorf("$${ escape: got %q", got)
	}
	if p.Line("checks[0].rules[3].config") != 63 {
		t.Errorf("line of rules[3]: got %d, want 63", p.Line("checks[0].rules[3].config"))
	}
	if v := c.Rules[2].Config.Value; v.One() != "14" || v.List {
		t.Errorf("a number value is kept as written: %+v", v)
	}
}

// wants reads the "# want: LINE: TEXT" lines of a bad policy.
func wants(t *testing.T, f string) []string {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if w, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no # want: lines", f)
	}
	return out
}

func TestParseBad(t *testing.T) {
	files := append(policyFiles(t, "bad/schema"), policyFiles(t, "bad/semantic")...)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := ParseFile(f)
			if err == nil {
				t.Fatalf("want problems, got a policy %s", p.Meta.ID)
			}
			if p != nil {
				t.Error("a policy with problems must not be returned")
			}
			problems := Problems(err)
			if len(problems) == 0 {
				t.Fatalf("the error holds no *Problem: %v", err)
			}
			var got []string
			for _, pr := range problems {
				if pr.File != filepath.Base(f) || pr.Line == 0 {
					t.Errorf("problem without file or line: %+v", pr)
				}
				got = append(got, strings.TrimPrefix(pr.Error(), pr.File+":"))
			}
			for _, w := range wants(t, f) {
				found := false
				for _, g := range got {
					if strings.HasPrefix(g, w) || (strings.Contains(w, ": ") && strings.HasPrefix(g, strings.SplitN(w, ": ", 2)[0]+": ") && strings.Contains(g, strings.SplitN(w, ": ", 2)[1])) {
						found = true
					}
				}
				if !found {
					t.Errorf("want a problem %q; got:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func TestProblemFormat(t *testing.T) {
	_, err := Parse("cis_debian12.yml", []byte(strings.Replace(mustRead(t, "testdata/bad/schema/unknown_format.yml"), "id: bad_format", "id: cis_debian12", -1)))
	problems := Problems(err)
	if len(problems) == 0 {
		t.Fatal("want a problem")
	}
	want := `cis_debian12.yml:15: checks[0].rules[0].config.format: unknown format "sshd2" (known: sshd, keyvalue, sysctl, pam, ini)`
	if got := problems[0].Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func mustRead(t *testing.T, f string) string {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseLimitsAndYAML(t *testing.T) {
	cases := []struct {
		name, data, want string
	}{
		{"empty", "", "the file is empty"},
		{"not yaml", "a: [", "not valid YAML"},
		{"two documents", "format: 1\n---\nformat: 1\n", "one YAML document"},
		{"not a map", "- 1\n", "want a map"},
		{"too large", strings.Repeat("#", MaxSize+1), "more than"},
		{"no checks", "format: 1\npolicy: {id: x, version: '1', name: {en: a, zh: b}, description: {en: a, zh: b}}\n", "at least one check"},
		{"rule not a map", "format: 1\npolicy: {id: x, version: '1', name: {en: a, zh: b}, description: {en: a, zh: b}}\nchecks: [{id: x.1, title: {en: a, zh: b}, rationale: {en: a, zh: b}, remediation: {en: a, zh: b}, severity: low, rules: [file]}]\n", "a rule must be a map"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("p.yml", []byte(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want %q, got %v", c.want, err)
			}
			var pr *Problem
			if !errors.As(err, &pr) {
				t.Errorf("want a *Problem, got %T", err)
			}
		})
	}
}

func TestDigest(t *testing.T) {
	base := mustRead(t, "testdata/good/minimal.yml")
	p1, err := Parse("a.yml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	// Comments, layout and key order do not change the digest.
	reordered := "# a comment\n" + strings.Replace(base, "  version: \"0.1\"\n  name: {en: Minimal policy, zh: 最小策略}\n",
		"  name:\n    zh: 最小策略\n    en: Minimal policy\n  version: '0.1'\n", 1)
	p2, err := Parse("b.yml", []byte(reordered))
	if err != nil {
		t.Fatal(err)
	}
	if p1.Digest() != p2.Digest() {
		t.Error("the digest changed with layout only")
	}
	if len(p1.Digest()) != 64 {
		t.Errorf("want a hex SHA-256, got %q", p1.Digest())
	}
	changed, err := Parse("c.yml", []byte(strings.Replace(base, "path: /etc/passwd", "path: /etc/group", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if changed.Digest() == p1.Digest() {
		t.Error("the digest did not change with a rule")
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"a": "/etc", "b": "x"}
	cases := []struct{ in, want, err string }{
		{"${a}/passwd", "/etc/passwd", ""},
		{"${a}${b}", "/etcx", ""},
		{"$${a}", "${a}", ""},
		{"no vars $x", "no vars $x", ""},
		{"${c}", "", "unknown variable ${c}"},
		{"${a", "", "not closed"},
	}
	for _, c := range cases {
		got, err := Expand(c.in, vars)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Expand(%q): want error %q, got %v", c.in, c.err, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestCommandAllowList(t *testing.T) {
	cases := []struct {
		run string
		ok  bool
	}{
		{"sshd -T", true},
		{"sshd -T -C user=root,host=h,addr=127.0.0.1", true},
		{"sshd -T -f /etc/ssh/other_config", false},
		{"systemctl is-enabled apparmor", true},
		{"systemctl is-enabled --now apparmor", false},
		{"systemctl show ssh.service -p ActiveState", true},
		{"systemctl stop ssh", false},
		{"auditctl -l", true},
		{"auditctl -D", false},
		{"nft list ruleset", true},
		{"nft flush ruleset", false},
		{"modprobe -n -v cramfs", true},
		{"modprobe cramfs", false},
		{"modprobe -n -v -r", false},
		{"dpkg-query -W -f='${Status}' sudo", true},
		{"rpm -q sudo", true},
		{"rpm -q --qf '%{NAME}\\n' sudo", true},
		{"rpm -q --pipe sh sudo", false},
		{"rpm -q --eval '%(id)'", false},
		{"rpm -q -e sudo", false},
		{"apt-cache policy sudo", true},
		{"apt-cache policy -o Dir::Cache=/x sudo", false},
		{"findmnt -n /tmp", true},
		{"findmnt --poll", false},
		{"getent passwd root", true},
		{"stat -c %a /etc/shadow", true},
		{"bash -c id", false},
		{"awk 1 /etc/passwd", false},
		{"/usr/sbin/sshd -T", false},
		{"sshd -T; id", false},
		{"ufw status verbose", true},
		{"grub-editenv list", true},
		{"grub-editenv - set x=1", false},
	}
	for _, c := range cases {
		_, err := ParseCommand(c.run)
		if (err == nil) != c.ok {
			t.Errorf("%q: allowed=%v, want %v (%v)", c.run, err == nil, c.ok, err)
		}
	}
	if _, err := SplitCommand("a 'b"); err == nil {
		t.Error("an open quote must be an error")
	}
	w, err := SplitCommand(`stat -c "%a %U" /etc/sh'ad'ow`)
	if err != nil || fmt.Sprint(w) != "[stat -c %a %U /etc/shadow]" {
		t.Errorf("SplitCommand: %q %v", w, err)
	}
}

func TestValidateLenient(t *testing.T) {
	p, err := ParseFile("testdata/good/minimal.yml")
	if err != nil {
		t.Fatal(err)
	}
	p.Checks[0].Title.Zh = ""
	p.Checks[0].Rules = append(p.Checks[0].Rules, Rule{Command: &CommandRule{Run: "bash -c id", Regex: Patterns{"x"}}})
	if err := Validate(p); err != nil {
		t.Errorf("lenient validation: a missing zh and a command not allowed pass, got %v", err)
	}
	p.Checks[0].Rules[0].File.Path = "relative"
	if err := Validate(p); err == nil {
		t.Error("lenient validation still refuses a relative path")
	}
}

func TestRuleTypesComplete(t *testing.T) {
	var r Rule
	names := map[string]bool{}
	for _, n := range RuleTypes {
		names[n] = true
	}
	fields, _ := fieldsOf(typeOf(r))
	var got []string
	for k := range fields {
		got = append(got, k)
	}
	sort.Strings(got)
	if len(got) != len(RuleTypes) {
		t.Fatalf("Rule has %d typed fields %v, RuleTypes %v", len(got), got, RuleTypes)
	}
	for _, g := range got {
		if !names[g] {
			t.Errorf("rule field %q missing from RuleTypes", g)
		}
	}
}

func typeOf(v any) reflect.Type { return reflect.TypeOf(v) }

func TestAliasExpansionBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("format: 1\nchecks:\n  - &c {id: x.1, rules: [&rule {process: {name: x}}")
	b.WriteString(strings.Repeat(", *rule", 2000))
	b.WriteString("]}\n")
	b.WriteString("  - " + strings.Repeat("*c\n  - ", 5000) + "*c\n")
	_, err := Parse("bomb.yml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "aliases") {
		t.Fatalf("want the alias bound, got %.300v", err)
	}
}
