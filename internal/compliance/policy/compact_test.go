package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// roundTripFiles are the policies the compact form is tested with: the
// examples of this package and of the evaluator, the first policy of
// docs/policies.md and the shipped policies.
func roundTripFiles(t testing.TB) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob("testdata/good/*.yml")
	files = append(files, "../eval/testdata/example.yml")
	shipped, _ := filepath.Glob("../../../policies/*.yml")
	files = append(files, shipped...)
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = data
	}
	doc, err := os.ReadFile("../../../docs/policies.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(doc)
	if block == nil {
		t.Fatal("docs/policies.md has no policy example")
	}
	out["policies.md"] = block[1]
	return out
}

// fixtureRoots are the host trees the evaluations are compared on: the
// evaluator's, with its recorded commands, and the shipped policies'.
func fixtureRoots(t testing.TB) map[string]eval.Runner {
	t.Helper()
	rec, err := eval.LoadRecorded("../eval/testdata/commands.yml")
	if err != nil {
		t.Fatal(err)
	}
	roots := map[string]eval.Runner{"../eval/testdata/root": rec}
	more, _ := filepath.Glob("../../../policies/testdata/*/etc")
	for _, etc := range more {
		roots[filepath.Dir(etc)] = nil
	}
	return roots
}

var fixedNow = func() time.Time { return time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC) }

// comparableReport leaves out of a report what differs from one run to
// the next (times) and the digest of the whole policy, texts included.
var comparableReport = cmpopts.IgnoreFields(eval.Report{}, "Digest", "Started", "Duration")

// TestCompactRoundTrip: the compact form holds no text, reads back into
// a policy with the same compact form and RulesDigest, and evaluates to
// the same results as the full policy on every fixture root.
func TestCompactRoundTrip(t *testing.T) {
	roots := fixtureRoots(t)
	for name, data := range roundTripFiles(t) {
		t.Run(name, func(t *testing.T) {
			p, err := policy.Parse(name, data)
			if err != nil {
				t.Fatal(err)
			}
			compact, err := p.Compact()
			if err != nil {
				t.Fatal(err)
			}
			checkNoTexts(t, compact)
			q, err := policy.ParseCompact(compact)
			if err != nil {
				t.Fatalf("ParseCompact of Compact:\n%v", err)
			}
			again, err := q.Compact()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(compact, again) {
				t.Errorf("the compact form changed on the way back:\n%s\n%s", compact, again)
			}
			if p.RulesDigest() != q.RulesDigest() || len(p.RulesDigest()) != 64 {
				t.Errorf("RulesDigest %q, after the round trip %q", p.RulesDigest(), q.RulesDigest())
			}
			if p.Digest() == q.Digest() {
				t.Errorf("Digest covers the texts, yet the policy without them has the same: %s", p.Digest())
			}
			if q.Meta.ID != p.Meta.ID || q.Meta.Version != p.Meta.Version || len(q.Checks) != len(p.Checks) {
				t.Fatalf("got %s %s with %d checks", q.Meta.ID, q.Meta.Version, len(q.Checks))
			}
			for rootDir, runner := range roots {
				env := eval.Env{Root: rootDir, Runner: runner, Now: fixedNow}
				want := eval.Run(context.Background(), p, env)
				got := eval.Run(context.Background(), q, env)
				if d := cmp.Diff(want, got, comparableReport); d != "" {
					t.Errorf("%s: results differ (-full +compact):\n%s", rootDir, d)
				}
			}
			t.Logf("%d bytes of YAML, %d of compact JSON", len(data), len(compact))
		})
	}
}

// checkNoTexts fails when the compact form holds a field beyond those
// an agent evaluates with.
func checkNoTexts(t *testing.T, compact []byte) {
	t.Helper()
	var top map[string]json.RawMessage
	var doc struct {
		Checks []map[string]json.RawMessage `json:"checks"`
	}
	if err := json.Unmarshal(compact, &top); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(compact, &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]json.RawMessage) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		return out
	}
	for _, k := range keys(top) {
		if !slices.Contains([]string{"format", "id", "version", "requirements", "checks"}, k) {
			t.Errorf("the compact form holds %q", k)
		}
	}
	for _, c := range doc.Checks {
		for _, k := range keys(c) {
			if !slices.Contains([]string{"id", "severity", "applies_if", "condition", "rules"}, k) {
				t.Errorf("a compact check holds %q", k)
			}
		}
	}
}

