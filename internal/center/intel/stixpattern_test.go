package intel

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSTIXPattern(t *testing.T) {
	tests := []struct {
		pattern string
		want    []stixComparison
	}{
		{"[ipv4-addr:value = '192.0.2.1']", []stixComparison{{"ipv4-addr", "value", "192.0.2.1"}}},
		{"  [ ipv4-addr:value='192.0.2.1' ]  ", []stixComparison{{"ipv4-addr", "value", "192.0.2.1"}}},
		{"[file:hashes.'SHA-256' = 'abc' OR file:hashes.MD5 = 'def']",
			[]stixComparison{{"file", "hashes.SHA-256", "abc"}, {"file", "hashes.MD5", "def"}}},
		{"[domain-name:value = 'a.example.com'] OR [url:value = 'http://example.com/it''s']", nil},
		{"[url:value = 'http://example.com/it\\'s']", []stixComparison{{"url", "value", "http://example.com/it's"}}},
		{"[url:value = 'back\\\\slash']", []stixComparison{{"url", "value", "back\\slash"}}},
		{"([ipv4-addr:value = '192.0.2.1'] OR ([ipv6-addr:value = '2001:db8::1']))",
			[]stixComparison{{"ipv4-addr", "value", "192.0.2.1"}, {"ipv6-addr", "value", "2001:db8::1"}}},
		{"[(domain-name:value = 'a.example.com' OR domain-name:value = 'b.example.com')]",
			[]stixComparison{{"domain-name", "value", "a.example.com"}, {"domain-name", "value", "b.example.com"}}},
		{"[domain-name:value IN ('a.example.com', 'b.example.com')]",
			[]stixComparison{{"domain-name", "value", "a.example.com"}, {"domain-name", "value", "b.example.com"}}},
		{"[network-traffic:dst_ref.value = '203.0.113.1']", []stixComparison{{"network-traffic", "dst_ref.value", "203.0.113.1"}}},
		{"[file:extensions.'windows-pebinary-ext'.sections[*].name = '.text']",
			[]stixComparison{{"file", "extensions.windows-pebinary-ext.sections.name", ".text"}}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got, err := parseSTIXPattern(tt.pattern)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestParseSTIXPatternRefuses(t *testing.T) {
	tests := []struct{ pattern, reason string }{
		{"", "pattern ends where an observation"},
		{"[]", "want an object path"},
		{"[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.2']", "AND is not supported"},
		{"[ipv4-addr:value = '192.0.2.1'] AND [ipv4-addr:value = '192.0.2.2']", "AND is not supported"},
		{"[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.2']", "FOLLOWEDBY"},
		{"[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES", "REPEATS"},
		{"[ipv4-addr:value = '192.0.2.1'] WITHIN 60 SECONDS", "WITHIN"},
		{"[ipv4-addr:value = '192.0.2.1'] START t'2026-01-01T00:00:00Z' STOP t'2026-02-01T00:00:00Z'", "START"},
		{"[ipv4-addr:value != '192.0.2.1']", "operator != is not supported"},
		{"[ipv4-addr:value NOT = '192.0.2.1']", "operator NOT is not supported"},
		{"[NOT ipv4-addr:value = '192.0.2.1']", "NOT is not supported"},
		{"[EXISTS file:name]", "EXISTS is not supported"},
		{"[file:name LIKE 'a%']", "LIKE"},
		{"[file:name MATCHES '^a']", "MATCHES"},
		{"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "ISSUBSET"},
		{"[file:size > 10]", "operator > is not supported"},
		{"[ipv4-addr:value = 5]", "want a string in quotes"},
		{"[ipv4-addr:value = h'c0000201']", "want a string in quotes"},
		{"[ipv4-addr:value = '192.0.2.1]", "unterminated string"},
		{"[ipv4-addr:value = 'a\\n']", "bad escape"},
		{"[ipv4-addr:value = '192.0.2.1'", "the end of the pattern"},
		{"[ipv4-addr:value = '192.0.2.1'] junk", "unexpected"},
		{"[ipv4-addr:value = '192.0.2.1'] or [ipv4-addr:value = '192.0.2.2']", "unexpected"},
		{"[value = 'x']", "want an object path"},
		{"[ipv4-addr: = 'x']", "empty property"},
		{"[ipv4-addr:value]", "want an operator"},
		{"[ipv4-addr:value IN '192.0.2.1']", "IN wants a list"},
		{"[ipv4-addr:value IN ('192.0.2.1' '192.0.2.2')]", "want ',' or ')'"},
		{"[file:name[0 = 'x']", "unclosed list index"},
		{strings.Repeat("(", 40) + "[ipv4-addr:value = '192.0.2.1']" + strings.Repeat(")", 40), "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got, err := parseSTIXPattern(tt.pattern)
			if err == nil {
				t.Fatalf("parsed %+v, want an error saying %q", got, tt.reason)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("%v, want it to say %q", err, tt.reason)
			}
		})
	}
}

func TestSTIXIndicatorType(t *testing.T) {
	tests := []struct {
		c  stixComparison
		t  string
		ok bool
	}{
		{stixComparison{"ipv4-addr", "value", ""}, "ip", true},
		{stixComparison{"ipv6-addr", "value", ""}, "ip", true},
		{stixComparison{"ipv4-addr", "resolves_to_refs", ""}, "ip", false},
		{stixComparison{"domain-name", "value", ""}, "domain", true},
		{stixComparison{"url", "value", ""}, "url", true},
		{stixComparison{"file", "hashes.sha-256", ""}, "sha256", true},
		{stixComparison{"file", "hashes.SHA256", ""}, "sha256", true},
		{stixComparison{"file", "hashes.SHA-1", ""}, "sha1", true},
		{stixComparison{"file", "hashes.MD5", ""}, "md5", true},
		{stixComparison{"artifact", "hashes.MD5", ""}, "md5", true},
		{stixComparison{"file", "hashes.SHA-512", ""}, "", false},
		{stixComparison{"file", "name", ""}, "", false},
		{stixComparison{"network-traffic", "dst_ref.value", ""}, "", true},
		{stixComparison{"network-traffic", "dst_port", ""}, "", false},
		{stixComparison{"email-addr", "value", ""}, "", false},
	}
	for _, tt := range tests {
		typ, ok := tt.c.indicatorType()
		if ok != tt.ok || ok && string(typ) != tt.t {
			t.Errorf("%s: %q %v, want %q %v", tt.c.Path(), typ, ok, tt.t, tt.ok)
		}
	}
}
