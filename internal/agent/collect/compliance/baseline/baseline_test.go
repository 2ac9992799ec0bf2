package baseline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/compliance/baseline"
	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/policy"
	"github.com/vigilsec/vigil/internal/event"
)

// The evaluator's fixture root and example policy.
const (
	fixtureRoot   = "../../../../compliance/eval/testdata/root"
	examplePolicy = "../../../../compliance/eval/testdata/example.yml"
)

var fixedNow = func() time.Time { return time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC) }

// readPolicy parses a policy file.
func readPolicy(t testing.TB, file string) *policy.Policy {
	t.Helper()
	p, err := policy.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// assign returns the settings entry the center writes for p.
func assign(t testing.TB, p *policy.Policy) baseline.AssignedPolicy {
	t.Helper()
	compact, err := p.Compact()
	if err != nil {
		t.Fatal(err)
	}
	return baseline.AssignedPolicy{ID: p.Meta.ID, Digest: p.RulesDigest(), Policy: compact}
}

// settings returns the settings JSON assigning ps.
func settings(t testing.TB, entries ...baseline.AssignedPolicy) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(map[string]any{"policies": entries})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newCollector returns a collector with the fixed clock and settings.
func newCollector(t testing.TB, raw json.RawMessage) *baseline.Collector {
	t.Helper()
	c := baseline.New()
	c.Now = fixedNow
	if err := c.ApplySettings(raw); err != nil {
		t.Fatalf("ApplySettings: %v", err)
	}
	return c
}

// fields returns an item's vigil.compliance object.
func fields(t testing.TB, a event.Asset) map[string]any {
	t.Helper()
	v, ok := event.Event(a.Fields).Get("vigil.compliance")
	if !ok {
		t.Fatalf("%s: no vigil.compliance fields", a.Key)
	}
	return v.(map[string]any)
}

func byKey(assets []event.Asset) map[string]event.Asset {
	out := map[string]event.Asset{}
	for _, a := range assets {
		out[a.Key] = a
	}
	return out
}

// checkItems checks that every check of each applicable policy has its
// item and that a policy's counts are those of its items.
func checkItems(t *testing.T, ps []*policy.Policy, assets []event.Asset) {
	t.Helper()
	items := byKey(assets)
	n := 0
	for _, p := range ps {
		pi, ok := items[p.Meta.ID]
		if !ok {
			t.Errorf("policy %s has no item", p.Meta.ID)
			continue
		}
		n++
		pf := fields(t, pi)
		if pf["status"] != baseline.StatusEvaluated {
			for _, c := range p.Checks {
				if _, ok := items[p.Meta.ID+"/"+c.ID]; ok {
					t.Errorf("%s is %s, yet check %s has an item", p.Meta.ID, pf["status"], c.ID)
				}
			}
			continue
		}
		counts := map[string]int{}
		for _, c := range p.Checks {
			ci, ok := items[p.Meta.ID+"/"+c.ID]
			if !ok {
				t.Errorf("check %s has no item", c.ID)
				continue
			}
			n++
			cf := fields(t, ci)
			counts[cf["status"].(string)]++
			if cf["check"] != c.ID || ci.Name != c.ID || ci.Version != p.Meta.Version || cf["digest"] != p.RulesDigest() {
				t.Errorf("item %s: name %q version %q fields %v", ci.Key, ci.Name, ci.Version, cf)
			}
			if cf["severity"] != string(c.Severity) {
				t.Errorf("%s: severity %v, want %s", c.ID, cf["severity"], c.Severity)
			}
		}
		got := pf["counts"].(map[string]any)
		for _, s := range []string{"pass", "fail", "error", "not_applicable"} {
			if got[s] != counts[s] {
				t.Errorf("%s: counts.%s %v, the items say %d", p.Meta.ID, s, got[s], counts[s])
			}
		}
		if got["total"] != len(p.Checks) {
			t.Errorf("%s: counts.total %v, want %d", p.Meta.ID, got["total"], len(p.Checks))
		}
	}
	if n != len(assets) {
		t.Errorf("%d items, %d expected", len(assets), n)
	}
}

// TestFixture evaluates the test baseline, the evaluator's example and a
// policy for another system on the evaluator's fixture root.
func TestFixture(t *testing.T) {
	ps := []*policy.Policy{readPolicy(t, "testdata/baseline.yml"), readPolicy(t, examplePolicy), readPolicy(t, "testdata/other_os.yml")}
	var entries []baseline.AssignedPolicy
	for _, p := range ps {
		entries = append(entries, assign(t, p))
	}
	c := newCollector(t, settings(t, entries...))
	assets := collecttest.Assets(t, c, plugin.Env{Root: fixtureRoot})
	checkItems(t, ps, assets)
	items := byKey(assets)

	want := map[string]string{
		"fixture_baseline":                      baseline.StatusEvaluated,
		"fixture_baseline/fixture_baseline.1.1": "pass",
		"fixture_baseline/fixture_baseline.1.2": "fail",
		// Commands do not run in a tree standing for a host.
		"fixture_baseline/fixture_baseline.1.3": "error",
		// The error of the command does not decide: the file rule holds.
		"fixture_baseline/fixture_baseline.1.4": "pass",
		"fixture_baseline/fixture_baseline.1.5": "not_applicable",
		"fixture_baseline/fixture_baseline.1.6": "pass",
		"fixture_baseline/fixture_baseline.1.7": "fail",
		"fixture_rhel":                          baseline.StatusNotApplicable,
	}
	for key, status := range want {
		if got := fields(t, items[key])["status"]; got != status {
			t.Errorf("%s: status %v, want %s", key, got, status)
		}
	}
	if r, _ := fields(t, items["fixture_baseline/fixture_baseline.1.3"])["reason"].(string); !strings.Contains(r, "commands are not run") {
		t.Errorf("reason of the command check: %q", r)
	}
	ev := fields(t, items["fixture_baseline/fixture_baseline.1.5"])["evidence"].([]any)
	if len(ev) != 1 || ev[0].(map[string]any)["applies_if"] != true {
		t.Errorf("evidence of a check whose applies_if fails: %v", ev)
	}
	rhel := fields(t, items["fixture_rhel"])
	if !strings.Contains(rhel["reason"].(string), "requirements do not hold") || rhel["counts"] != nil {
		t.Errorf("item of a policy that does not apply: %v", rhel)
	}
	if got := c.Counters(); got["policies_evaluated"] != 3 || got["checks_evaluated"] != uint64(len(ps[0].Checks)+len(ps[1].Checks)) || got["check_errors"] == 0 {
		t.Errorf("counters %v", got)
	}
	collecttest.Golden(t, "testdata/golden/fixture.json", assets)

	// The same host gives the same set, byte for byte: an unchanged
	// result must be no change at the center.
	again := collecttest.Assets(t, c, plugin.Env{Root: fixtureRoot})
	if collecttest.Digest(t, again) != collecttest.Digest(t, assets) {
		t.Error("a second run gave another set")
	}
}

// TestRequirementsError: a host whose system cannot be told makes the
// policy's item an error, with no check items.
func TestRequirementsError(t *testing.T) {
	root := t.TempDir()
	c := newCollector(t, settings(t, assign(t, readPolicy(t, "testdata/baseline.yml"))))
	assets := collecttest.Assets(t, c, plugin.Env{Root: root})
	if len(assets) != 1 {
		t.Fatalf("%d items, want the policy's only", len(assets))
	}
	f := fields(t, assets[0])
	if f["status"] != baseline.StatusError || !strings.Contains(f["reason"].(string), "requirements could not be evaluated") {
		t.Errorf("fields %v", f)
	}
	if ev, _ := f["evidence"].([]any); len(ev) != 1 || ev[0].(map[string]any)["result"] != eval.RuleError {
		t.Errorf("the requirements' evidence: %v", f["evidence"])
	}
}

// TestSettings: settings that do not decode or break a bound are
// refused whole and the previous ones stay; a policy that does not read
// or match its digest is refused alone.
func TestSettings(t *testing.T) {
	good := assign(t, readPolicy(t, "testdata/baseline.yml"))
	other := assign(t, readPolicy(t, examplePolicy))
	badDigest := other
	badDigest.Digest = strings.Repeat("0", 64)
	wrongID := other
	wrongID.ID = "cis_debian12"
	texts := other
	texts.Policy = json.RawMessage(strings.Replace(string(other.Policy), `"severity":"high"`, `"severity":"high","title":{"en":"x","zh":"y"}`, 1))
	badRegex := assign(t, readPolicy(t, "testdata/other_os.yml"))
	badRegex.Policy = json.RawMessage(strings.Replace(string(badRegex.Policy), `"op":"eq"`, `"op":"lt"`, 1))
	empty := other
	empty.Policy = nil
	entry := func(a baseline.AssignedPolicy) string {
		b, _ := json.Marshal(a)
		return string(b)
	}
	tests := []struct {
		name string
		raw  string
		// whole: the settings are refused whole; else the ids refused.
		whole   string
		refused []string
		runs    []string
	}{
		{name: "empty", raw: "", runs: nil},
		{name: "two policies", raw: `{"policies": [` + entry(good) + `,` + entry(other) + `], "timeout": "1m", "command_timeout": "5s"}`, runs: []string{"fixture_baseline", "example_linux"}},
		{name: "not JSON", raw: `{"policies": [`, whole: "unexpected EOF"},
		{name: "unknown field", raw: `{"policy": []}`, whole: `unknown field "policy"`},
		{name: "unknown field of a policy", raw: `{"policies": [{"id": "a", "digest": "", "policy": {}, "name": "x"}]}`, whole: `unknown field "name"`},
		{name: "second object", raw: `{} {}`, whole: "data after the JSON object"},
		{name: "timeout too long", raw: `{"timeout": "10m"}`, whole: "timeout 10m0s: want 10s to 4m0s"},
		{name: "timeout not a duration", raw: `{"timeout": 120}`, whole: "a duration is a string"},
		{name: "command timeout", raw: `{"command_timeout": "0s"}`, whole: "command_timeout 0s"},
		{name: "command timeout over timeout", raw: `{"timeout": "20s", "command_timeout": "30s"}`, whole: "longer than timeout"},
		{name: "bad id", raw: `{"policies": [{"id": "../x", "digest": "", "policy": {}}]}`, whole: `id "../x"`},
		{name: "long id", raw: `{"policies": [{"id": "` + strings.Repeat("a", 200) + `", "digest": "", "policy": {}}]}`, whole: "at most 128 bytes"},
		{name: "twice", raw: `{"policies": [` + entry(good) + `,` + entry(good) + `]}`, whole: "assigned twice"},
		{name: "too many", raw: `{"policies": [` + strings.Repeat(`{"id": "a"},`, baseline.MaxPolicies) + `{"id": "b"}]}`, whole: "33 policies, at most 32"},
		{name: "too large", raw: `{"policies": [{"id": "a", "policy": "` + strings.Repeat("x", baseline.MaxSettingsSize) + `"}]}`, whole: "more than 16777216"},
		{name: "digest mismatch", raw: `{"policies": [` + entry(good) + `,` + entry(badDigest) + `]}`,
			refused: []string{"example_linux"}, runs: []string{"fixture_baseline"}},
		{name: "id mismatch", raw: `{"policies": [` + entry(wrongID) + `,` + entry(good) + `]}`,
			refused: []string{"cis_debian12"}, runs: []string{"fixture_baseline"}},
		{name: "texts in the compact form", raw: `{"policies": [` + entry(texts) + `,` + entry(good) + `]}`,
			refused: []string{"example_linux"}, runs: []string{"fixture_baseline"}},
		{name: "rule Parse refuses", raw: `{"policies": [` + entry(good) + `,` + entry(badRegex) + `]}`,
			refused: []string{"fixture_rhel"}, runs: []string{"fixture_baseline"}},
		{name: "no policy", raw: `{"policies": [` + entry(empty) + `]}`, refused: []string{"example_linux"}},
	}
	wantReason := map[string]string{
		"digest mismatch":           "does not match the policy's " + other.Digest,
		"id mismatch":               "the settings assign cis_debian12, the policy is example_linux",
		"texts in the compact form": `unknown field "title"`,
		"rule Parse refuses":        "lt compares numbers",
		"no policy":                 "the settings hold no policy",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector(t, settings(t, other))
			err := c.ApplySettings(json.RawMessage(tt.raw))
			runs := tt.runs
			switch {
			case tt.whole != "":
				if err == nil || !strings.Contains(err.Error(), tt.whole) {
					t.Fatalf("error %v, want one saying %q", err, tt.whole)
				}
				runs = []string{"example_linux"} // the previous settings
			case len(tt.refused) > 0:
				if err == nil {
					t.Fatal("no error for a refused policy")
				}
				for _, id := range tt.refused {
					if !strings.Contains(err.Error(), "policy "+id+" refused: ") {
						t.Errorf("error %q does not name %s", err, id)
					}
				}
				if r := wantReason[tt.name]; !strings.Contains(err.Error(), r) {
					t.Errorf("error %q does not say %q", err, r)
				}
			case err != nil:
				t.Fatalf("ApplySettings: %v", err)
			}
			assets := collecttest.Assets(t, c, plugin.Env{Root: fixtureRoot})
			var evaluated, refused []string
			for _, a := range assets {
				f := fields(t, a)
				if f["check"] != nil {
					continue
				}
				switch f["status"] {
				case baseline.StatusRefused:
					refused = append(refused, a.Key)
					if r := wantReason[tt.name]; !strings.Contains(f["reason"].(string), r) {
						t.Errorf("reason %q does not say %q", f["reason"], r)
					}
				default:
					evaluated = append(evaluated, a.Key)
				}
			}
			slices.Sort(runs)
			slices.Sort(evaluated)
			if !slices.Equal(evaluated, runs) {
				t.Errorf("evaluated %v, want %v", evaluated, runs)
			}
			if !slices.Equal(refused, tt.refused) {
				t.Errorf("refused items %v, want %v", refused, tt.refused)
			}
			if tt.whole == "" && c.Counters()["policies_refused"] != uint64(len(tt.refused)) {
				t.Errorf("policies_refused %d, want %d", c.Counters()["policies_refused"], len(tt.refused))
			}
		})
	}
}

