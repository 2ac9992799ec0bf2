package exceptioncmd

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func TestParseMatch(t *testing.T) {
	got, err := parseMatch([]string{"process.executable=/usr/bin/a*", "user.name=root", "process.executable=/opt/x=y"})
	want := map[string][]string{"process.executable": {"/usr/bin/a*", "/opt/x=y"}, "user.name": {"root"}}
	if err != nil || !cmp.Equal(got, want) {
		t.Fatalf("parseMatch = %v, %v", got, err)
	}
	for _, bad := range []string{"user.name", "=x", "user.name=", " =x"} {
		if _, err := parseMatch([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	for in, want := range map[string]time.Time{
		"7d":                   now.AddDate(0, 0, 7),
		"90m":                  now.Add(90 * time.Minute),
		"2026-01-02":           time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		"2026-01-02T03:04:05Z": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	} {
		if got, err := parseExpiry(now, in); err != nil || !got.Equal(want) {
			t.Errorf("%q: %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "soon", "-1h", "0s"} {
		if _, err := parseExpiry(now, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseMatch: what parses has fields and patterns that are not
// empty, and every argument is one pattern.
func FuzzParseMatch(f *testing.F) {
	for _, s := range []string{"a=b", "a", "=", "a==b", " a =b", "process.executable=/x*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseMatch([]string{s})
		if err != nil {
			return
		}
		if len(got) != 1 {
			t.Fatalf("%q: %v", s, got)
		}
		for k, v := range got {
			if k == "" || strings.TrimSpace(k) != k || len(v) != 1 || v[0] == "" {
				t.Fatalf("%q: %v", s, got)
			}
		}
	})
}

// FuzzParseExpiry: accepted input is in the future or an absolute time.
func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"7d", "1h", "2026-01-02", "-5m", "1e9h", "99999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseExpiry(now, s)
		if err != nil {
			return
		}
		if _, derr := time.ParseDuration(s); derr == nil && !got.After(now) {
			t.Fatalf("%q: %v not after now", s, got)
		}
	})
}
