package vulndbcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/vuln/osv"
)

func TestSourceName(t *testing.T) {
	for _, tc := range []struct {
		path string
		kev  bool
		want string
		err  bool
	}{
		{"/data/osv/Debian/all.zip", false, "Debian", false},
		{"/data/osv/Rocky Linux/all.zip", false, "Rocky Linux", false},
		{"/data/osv/crates.io/ALL.ZIP", false, "crates.io", false},
		{"/data/osv/Debian:12/all.zip", false, "Debian:12", false},
		{"/all.zip", false, "all", false},
		{"/data/feeds/known_exploited_vulnerabilities.json", true, "kev", false},
		{"/data/feeds/anything.zip", true, "kev", false},
		{"/data/feeds/known_exploited_vulnerabilities.json", false, "known_exploited_vulnerabilities", false},
		{"/data/GHSA-jfh8-c2jp-5v3q.json", false, "GHSA-jfh8-c2jp-5v3q", false},
		{"/data/mirror.tar.zip", false, "mirror.tar", false},
		{"/data/osv/Debian (copy)/all.zip", false, "Debian -copy", false},
		{"/data/feeds/.hidden.json", false, "hidden", false},
		{"/data/feeds/中文.json", false, "", true},
		{"/data/feeds/%%%.json", false, "", true},
		{"/data/feeds/" + strings.Repeat("a", 80) + ".json", false, strings.Repeat("a", 64), false},
		{"/data/feeds/a" + strings.Repeat("é", 40) + ".json", false, "a", false},
	} {
		got, err := SourceName(tc.path, tc.kev)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("SourceName(%q, %v) = %q, %v; want %q (error %v)", tc.path, tc.kev, got, err, tc.want, tc.err)
		}
	}
}

func TestIsKEV(t *testing.T) {
	real, err := os.ReadFile(filepath.Join("..", "..", "vuln", "osv", "testdata", "kev.json"))
	if err != nil {
		t.Fatal(err)
	}
	osvRecord, err := os.ReadFile(filepath.Join("..", "..", "vuln", "osv", "testdata", "GHSA-jfh8-c2jp-5v3q.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		head string
		want bool
	}{
		{"catalogue", string(real), true},
		{"catalogue cut short", string(real[:200]), true},
		{"catalogue with a byte order mark", "\ufeff" + string(real), true},
		{"header after the list, whole", `{"vulnerabilities":[{"cveID":"CVE-1"}],"count":1}`, true},
		{"header after the list, cut in the list", `{"vulnerabilities":[{"cveID":"CVE-1"},{"cve`, false},
		{"OSV record", string(osvRecord), false},
		{"OSV array", `[{"id":"GHSA-1","modified":"2024-01-01T00:00:00Z"}]`, false},
		{"vulnerabilities alone", `{"vulnerabilities":[]}`, false},
		{"nested keys do not count", `{"x":{"vulnerabilities":[],"count":1}}`, false},
		{"empty", "", false},
		{"not JSON", "PK\x03\x04", false},
	} {
		if got := IsKEV([]byte(tc.head)); got != tc.want {
			t.Errorf("%s: IsKEV = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// FuzzSourceName checks that a derived name is one the center accepts,
// or an error, never a panic.
func FuzzSourceName(f *testing.F) {
	for _, s := range []string{"/osv/Debian/all.zip", "/all.zip", "/x/.json", "/x/ a b .json", "/x/中文/all.zip", "/x/\x00\xff.zip", "/"} {
		f.Add(s, false)
	}
	f.Add("/feeds/known_exploited_vulnerabilities.json", true)
	f.Fuzz(func(t *testing.T, path string, kev bool) {
		name, err := SourceName(path, kev)
		if err != nil {
			if name != "" {
				t.Fatalf("SourceName(%q) = %q with error %v", path, name, err)
			}
			return
		}
		if verr := (feed.Source{Name: name, URL: "/"}).Validate(); verr != nil {
			t.Fatalf("SourceName(%q) = %q, which the center refuses: %v", path, name, verr)
		}
	})
}

// FuzzIsKEV checks that any head is judged without a panic, and that
// whatever the center's importer takes for a catalogue is one here too.
func FuzzIsKEV(f *testing.F) {
	for _, s := range []string{`{"catalogVersion":"1","vulnerabilities":[]}`, `{"vulnerabilities":`, `[]`, `{"id":"x","modified":"y"}`,
		"\ufeff{\"count\":1,\"vulnerabilities\":[]}", `{"count":1,"count":2,"vulnerabilities":null}`, `{`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		got := IsKEV(head)
		if osv.Detect(head) == osv.FormatKEV && !got {
			t.Fatalf("IsKEV(%q) = false, but the importer reads a catalogue", head)
		}
	})
}
