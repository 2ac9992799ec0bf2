package sca

import (
	"os"
	"regexp"
	"testing"

	"github.com/vigilsec/vigil/internal/compliance/policy"
)

func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"not f:/etc/x -> !r:^# && r:Port\\s+22", "c:sshd -T -> n:^x\\s+(\\d+) compare >= 4", "d:/a -> r:\\.* -> r:x", "r:HK -> v -> 1", "p:x", "f:/a -> literal"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		for _, m := range r.Content {
			if expr, err := TranslateOSRegex(m.Value); err == nil {
				regexp.MustCompile(expr)
			}
			if expr, err := TranslatePCRE(m.Value); err == nil {
				regexp.MustCompile(expr)
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/cis_debian12_sample.yml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("policy: {id: x}\nchecks: [{id: 1, condition: any, rules: ['f:/a,/b -> r:x']}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := Parse("f.yml", data)
		if err == nil && (p == nil || len(p.Checks) == 0) {
			t.Fatal("no error and no policy")
		}
		if err != nil {
			return
		}
		// What the center accepts, its agents accept.
		compact, err := p.Compact()
		if err != nil {
			t.Fatalf("compact form: %v", err)
		}
		if _, err := policy.ParseCompact(compact); err != nil {
			t.Fatalf("the agents refuse the compact form: %v", err)
		}
	})
}
