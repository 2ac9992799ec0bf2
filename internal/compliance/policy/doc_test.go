package policy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocExamples parses the policy of docs/policies.md and every rule
// line of its examples: the contract's examples must be valid.
func TestDocExamples(t *testing.T) {
	data, err := os.ReadFile("../../../docs/policies.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	if len(blocks) < 10 {
		t.Fatalf("found %d yaml blocks", len(blocks))
	}
	if _, err := Parse("policies.md", []byte(blocks[0][1])); err != nil {
		t.Errorf("the example policy:\n%v", err)
	}
	head := "format: 1\npolicy: {id: doc, version: '1', name: {en: a, zh: b}, description: {en: a, zh: b}}\n" +
		"checks:\n  - id: doc.1\n    title: {en: a, zh: b}\n    rationale: {en: a, zh: b}\n    remediation: {en: a, zh: b}\n    severity: low\n    rules:\n"
	n := 0
	for _, b := range blocks[1:] {
		for _, line := range strings.Split(b[1], "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "- ") {
				continue
			}
			if i := strings.Index(line, "   #"); i > 0 {
				line = strings.TrimSpace(line[:i])
			}
			n++
			if _, err := Parse("policies.md", []byte(head+"      "+line+"\n")); err != nil {
				t.Errorf("%s:\n%v", line, err)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d rule examples found", n)
	}
}