func FuzzParseSettings(f *testing.F) {
	p, err := policy.ParseFile("testdata/other_os.yml")
	if err != nil {
		f.Fatal(err)
	}
	good := assign(f, p)
	f.Add([]byte(settings(f, good)))
	f.Add([]byte(`{"policies": [{"id": "a", "digest": "", "policy": {"format": 1}}], "timeout": "1m"}`))
	f.Add([]byte(`{"timeout": "1m", "command_timeout": "2m"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := baseline.New()
		err := c.ApplySettings(data)
		s, perr := baseline.ParseSettings(data)
		if perr != nil {
			if err == nil {
				t.Fatal("ParseSettings refused what ApplySettings took")
			}
			return
		}
		if len(s.Policies) > baseline.MaxPolicies || time.Duration(s.Timeout) > baseline.MaxTimeout || s.CommandTimeout > s.Timeout {
			t.Fatalf("accepted %+v", s)
		}
		if err != nil && !strings.Contains(err.Error(), "refused: ") {
			t.Fatalf("error of accepted settings: %v", err)
		}
	})
}

// TestItemBounds: a check with much evidence and a long id still makes
// a valid item, with the cut said.
func TestItemBounds(t *testing.T) {
	root := t.TempDir()
	var lines strings.Builder
	for i := range 50 {
		fmt.Fprintf(&lines, "line %d %s\n", i, strings.Repeat("é", 400))
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "big.conf"), []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	longID := "bounds." + strings.Repeat("9", 1500)
	var b strings.Builder
	b.WriteString("format: 1\npolicy: {id: bounds, version: '1', name: {en: B, zh: B}, description: {en: B, zh: B}}\nchecks:\n")
	for _, id := range []string{longID, longID + "0"} {
		fmt.Fprintf(&b, "  - id: %s\n    title: {en: T, zh: T}\n    rationale: {en: R, zh: R}\n    remediation: {en: F, zh: F}\n    severity: low\n    rules:\n", id)
		for i := range policy.MaxRules {
			fmt.Fprintf(&b, "      - content: {path: /etc/big.conf, regex: '^line %d', expect: no_match}\n", i%50)
		}
	}
	p, err := policy.Parse("bounds.yml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, settings(t, assign(t, p)))
	assets := collecttest.Assets(t, c, plugin.Env{Root: root})
	if len(assets) != 3 {
		t.Fatalf("%d items", len(assets))
	}
	for _, a := range assets[1:] {
		if len(a.Key) > 512 || !strings.HasPrefix(a.Key, "bounds/bounds.999") || !strings.Contains(a.Key, "...#") {
			t.Errorf("key %q", a.Key)
		}
		if len(a.Name) > event.MaxAssetName {
			t.Errorf("name of %d bytes", len(a.Name))
		}
		f := fields(t, a)
		if f["status"] != "fail" || f["check"] != longID && f["check"] != longID+"0" {
			t.Errorf("status %v check %.20v", f["status"], f["check"])
		}
		size, err := a.FieldsJSON()
		if err != nil {
			t.Fatal(err)
		}
		if len(size) > 40<<10 {
			t.Errorf("fields of %d bytes", len(size))
		}
		// all decides at the first rule that fails: one result, cut.
		ev := f["evidence"].([]any)
		if len(ev) != 1 {
			t.Fatalf("%d rule results", len(ev))
		}
	}
	if assets[1].Key == assets[2].Key {
		t.Error("two long check ids make one key")
	}

	// With any, rules that all fail are all evaluated: every result is
	// shown, up to the bound.
	for i := range p.Checks {
		p.Checks[i].Condition = policy.Any
	}
	c = newCollector(t, settings(t, assign(t, p)))
	assets = collecttest.Assets(t, c, plugin.Env{Root: root})
	f := fields(t, assets[1])
	cut, _ := f["evidence_cut"].(string)
	if !strings.Contains(cut, "cut at 32768 bytes") {
		t.Fatalf("evidence_cut %q", cut)
	}
	ev := f["evidence"].([]any)
	last := ev[len(ev)-1].(map[string]any)
	lastLines, _ := last["evidence"].([]any)
	t.Logf("%d of %d rule results shown; %s; the last shown: %q", len(ev), policy.MaxRules, cut, lastLines)
	if !strings.Contains(cut, " 0 lines") && (len(lastLines) == 0 || !strings.HasSuffix(lastLines[len(lastLines)-1].(string), " cut")) {
		t.Errorf("lines were cut, and the last result does not say so: %q", lastLines)
	}
	if len(ev) >= policy.MaxRules || len(ev) < 5 {
		t.Errorf("%d rule results shown", len(ev))
	}
	data, _ := assets[1].FieldsJSON()
	if len(data) > 40<<10 || len(data) < 30<<10 {
		t.Errorf("fields of %d bytes: the bound is not used or not kept", len(data))
	}
}

// TestNoPasswordHashes evaluates rules that read shadow-like files of a
// root whose accounts have real hashes of every scheme mkpasswd makes:
// no item may hold any part of a hash.
func TestNoPasswordHashes(t *testing.T) {
	if _, err := exec.LookPath("mkpasswd"); err != nil {
		t.Skip("mkpasswd (Debian package whois) is not installed")
	}
	methods := []string{"yescrypt", "gost-yescrypt", "scrypt", "bcrypt", "bcrypt-a", "sha512crypt", "sha256crypt", "sunmd5", "md5crypt", "bsdicrypt", "descrypt", "nt"}
	root := t.TempDir()
	var passwd, shadow strings.Builder
	var hashes []string
	for i, m := range methods {
		out, err := exec.Command("mkpasswd", "-m", m, fmt.Sprintf("Secret-%d", i)).Output()
		if err != nil {
			t.Fatalf("mkpasswd -m %s: %v", m, err)
		}
		h := strings.TrimSpace(string(out))
		hashes = append(hashes, h)
		name := fmt.Sprintf("user%d", i)
		fmt.Fprintf(&passwd, "%s:x:%d:%d::/home/%s:/bin/bash\n", name, 1000+i, 1000+i, name)
		fmt.Fprintf(&shadow, "%s:%s:19700:0:99999:7:::\n", name, h)
	}
	files := map[string]string{
		"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/passwd":     "root:x:0:0:root:/root:/bin/bash\n" + passwd.String(),
		"etc/group":      "root:x:0:\nshadow:x:42:\n",
		"etc/shadow":     "root:" + hashes[0] + ":19700:0:99999:7:::\n" + shadow.String(),
		// Copies as they are left on hosts: a backup, a group shadow
		// with hashes, old passwords, and a copy by another name.
		"etc/shadow-":                 shadow.String(),
		"etc/gshadow":                 "root:" + hashes[5] + "::\nshadow:" + hashes[10] + "::\n",
		"etc/security/opasswd":        "user1:1001:2:" + hashes[1] + "," + hashes[6] + "\n",
		"root/shadow.bak":             shadow.String(),
		"etc/login.defs":              "PASS_MAX_DAYS 99999\n",
		"etc/ssh/sshd_config":         "PermitRootLogin no\n",
		"etc/security/pwquality.conf": "minlen = 8\n",
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	var rules []string
	for _, f := range []string{"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/security/opasswd", "/root/shadow.bak", "/etc/*shadow*", "/root/*"} {
		rules = append(rules,
			`content: {path: "`+f+`", regex: '.', expect: no_match}`,
			`content: {path: "`+f+`", regex: '^(user|root)', comments: true}`,
			`content: {path: "`+f+`", regex: '^[^:]+:([^:]+):', compare: {op: lt, value: 0}}`,
			`config: {path: "`+f+`", format: keyvalue, key: root, op: eq, value: x}`,
			`config: {path: "`+f+`", format: keyvalue, separator: "=", key: root, op: present}`,
			`config: {path: "`+f+`", format: ini, key: root, op: eq, value: x}`,
			`config: {path: "`+f+`", format: sysctl, key: root, op: eq, value: x}`,
			`config: {path: "`+f+`", format: sshd, key: PermitRootLogin, op: eq, value: "yes"}`,
			`config: {path: "`+f+`", format: pam, type: auth, module: pam_unix.so, present: true}`,
			`file: {path: "`+f+`", mode_max: "0600", owner: nobody}`,
		)
	}
	// Each account's line, in every file.
	for i := range methods {
		for _, f := range []string{"/etc/shadow", "/etc/shadow-", "/root/shadow.bak"} {
			rules = append(rules, fmt.Sprintf(`content: {path: "%s", regex: '^user%d:'}`, f, i))
		}
	}
	rules = append(rules,
		`account: {select: {login: true}, field: password, op: eq, value: locked}`,
		`account: {select: {login: true}, field: scheme, op: eq, value: none}`,
		`account: {select: {login: true}, field: pass_max_days, op: le, value: 30}`,
		`account: {select: {uid_min: 0}, expect: {names: [nobody]}}`,
		`account: {select: {uid_min: 0}, expect: {count: 0}}`,
		`account: {select: {login: true}, field: home_owner, op: eq, value: self}`,
		`group: {name: shadow, members: [root]}`,
	)
	var b strings.Builder
	b.WriteString("format: 1\npolicy: {id: hashes, version: '1', name: {en: H, zh: H}, description: {en: H, zh: H}}\nchecks:\n")
	for i, r := range rules {
		// Each rule in a check of its own, and all of them in one check
		// whose none condition shows every result.
		fmt.Fprintf(&b, "  - id: hashes.%d\n    title: {en: T, zh: T}\n    rationale: {en: R, zh: R}\n    remediation: {en: F, zh: F}\n    severity: low\n    rules:\n      - %s\n", i, r)
	}
	b.WriteString("  - id: hashes.all\n    title: {en: T, zh: T}\n    rationale: {en: R, zh: R}\n    remediation: {en: F, zh: F}\n    severity: low\n    condition: none\n    rules:\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "      - %s\n", r)
	}
	p, err := policy.Parse("hashes.yml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, settings(t, assign(t, p)))
	assets := collecttest.Assets(t, c, plugin.Env{Root: root})
	if len(assets) != len(p.Checks)+1 {
		t.Fatalf("%d items for %d checks", len(assets), len(p.Checks))
	}
	evidence := 0
	for _, a := range assets {
		data, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for i, h := range hashes {
			// The hash, and its last part (the digest, without the
			// scheme and salt), which is never short.
			parts := strings.Split(h, "$")
			tail := parts[len(parts)-1]
			if strings.Contains(text, h) || len(tail) >= 8 && strings.Contains(text, tail) {
				t.Errorf("%s holds the %s hash of user%d:\n%s", a.Key, methods[i], i, text)
			}
		}
		if ev, ok := fields(t, a)["evidence"].([]any); ok {
			evidence += len(ev)
		}
	}
	if evidence < len(rules) {
		t.Errorf("only %d rule results in the items: the rules were not evaluated", evidence)
	}
}

// TestDependencies: the collector is part of the agent, which must not
// link the center, storage, SQL, the shipped policies (the center
// embeds them) or the package extractors.
func TestDependencies(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/vigilsec/vigil/internal/center",
		"github.com/vigilsec/vigil/internal/store",
		"github.com/vigilsec/vigil/internal/bus/server",
		"github.com/vigilsec/vigil/policies",
		"github.com/vigilsec/vigil/internal/compliance/policy/sca",
		"database/sql",
		"modernc.org/sqlite",
		"github.com/jackc/pgx",
		"k8s.io",
		"github.com/nats-io/nats-server",
		"github.com/google/osv-scalibr",
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/vigilsec/vigil/internal/compliance/eval") {
		t.Fatalf("go list -deps does not list the evaluator: %q", out)
	}
	for _, dep := range deps {
		for _, bad := range forbidden {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("the collector links %s", dep)
			}
		}
	}
}

func TestPlugin(t *testing.T) {
	c := baseline.New()
	if c.Name() != "compliance/baseline" || c.DefaultInterval() != 24*time.Hour {
		t.Errorf("name %s interval %s", c.Name(), c.DefaultInterval())
	}
	if k := c.Kinds(); len(k) != 1 || k[0] != event.AssetCompliance {
		t.Errorf("kinds %v", k)
	}
	if r := c.Requirements(); !r.Root || !slices.Equal(r.OS, []string{"linux"}) {
		t.Errorf("requirements %+v", r)
	}
	assets, err := c.Assets(context.Background(), plugin.Env{Root: fixtureRoot})
	if err != nil || len(assets) != 0 {
		t.Errorf("without settings: %d items, %v", len(assets), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c = newCollector(t, settings(t, assign(t, readPolicy(t, examplePolicy))))
	if _, err := c.Assets(ctx, plugin.Env{Root: fixtureRoot}); err == nil {
		t.Error("a run stopped by the agent gave a set")
	}
}

// TestBlockedRule: a rule blocked in a read the evaluator cannot
// interrupt (a named pipe opened as a file) does not hold the collector
// past its time: a run the agent stops ends with an error, and a run
// past the settings' timeout reports the policy as an error.
func TestBlockedRule(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "os-release"), []byte("ID=debian\nVERSION_ID=12\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(root, "etc", "blocked")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		// Let the evaluations left behind end: a writer opens the
		// pipe and closes it.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	p, err := policy.Parse("blocked.yml", []byte(`format: 1
policy: {id: blocked, version: "1", name: {en: B, zh: B}, description: {en: B, zh: B}}
checks:
  - id: blocked.1
    title: {en: T, zh: T}
    rationale: {en: R, zh: R}
    remediation: {en: F, zh: F}
    severity: low
    rules:
      - content: {path: /etc/blocked, regex: x}
`))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(map[string]any{"policies": []baseline.AssignedPolicy{assign(t, p)}, "timeout": "10s", "command_timeout": "1s"})
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, raw)
	// The engine reads only regular files: the pipe is an error of its
	// rule, at once, and never holds the collector.
	start := time.Now()
	assets, err := c.Assets(context.Background(), plugin.Env{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the run took %v", took)
	}
	var found bool
	for _, a := range assets {
		f := fields(t, a)
		if f["check"] != "blocked.1" {
			continue
		}
		found = true
		if f["status"] != "error" || !strings.Contains(fmt.Sprint(f["evidence"]), "not a regular file") {
			t.Errorf("the pipe's check: %v", f)
		}
	}
	if !found {
		t.Errorf("no item for the pipe's check: %v", assets)
	}
	if n := c.Counters()["evaluations_blocked"]; n != 0 {
		t.Errorf("evaluations_blocked %d, want 0", n)
	}
}