// TestRulesDigest: texts, references, profiles and variables do not
// change RulesDigest (they change Digest); a rule does.
func TestRulesDigest(t *testing.T) {
	p, err := policy.ParseFile("testdata/good/block_style.yml")
	if err != nil {
		t.Fatal(err)
	}
	rules, full := p.RulesDigest(), p.Digest()
	p.Checks[0].Title.En += " (edited)"
	p.Checks[0].References = nil
	p.Checks[0].Profiles = nil
	p.Meta.Description.Zh = "另一个"
	p.Variables = map[string]string{"x": "/y"}
	if p.RulesDigest() != rules {
		t.Error("RulesDigest changed with the texts")
	}
	if p.Digest() == full {
		t.Error("Digest did not change with the texts")
	}
	p.Checks[0].Severity = policy.Low
	if p.RulesDigest() == rules {
		t.Error("RulesDigest did not change with the severity")
	}
	p.Checks[0].Severity = policy.Critical
	p.Checks[0].Rules[0].Not = !p.Checks[0].Rules[0].Not
	if p.RulesDigest() == rules {
		t.Error("RulesDigest did not change with a rule")
	}
}

// TestCompactEmptyAllowed: `allowed: []` (nothing may listen) is kept,
// or Compact refuses the policy: it never turns into no setting.
func TestCompactEmptyAllowed(t *testing.T) {
	p, err := policy.Parse("p.yml", []byte(`format: 1
policy: {id: p, version: "1", name: {en: P, zh: P}, description: {en: P, zh: P}}
checks:
  - id: p.1
    title: {en: T, zh: T}
    rationale: {en: R, zh: R}
    remediation: {en: F, zh: F}
    severity: low
    rules:
      - port: {listening: true, address: not_loopback, allowed: []}
`))
	if err != nil {
		t.Fatal(err)
	}
	compact, err := p.Compact()
	if err != nil {
		if !strings.Contains(err.Error(), "checks[0].rules[0].port.allowed") {
			t.Errorf("error %q does not name the setting", err)
		}
		if p.RulesDigest() != "" {
			t.Error("RulesDigest of a policy Compact refuses")
		}
		return
	}
	q, err := policy.ParseCompact(compact)
	if err != nil {
		t.Fatalf("%s:\n%v", compact, err)
	}
	if a := q.Checks[0].Rules[0].Port.Allowed; a == nil || len(a) != 0 {
		t.Errorf("allowed %v, want an empty list", a)
	}
}

// baseCompact is a valid compact policy the refusal cases change.
const baseCompact = `{"format":1,"id":"t","version":"1","checks":[{"id":"t.1","severity":"low","condition":"all","rules":[` +
	`{"file":{"path":"/etc/passwd","mode_max":"0644"}},` +
	`{"config":{"path":"/etc/login.defs","format":"keyvalue","key":"UMASK","op":"in","value":["027","077"]}},` +
	`{"command":{"run":"sshd -T","regex":"^permitrootlogin no$"}},` +
	`{"not":true,"port":{"port":[23],"listening":true}}]}]}`

func TestParseCompactBase(t *testing.T) {
	p, err := policy.ParseCompact([]byte(baseCompact))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Checks) != 1 || len(p.Checks[0].Rules) != 4 || !p.Checks[0].Rules[3].Not || p.Checks[0].Rules[1].Config.Value.String() != "[027, 077]" {
		t.Errorf("read %+v", p.Checks)
	}
}

