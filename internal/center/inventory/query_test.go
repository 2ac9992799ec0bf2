package inventory

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.2.10", "1.2.9", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0", "1.0+deb12u1", -1},
		{"1:0.9", "2.0", 1},
		{"3.0.11-1~deb12u2", "3.0.11-1~deb12u1", 1},
		{"3.0.11-1~deb12u2", "3.0.11-1", -1},
		{"007", "7", 0},
		{"1.0a", "1.0", 1},
		{"1.0a", "1.0.1", -1},
		{"2.14.1", "2.17.0", -1},
		{"10", "9", 1},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestParseQuery(t *testing.T) {
	redis5 := store.AssetRecord{Kind: "middleware", Name: "redis", Version: "5.0.14"}
	redis7 := store.AssetRecord{Kind: "package", Name: "redis-server", Version: "5:7.0.15-1~deb12u4", Fields: json.RawMessage(`{"package":{"type":"deb"}}`)}
	port := store.AssetRecord{Kind: "port", Name: "3000", Key: "tcp/0.0.0.0:3000", Fields: json.RawMessage(`{"process":{"executable":"/opt/tool/agentd"}}`)}
	tests := []struct {
		q          string
		kind, name string
		text       string
		matches    []store.AssetRecord
		misses     []store.AssetRecord
	}{
		{q: "name:redis version<6", name: "redis", matches: []store.AssetRecord{redis5}, misses: []store.AssetRecord{{Name: "redis", Version: "6.2.0"}, {Name: "redis"}}},
		{q: "name:redis* version>=7", matches: []store.AssetRecord{redis7}, misses: []store.AssetRecord{redis5}},
		{q: "version<5:8", matches: []store.AssetRecord{redis7}},
		{q: "version=7.0.15", matches: []store.AssetRecord{redis7}},
		{q: "port:3000", kind: "port", name: "3000"},
		{q: `kind=port agentd "opt/tool"`, kind: "port", text: "agentd", matches: []store.AssetRecord{port}, misses: []store.AssetRecord{redis5}},
		{q: "  openssl  ", text: "openssl"},
	}
	for _, tt := range tests {
		q, err := ParseQuery(tt.q)
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", tt.q, err)
			continue
		}
		f := q.Filter
		if f.Kind != tt.kind || f.Name != tt.name || f.Q != tt.text {
			t.Errorf("ParseQuery(%q): kind %q name %q q %q", tt.q, f.Kind, f.Name, f.Q)
		}
		for _, r := range tt.matches {
			if f.Match == nil || !f.Match(r) {
				t.Errorf("ParseQuery(%q) does not match %+v", tt.q, r)
			}
		}
		for _, r := range tt.misses {
			if f.Match != nil && f.Match(r) {
				t.Errorf("ParseQuery(%q) matches %+v", tt.q, r)
			}
		}
	}
}

func TestParseQueryErrors(t *testing.T) {
	for _, q := range []string{
		"kind:spaceship", "port:http", "name:a name:b", "colour:red", `"unterminated`, "version<", "kind<package",
		"a\x00b", string(make([]byte, MaxQuery+1)),
	} {
		if _, err := ParseQuery(q); !errors.Is(err, ErrQuery) {
			t.Errorf("ParseQuery(%q) = %v, want ErrQuery", q, err)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"name:redis version<6", `kind=port "a b"`, "port:3000", "version>=1:2.3-4~x", "x:y:z"} {
		f.Add(s, "1.2.3")
	}
	f.Fuzz(func(t *testing.T, q, version string) {
		parsed, err := ParseQuery(q)
		if err != nil {
			if !errors.Is(err, ErrQuery) {
				t.Fatalf("error %v is not ErrQuery", err)
			}
			return
		}
		if parsed.Filter.Match != nil {
			parsed.Filter.Match(store.AssetRecord{Name: version, Version: version, Key: q})
		}
	})
}

func FuzzCompareVersions(f *testing.F) {
	f.Add("1:2.3-4", "2.3~rc1")
	f.Fuzz(func(t *testing.T, a, b string) {
		if c := CompareVersions(a, b); c != -CompareVersions(b, a) {
			t.Fatalf("not antisymmetric: %q %q", a, b)
		}
		if CompareVersions(a, a) != 0 {
			t.Fatalf("%q differs from itself", a)
		}
	})
}
