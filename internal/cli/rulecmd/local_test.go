package rulecmd

import "testing"

func TestLogsourceAt(t *testing.T) {
	file := `title: a
logsource: {product: linux, category: process_creation}
detection: {sel: {Image: /x}, condition: sel}
---
title: b
correlation: {type: event_count, rules: a, timespan: 1m}
---
title: c
logsource:
    product: linux
    service: sshd
detection:
    keywords: ['x']
    condition: keywords
---
title: [broken
`
	for _, tc := range []struct {
		line int
		want string
	}{
		{0, unknownLabel},
		{1, "linux/process_creation"},
		{3, "linux/process_creation"},
		{6, correlationLabel},
		{13, "linux/sshd"},
		{17, "linux/sshd"},
	} {
		if got := logsourceAt([]byte(file), tc.line); got != tc.want {
			t.Errorf("line %d: %q, want %q", tc.line, got, tc.want)
		}
	}
	if got := logsourceAt([]byte("- a\n- b\n"), 1); got != unknownLabel {
		t.Errorf("a list: %q", got)
	}
	if got := logsourceAt([]byte("title: x\n"), 1); got != "(empty logsource)" {
		t.Errorf("no logsource: %q", got)
	}
}

// FuzzLogsourceAt: any file and line give a label, never a panic.
func FuzzLogsourceAt(f *testing.F) {
	f.Add("title: a\nlogsource: {product: linux}\n", 1)
	f.Add("correlation: x\n---\nlogsource: [1]\n", 3)
	f.Add("{{{", 1)
	f.Add("logsource:\n  product: &a linux\n  category: *a\n", 2)
	f.Fuzz(func(t *testing.T, data string, line int) {
		if got := logsourceAt([]byte(data), line); got == "" {
			t.Fatalf("no label for line %d of %q", line, data)
		}
	})
}
