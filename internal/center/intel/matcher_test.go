package intel

import (
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

// ind is an indicator of a normalized value from a source.
func ind(t store.IndicatorType, value, source string) store.Indicator {
	return store.Indicator{ID: store.IndicatorID(t, value, source), Type: t, Value: value, Source: source,
		Severity: "medium", Confidence: 50, Tags: []string{}, Techniques: []string{}}
}

// values lists the values (and sources) of indicators, in order.
func values(ins []store.Indicator) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.Value+"@"+in.Source)
	}
	return out
}

func TestMatcherLookup(t *testing.T) {
	ip, dom := store.IndicatorIP, store.IndicatorDomain
	m := NewMatcher([]store.Indicator{
		ind(ip, "10.0.0.0/8", "a"),
		ind(ip, "10.1.0.0/16", "a"),
		ind(ip, "10.1.2.0/24", "a"),
		ind(ip, "10.1.2.3", "a"),
		ind(ip, "10.1.2.3", "b"), // the same value from another source
		ind(ip, "127.0.0.0/8", "a"),
		ind(ip, "2001:db8::/32", "a"),
		ind(ip, "2001:db8:1::/48", "a"),
		ind(ip, "2001:db8:1::7", "a"),
		ind(ip, "2001:db8:ffff::/47", "a"),
		ind(dom, "example.com", "a"),
		ind(dom, "b.example.com", "a"),
		ind(dom, "example.net", "b"),
		ind(store.IndicatorURL, "http://example.com/x", "a"),
		ind(store.IndicatorMD5, "44d88612fea8a8f36de82e1278abb02f", "a"),
		ind(store.IndicatorSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "a"),
		ind(store.IndicatorSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "a"),
	})
	if m.Len() != 17 || m.Invalid() != 0 {
		t.Fatalf("Len %d Invalid %d", m.Len(), m.Invalid())
	}
	tests := []struct {
		typ   store.IndicatorType
		value string
		want  []string
	}{
		{ip, "10.1.2.3", []string{"10.1.2.3@a", "10.1.2.3@b", "10.1.2.0/24@a", "10.1.0.0/16@a", "10.0.0.0/8@a"}},
		{ip, "10.1.3.1", []string{"10.1.0.0/16@a", "10.0.0.0/8@a"}},
		{ip, "10.255.255.255", []string{"10.0.0.0/8@a"}},
		{ip, "11.0.0.1", nil},
		{ip, "9.255.255.255", nil},
		{ip, "127.0.0.9", []string{"127.0.0.0/8@a"}},
		{ip, "10.1.2.0/24", []string{"10.1.2.0/24@a", "10.1.0.0/16@a", "10.0.0.0/8@a"}},
		{ip, "10.1.0.0/15", []string{"10.0.0.0/8@a"}},
		{ip, "::ffff:10.1.3.1", []string{"10.1.0.0/16@a", "10.0.0.0/8@a"}},
		{ip, "::a01:203", nil}, // an IPv6 address, not 10.1.2.3
		{ip, "2001:db8:1::7", []string{"2001:db8:1::7@a", "2001:db8:1::/48@a", "2001:db8::/32@a"}},
		{ip, "2001:db8:2::1", []string{"2001:db8::/32@a"}},
		{ip, "2001:db8:fffe::1", []string{"2001:db8:ffff::/47@a", "2001:db8::/32@a"}},
		{ip, "2001:db9::1", nil},
		{ip, "not an address", nil},
		{dom, "example.com", []string{"example.com@a"}},
		{dom, "a.b.example.com", []string{"b.example.com@a", "example.com@a"}},
		{dom, "x.example.com", []string{"example.com@a"}},
		{dom, "notexample.com", nil},
		{dom, "example.com.evil.example.org", nil},
		{dom, "com", nil},
		{dom, "www.example.net", []string{"example.net@b"}},
		{store.IndicatorURL, "http://example.com/x", []string{"http://example.com/x@a"}},
		{store.IndicatorURL, "http://example.com/x/y", nil},
		{store.IndicatorMD5, "44D88612FEA8A8F36DE82E1278ABB02F", []string{"44d88612fea8a8f36de82e1278abb02f@a"}},
		{store.IndicatorSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", []string{"da39a3ee5e6b4b0d3255bfef95601890afd80709@a"}},
		{store.IndicatorSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			[]string{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855@a"}},
		{store.IndicatorSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85z", nil},
	}
	for _, tt := range tests {
		got := values(m.Lookup(tt.typ, tt.value))
		if !slices.Equal(got, tt.want) {
			t.Errorf("Lookup(%s, %q) = %v, want %v", tt.typ, tt.value, got, tt.want)
		}
	}
}

// TestMatcherWholeNetwork documents what a /0 network does if one
// reaches the matcher without Normalize (which refuses it): it matches
// every address of its family.
func TestMatcherWholeNetwork(t *testing.T) {
	m := NewMatcher([]store.Indicator{ind(store.IndicatorIP, "0.0.0.0/0", "a"), ind(store.IndicatorIP, "::/0", "a")})
	if got := values(m.Lookup(store.IndicatorIP, "198.51.100.1")); !slices.Equal(got, []string{"0.0.0.0/0@a"}) {
		t.Errorf("IPv4: %v", got)
	}
	if got := values(m.Lookup(store.IndicatorIP, "2001:db8::1")); !slices.Equal(got, []string{"::/0@a"}) {
		t.Errorf("IPv6: %v", got)
	}
}

func TestMatcherSkipsInvalid(t *testing.T) {
	m := NewMatcher([]store.Indicator{
		ind(store.IndicatorIP, "not an address", "a"),
		ind(store.IndicatorMD5, "xyz", "a"),
		ind(store.IndicatorSHA1, "44d88612fea8a8f36de82e1278abb02f", "a"), // an md5's length
		ind("email", "a@example.com", "a"),
		ind(store.IndicatorDomain, "", "a"),
		ind(store.IndicatorIP, "192.0.2.1", "a"),
	})
	if m.Len() != 1 || m.Invalid() != 5 {
		t.Fatalf("Len %d Invalid %d, want 1 and 5", m.Len(), m.Invalid())
	}
	if got := values(m.Lookup(store.IndicatorIP, "192.0.2.1")); !slices.Equal(got, []string{"192.0.2.1@a"}) {
		t.Errorf("valid one: %v", got)
	}
}

func TestMatcherEmpty(t *testing.T) {
	m := NewMatcher(nil)
	if m.Len() != 0 || m.Lookup(store.IndicatorIP, "192.0.2.1") != nil || m.Lookup(store.IndicatorDomain, "example.com") != nil {
		t.Fatal("an empty matcher matched")
	}
}

// TestMatcherInterns checks that repeated strings are shared, which is
// what keeps large feeds small.
func TestMatcherInterns(t *testing.T) {
	a := ind(store.IndicatorIP, "192.0.2.1", string([]byte("feed")))
	a.Tags = []string{string([]byte("c2")), "x"}
	b := ind(store.IndicatorIP, "192.0.2.2", string([]byte("feed")))
	b.Tags = []string{string([]byte("c2")), "x"}
	m := NewMatcher([]store.Indicator{a, b})
	if &m.ins[0].Tags[0] != &m.ins[1].Tags[0] {
		t.Error("equal tag lists not shared")
	}
	if m.ins[0].Source != "feed" || m.ins[1].Tags[0] != "c2" {
		t.Error("interning changed values")
	}
}