// TestParseCompactRefuses: what Parse refuses, ParseCompact refuses,
// and so does it what strict JSON decoding would otherwise let through.
func TestParseCompactRefuses(t *testing.T) {
	change := func(old, new string) string {
		if !strings.Contains(baseCompact, old) {
			t.Fatalf("%q is not in the base policy", old)
		}
		return strings.Replace(baseCompact, old, new, 1)
	}
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "not valid JSON"},
		{"not an object", `[1]`, "cannot unmarshal array"},
		{"truncated", baseCompact[:len(baseCompact)-3], "not valid JSON"},
		{"trailing data", baseCompact + ` {}`, "data after the policy"},
		{"invalid UTF-8", change(`"version":"1"`, "\"version\":\"\xff\""), "not valid UTF-8"},
		{"too large", `{"format":1,"id":"` + strings.Repeat("a", policy.MaxCompactSize) + `"}`, "more than the"},
		{"unknown top field", change(`"version":"1"`, `"version":"1","name":{"en":"x","zh":"y"}`), `unknown field "name"`},
		{"text in a check", change(`"severity":"low"`, `"severity":"low","title":{"en":"x","zh":"y"}`), `unknown field "title"`},
		{"references in a check", change(`"severity":"low"`, `"severity":"low","references":{"cis":["1"]}`), `unknown field "references"`},
		{"unknown rule type", change(`{"file":`, `{"shell":{"run":"id"},"file":`), `unknown field "shell"`},
		{"unknown rule setting", change(`"mode_max":"0644"`, `"mode_max":"0644","follow":true`), `unknown field "follow"`},
		{"not inside the rule", change(`"mode_max":"0644"`, `"mode_max":"0644","not":true`), `unknown field "not"`},
		{"two types", change(`{"file":{"path":"/etc/passwd","mode_max":"0644"}}`, `{"file":{"path":"/etc/passwd"},"os":{"id":"debian"}}`), "exactly one type"},
		{"no type", change(`{"file":{"path":"/etc/passwd","mode_max":"0644"}}`, `{"not":true}`), "needs a type"},
		{"duplicate key", change(`"mode_max":"0644"`, `"mode_max":"0644","mode_max":"0777"`), "duplicate key"},
		{"null", change(`"mode_max":"0644"`, `"mode_max":null`), "null"},
		{"value a map", change(`"value":["027","077"]`, `"value":{"a":"027"}`), "got a map"},
		{"value list of lists", change(`"value":["027","077"]`, `"value":[["027"]]`), "got a list"},
		{"wrong type", change(`"format":1`, `"format":"1"`), "cannot unmarshal string"},
		{"format", change(`"format":1`, `"format":2`), "format 2 is not known"},
		{"no version", change(`"version":"1"`, `"version":""`), "policy.version: missing"},
		{"bad policy id", change(`"id":"t"`, `"id":"T!"`), "policy.id"},
		{"check id without the policy's", change(`"id":"t.1"`, `"id":"u.1"`), "want <policy id>.<number>"},
		{"duplicate check", change(`}]}]}`, `}]},{"id":"t.1","severity":"low","rules":[{"os":{"id":"debian"}}]}]}`), "duplicate check id"},
		{"no checks", `{"format":1,"id":"t","version":"1","checks":[]}`, "at least one check"},
		{"no rules", change(`"condition":"all",`, `"condition":"all","applies_if":{"rules":[]},`), "applies_if.rules: missing"},
		{"severity", change(`"severity":"low"`, `"severity":"urgent"`), `"urgent": want low`},
		{"no severity", change(`"severity":"low",`, ``), "severity: missing"},
		{"condition", change(`"condition":"all"`, `"condition":"most"`), `"most": want all, any or none`},
		{"relative path", change(`"/etc/passwd"`, `"etc/passwd"`), "not an absolute path"},
		{"dot dot", change(`"/etc/passwd"`, `"/etc/../etc/shadow"`), "cannot hold .."},
		{"bad regex", change(`"^permitrootlogin no$"`, `"(?<=x)"`), "not a valid RE2"},
		{"command not allowed", change(`"sshd -T"`, `"sh -c id"`), "is not allowed"},
		{"command option refused", change(`"sshd -T"`, `"rpm -q --eval x"`), "is not allowed"},
		{"op of another rule", change(`"op":"in"`, `"op":"like"`), `"like" is not an operator`},
		{"op value", change(`"value":["027","077"]`, `"value":"027"`), "in wants a list"},
		{"mode", change(`"0644"`, `"rwx"`), "octal mode"},
		{"port range", change(`"port":[23]`, `"port":[70000]`), "port number 0-65535"},
		{"negative port", change(`"port":[23]`, `"port":[-1]`), "port number 0-65535"},
		{"nested deep", change(`"checks":`, `"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`,"checks":`), "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.ParseCompact([]byte(tt.data))
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if p != nil {
				t.Error("a policy with the error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if len(policy.Problems(err)) == 0 {
				t.Errorf("error %q holds no *Problem", err)
			}
		})
	}
}

// asPolicyFile writes a policy read from a compact form as a policy
// file: its JSON (which is YAML) with placeholder texts and every "${"
// escaped, so that Parse reads the very rules.
func asPolicyFile(p *policy.Policy) ([]byte, error) {
	full := *p
	txt := policy.Text{En: "x", Zh: "x"}
	full.Meta.Name, full.Meta.Description = txt, txt
	full.Checks = slices.Clone(p.Checks)
	for i := range full.Checks {
		full.Checks[i].Title, full.Checks[i].Rationale, full.Checks[i].Remediation = txt, txt, txt
	}
	b, err := json.Marshal(&full)
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte("${"), []byte("$${"))
	// JSON leaves DEL, the C1 controls and U+FFFE/U+FFFF as they are,
	// YAML refuses them raw: in a string they are written as escapes,
	// which both read alike.
	var out bytes.Buffer
	for _, r := range string(b) {
		if (r >= 0x7f && r <= 0x9f) || r == 0xfffe || r == 0xffff {
			fmt.Fprintf(&out, `\u%04x`, r)
			continue
		}
		out.WriteRune(r)
	}
	return out.Bytes(), nil
}

// TestParseCompactAgreesWithParse: a policy ParseCompact reads is one
// Parse reads too once it has texts, with the same rules.
func TestParseCompactAgreesWithParse(t *testing.T) {
	for name, data := range roundTripFiles(t) {
		p, err := policy.Parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		compact, err := p.Compact()
		if err != nil {
			t.Fatal(err)
		}
		checkAgreement(t, compact)
	}
	checkAgreement(t, []byte(baseCompact))
	// Characters JSON leaves raw and YAML only takes escaped.
	for _, c := range []string{"\x7f", "\u0085", "\u009f", "\ufffe", "\uffff"} {
		checkAgreement(t, []byte(strings.Replace(baseCompact, "/etc/passwd", "/etc/pass"+c+"wd", 1)))
	}
}

func checkAgreement(t *testing.T, compact []byte) {
	t.Helper()
	q, err := policy.ParseCompact(compact)
	if err != nil {
		return
	}
	file, err := asPolicyFile(q)
	if err != nil {
		t.Fatal(err)
	}
	full, err := policy.Parse("compact.yml", file)
	if err != nil {
		t.Fatalf("ParseCompact accepted what Parse refuses:\n%s\n%v", compact, err)
	}
	if full.RulesDigest() != q.RulesDigest() {
		t.Fatalf("Parse read other rules than ParseCompact:\n%s", compact)
	}
}

func FuzzParseCompact(f *testing.F) {
	for name, data := range roundTripFiles(f) {
		p, err := policy.Parse(name, data)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) > 64<<10 {
			continue // the shipped policies are too large to mutate usefully
		}
		compact, err := p.Compact()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(compact)
	}
	f.Add([]byte(baseCompact))
	f.Add([]byte(`{"format":1,"id":"t","version":"1","checks":[{"id":"t.1","severity":"low","rules":[{"port":{"port":[-1],"listening":true}}]}]}`))
	f.Add([]byte(`{"format":1,"id":"t","version":"1","checks":[{"id":"t.1","severity":"low","rules":[{"sysctl":{"key":"a.b","op":"eq","value":[{"x":1}]}}]}]}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.ParseCompact(data)
		if err != nil {
			if p != nil {
				t.Fatal("a policy with an error")
			}
			if len(policy.Problems(err)) == 0 {
				t.Fatalf("an error without a problem: %v", err)
			}
			return
		}
		if len(p.Checks) == 0 {
			t.Fatal("no error and no check")
		}
		compact, err := p.Compact()
		if err != nil {
			t.Fatalf("Compact of an accepted policy: %v", err)
		}
		q, err := policy.ParseCompact(compact)
		if err != nil {
			t.Fatalf("the compact form of an accepted policy is refused: %v\n%s", err, compact)
		}
		if q.RulesDigest() != p.RulesDigest() {
			t.Fatalf("RulesDigest changed on the way back:\n%s", compact)
		}
		checkAgreement(t, data)
	})
}

// BenchmarkParseCompact reads the compact form of the largest policy
// at hand, as an agent does when its settings change.
func BenchmarkParseCompact(b *testing.B) {
	var largest []byte
	for name, data := range roundTripFiles(b) {
		p, err := policy.Parse(name, data)
		if err != nil {
			b.Fatal(err)
		}
		compact, err := p.Compact()
		if err != nil {
			b.Fatal(err)
		}
		if len(compact) > len(largest) {
			largest = compact
		}
	}
	b.SetBytes(int64(len(largest)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := policy.ParseCompact(largest); err != nil {
			b.Fatal(err)
		}
	}
}
