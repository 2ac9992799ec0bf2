package intel

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		typ  store.IndicatorType
		in   string
		want string
	}{
		// Addresses and networks.
		{store.IndicatorIP, "192.0.2.1", "192.0.2.1"},
		{store.IndicatorIP, " 192.0.2.1\t", "192.0.2.1"},
		{store.IndicatorIP, "192[.]0[.]2[.]1", "192.0.2.1"},
		{store.IndicatorIP, "192(.)0(.)2(.)1", "192.0.2.1"},
		{store.IndicatorIP, "203.0.113.77/24", "203.0.113.0/24"},
		{store.IndicatorIP, "203.0.113.77/32", "203.0.113.77"},
		{store.IndicatorIP, "2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
		{store.IndicatorIP, "[2001:db8::1]", "2001:db8::1"},
		{store.IndicatorIP, "2001:db8::1/128", "2001:db8::1"},
		{store.IndicatorIP, "2001:db8:abcd:12::5/48", "2001:db8:abcd::/48"},
		{store.IndicatorIP, "::ffff:192.0.2.1", "192.0.2.1"},
		{store.IndicatorIP, "::ffff:198.51.100.9/120", "198.51.100.0/24"},
		{store.IndicatorIP, "::ffff:0:0/95", "::fffe:0:0/95"},
		{store.IndicatorIP, "127.0.0.5", "127.0.0.5"},
		{store.IndicatorIP, "10.1.2.3/8", "10.0.0.0/8"},
		// Domains.
		{store.IndicatorDomain, "Example.COM.", "example.com"},
		{store.IndicatorDomain, "evil[.]example[.]net", "evil.example.net"},
		{store.IndicatorDomain, "*.example.org", "example.org"},
		{store.IndicatorDomain, "_dmarc.example.com", "_dmarc.example.com"},
		{store.IndicatorDomain, "xn--bcher-kva.example", "xn--bcher-kva.example"},
		{store.IndicatorDomain, "Bücher.example", "xn--bcher-kva.example"},
		{store.IndicatorDomain, "bücher。example", "xn--bcher-kva.example"},
		{store.IndicatorDomain, "a_b.bücher.example", "a_b.xn--bcher-kva.example"},
		{store.IndicatorDomain, "x1.y2.example.com", "x1.y2.example.com"},
		// URLs.
		{store.IndicatorURL, "HTTP://Example.COM:80/Path?Q=1#frag", "http://example.com/Path?Q=1"},
		{store.IndicatorURL, "hxxps://evil[.]example[.]net/a", "https://evil.example.net/a"},
		{store.IndicatorURL, "hXXp://example[.]com[:]8080/x", "http://example.com:8080/x"},
		{store.IndicatorURL, "https://example.com:443", "https://example.com/"},
		{store.IndicatorURL, "https://example.com?q", "https://example.com/?q"},
		{store.IndicatorURL, "example.com/download.exe", "http://example.com/download.exe"},
		{store.IndicatorURL, "http://user:pw@Example.com:8080/a%20b", "http://user:pw@example.com:8080/a%20b"},
		{store.IndicatorURL, "http://192.0.2.10/x.sh", "http://192.0.2.10/x.sh"},
		{store.IndicatorURL, "http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"},
		{store.IndicatorURL, "http://bücher.example/x", "http://xn--bcher-kva.example/x"},
		{store.IndicatorURL, "ftp://files.example.com:21/a", "ftp://files.example.com/a"},
		{store.IndicatorURL, "http://example.com./", "http://example.com/"},
		// Hashes.
		{store.IndicatorMD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
		{store.IndicatorSHA1, " da39a3ee5e6b4b0d3255bfef95601890afd80709 ", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{store.IndicatorSHA256, strings.Repeat("AB", 32), strings.Repeat("ab", 32)},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+"/"+tt.in, func(t *testing.T) {
			got, err := Normalize(tt.typ, tt.in)
			if err != nil {
				t.Fatalf("Normalize(%s, %q): %v", tt.typ, tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%s, %q) = %q, want %q", tt.typ, tt.in, got, tt.want)
			}
			again, err := Normalize(tt.typ, got)
			if err != nil || again != got {
				t.Fatalf("Normalize is not idempotent: %q -> %q, %v", got, again, err)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	tests := []struct {
		typ    store.IndicatorType
		in     string
		reason string // a part of the error
	}{
		{store.IndicatorIP, "", "empty value"},
		{store.IndicatorIP, "999.1.1.1", "value >255"},
		{store.IndicatorIP, "192.0.2.01", "leading zero"},
		{store.IndicatorIP, "192.0.2.1/33", "network"},
		{store.IndicatorIP, "0.0.0.0/0", "/0 network matches every address"},
		{store.IndicatorIP, "::/0", "/0 network"},
		{store.IndicatorIP, "fe80::1%eth0", "zones are not allowed"},
		{store.IndicatorIP, "192.0.2.1:80", "address"},
		{store.IndicatorIP, "example.com", "address"},
		{store.IndicatorDomain, "localhost", "at least 2 labels"},
		{store.IndicatorDomain, "a..example.com", "empty label"},
		{store.IndicatorDomain, "-bad.example.com", "starts or ends with '-'"},
		{store.IndicatorDomain, "bad-.example.com", "starts or ends with '-'"},
		{store.IndicatorDomain, "ex ample.com", "not allowed"},
		{store.IndicatorDomain, "exa$mple.com", "not allowed"},
		{store.IndicatorDomain, "192.0.2.1", "is a number"},
		{store.IndicatorDomain, strings.Repeat("a", 64) + ".com", "longer than 63"},
		{store.IndicatorDomain, strings.Repeat("abcdefghi.", 26) + "com", "longer than 253"},
		{store.IndicatorDomain, "xn--zz.example", "xn--zz"},
		{store.IndicatorDomain, "\xff.example", "not UTF-8"},
		{store.IndicatorURL, "http://a.example.com/\x90", "not UTF-8"},
		{store.IndicatorURL, "http:///path", "not of the form"},
		{store.IndicatorURL, "http://exa mple.com/", "white space"},
		{store.IndicatorURL, "http://example.com:99999/", "out of range"},
		{store.IndicatorURL, "http://example.com:0/", "out of range"},
		{store.IndicatorURL, "http://exa$mple.com/", "not allowed"},
		{store.IndicatorURL, "http://[2001:db8::zz]/", "host"},
		{store.IndicatorURL, "1http://example.com/", "not of the form"},
		{store.IndicatorMD5, "d41d8cd98f00b204e9800998ecf8427", "want 32 hex digits"},
		{store.IndicatorMD5, "g41d8cd98f00b204e9800998ecf8427e", "not hex"},
		{store.IndicatorSHA1, strings.Repeat("a", 64), "want 40 hex digits"},
		{"email", "a@example.com", "unknown indicator type"},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+"/"+tt.in, func(t *testing.T) {
			got, err := Normalize(tt.typ, tt.in)
			if err == nil {
				t.Fatalf("Normalize(%s, %q) = %q, want an error", tt.typ, tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Normalize(%s, %q): %v, want it to say %q", tt.typ, tt.in, err, tt.reason)
			}
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error %v does not match store.ErrInvalid", err)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		in   string
		typ  store.IndicatorType
		want string
	}{
		{"198.51.100.7", store.IndicatorIP, "198.51.100.7"},
		{"198[.]51[.]100[.]0/24", store.IndicatorIP, "198.51.100.0/24"},
		{"2001:db8::a", store.IndicatorIP, "2001:db8::a"},
		{"::ffff:203.0.113.5", store.IndicatorIP, "203.0.113.5"},
		{"[2001:db8::a]", store.IndicatorIP, "2001:db8::a"},
		{"Example.NET", store.IndicatorDomain, "example.net"},
		{"bad[.]example[.]com", store.IndicatorDomain, "bad.example.com"},
		{"hxxp://bad[.]example[.]com/x", store.IndicatorURL, "http://bad.example.com/x"},
		{"bad.example.com/dropper.sh", store.IndicatorURL, "http://bad.example.com/dropper.sh"},
		{"bad.example.com?id=1", store.IndicatorURL, "http://bad.example.com/?id=1"},
		{"D41D8CD98F00B204E9800998ECF8427E", store.IndicatorMD5, "d41d8cd98f00b204e9800998ecf8427e"},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", store.IndicatorSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{strings.Repeat("0f", 32), store.IndicatorSHA256, strings.Repeat("0f", 32)},
		// 32 hex digits with a dot is a name, not a hash.
		{strings.Repeat("a", 30) + ".com", store.IndicatorDomain, strings.Repeat("a", 30) + ".com"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			typ, got, err := Detect(tt.in)
			if err != nil {
				t.Fatalf("Detect(%q): %v", tt.in, err)
			}
			if typ != tt.typ || got != tt.want {
				t.Fatalf("Detect(%q) = %s %q, want %s %q", tt.in, typ, got, tt.typ, tt.want)
			}
		})
	}
}

func TestDetectRejects(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", "empty value"},
		{"   ", "empty value"},
		{"999.1.1.1", "address"},
		{"192.0.2.1:8080", "address"},
		{"localhost", "not an IP address, network, domain, URL or file hash"},
		{"hello world", "not an IP address"},
		{"d41d8cd98f00b204e9800998ecf842", "not an IP address"}, // 30 hex digits
		{"0.0.0.0/0", "/0 network"},
		{strings.Repeat("a", maxValueLen+1), "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			typ, got, err := Detect(tt.in)
			if err == nil {
				t.Fatalf("Detect(%q) = %s %q, want an error", tt.in, typ, got)
			}
			if !strings.Contains(err.Error(), tt.reason) || !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Detect(%q): %v, want an ErrInvalid saying %q", tt.in, err, tt.reason)
			}
		})
	}
}

// TestCanonicalURLAgrees checks that the enricher's allocation-free
// canonical form of a URL is the stored one.
func TestCanonicalURLAgrees(t *testing.T) {
	for _, in := range []string{
		"HTTP://Example.COM:80/Path?Q=1#frag", "https://example.com:443", "https://a.example.com:8443/x?y#z",
		"http://user@Example.com/", "http://[2001:DB8::1]:80/", "ws://example.com:80/socket", "http://example.com./a",
	} {
		n, err := Normalize(store.IndicatorURL, in)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendCanonicalURL(nil, in)
		if !ok || string(got) != n {
			t.Errorf("appendCanonicalURL(%q) = %q, %v; Normalize gives %q", in, got, ok, n)
		}
	}
}
