package main

import "testing"

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi int
		ok     bool
	}{
		{"32768\t60999\n", 32768, 60999, true},
		{"1024 65535", 1024, 65535, true},
		{"", 0, 0, false},
		{"32768", 0, 0, false},
		{"60999 32768", 0, 0, false},
		{"0 100", 0, 0, false},
		{"1 70000", 0, 0, false},
		{"a b", 0, 0, false},
		{"1 2 3", 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, ok := parsePortRange(tt.in)
		if ok != tt.ok || (ok && (lo != tt.lo || hi != tt.hi)) {
			t.Errorf("parsePortRange(%q) = %d, %d, %v; want %d, %d, %v", tt.in, lo, hi, ok, tt.lo, tt.hi, tt.ok)
		}
	}
}

func FuzzParsePortRange(f *testing.F) {
	f.Add("32768\t60999\n")
	f.Add("1 1")
	f.Fuzz(func(t *testing.T, s string) {
		lo, hi, ok := parsePortRange(s)
		if ok && (lo < 1 || hi > 65535 || hi < lo) {
			t.Errorf("parsePortRange(%q) = %d, %d, true", s, lo, hi)
		}
	})
}
