package clikit

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseLabelList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		err  string
	}{
		{"", map[string]string{}, ""},
		{"  ", map[string]string{}, ""},
		{"env=prod", map[string]string{"env": "prod"}, ""},
		{"env=prod, site = idc-sh ,tier=", map[string]string{"env": "prod", "site": "idc-sh", "tier": ""}, ""},
		{"k8s.io/app=web,a=b=c", map[string]string{"k8s.io/app": "web", "a": "b=c"}, ""},
		{"env", nil, `"env": want key=value`},
		{"env=prod,", nil, `"": want key=value`},
		{"=x", nil, `key "": want 1 to 63`},
		{"a b=c", nil, `key "a b"`},
		{"env=a,env=b", nil, `key "env" given twice`},
		{"k=\x1b[2J", nil, "printable"},
		{"k=" + strings.Repeat("v", 256), nil, "at most 255"},
	} {
		got, err := ParseLabelList(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLabelList(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !cmp.Equal(got, tc.want) {
			t.Errorf("ParseLabelList(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParsePairsKeepsCommas(t *testing.T) {
	got, err := ParsePairs([]string{"paths=/etc,/var", "expr=a=b", "pad= x "}, MaxArgValLen)
	want := map[string]string{"paths": "/etc,/var", "expr": "a=b", "pad": " x "}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("parsePairs = %v, %v", got, err)
	}
	if _, err := ParsePairs([]string{"novalue"}, MaxArgValLen); err == nil {
		t.Error("parsePairs accepted an item without =")
	}
}

// now is the clock of the tests.
var now = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"", time.Time{}, false},
		{"90s", now.Add(-90 * time.Second), false},
		{"1h", now.Add(-time.Hour), false},
		{"7d", now.Add(-7 * 24 * time.Hour), false},
		{"2025-01-02T15:04:05Z", time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC), false},
		{"2025-01-02T23:04:05+08:00", time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC), false},
		{"2025-01-02", time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), false},
		{"0s", time.Time{}, true},
		{"-1h", time.Time{}, true},
		{"-3d", time.Time{}, true},
		{"yesterday", time.Time{}, true},
	} {
		got, err := ParseTime(now, tc.in)
		if (err != nil) != tc.err || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                   "plain",
		"中文主机":                    "中文主机",
		"a\tb\nc":                 `a\x09b\x0ac`,
		"\x1b[31mred\x1b[0m":      `\x1b[31mred\x1b[0m`,
		"evil\u202egnp.exe":       `evil\u202egnp.exe`,
		"bad utf8 \xff":           `bad utf8 \ufffd`,
		"del\x7f and c1 \u009b x": `del\x7f and c1 \x9b x`,
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseLabelList checks that any input parses or fails cleanly, and
// that what parses survives formatting and parsing again.
func FuzzParseLabelList(f *testing.F) {
	for _, s := range []string{"", "env=prod", "a=b,c=d", " k = v ", "a=b=c", "k8s.io/x=y,", "=", ",,", "k=\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseLabelList(s)
		if err != nil {
			return
		}
		for k, v := range got {
			if CheckKey(k) != nil || strings.ContainsAny(v, ",") || strings.TrimSpace(v) != v {
				t.Fatalf("ParseLabelList(%q) kept key %q value %q", s, k, v)
			}
		}
		again, err := ParseLabelList(FormatLabels(got))
		if err != nil || !cmp.Equal(again, got) {
			t.Fatalf("round trip of %q: %v, %v; want %v", s, again, err, got)
		}
	})
}

// FuzzParseTime checks that --since/--until input never panics and that
// accepted durations lie before now.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1h", "7d", "90s", "2025-01-02", "2025-01-02T15:04:05Z", "-1h", "99999999999d", "1e9h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(now, s)
		if err == nil && !got.IsZero() && got.After(now) {
			if _, derr := ParseDuration(strings.TrimSpace(s)); derr == nil {
				t.Fatalf("ParseTime(%q) = %v, after now", s, got)
			}
		}
	})
}
