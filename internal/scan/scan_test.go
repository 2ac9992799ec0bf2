package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan"
	"github.com/vigilsec/vigil/internal/scan/protocol"
	"github.com/vigilsec/vigil/internal/scan/scantest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

type scanFn func(context.Context, scan.Options, *protocol.Writer) (protocol.Summary, error)

// run runs a scan in the test's process and returns its stream, parsed
// back, and its summary.
func run(t *testing.T, f scanFn, opts scan.Options) ([]event.Asset, protocol.Summary, []byte) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := f(context.Background(), opts, protocol.NewWriter(&buf))
	if err != nil && sum.Complete {
		t.Fatalf("scan error %v with a complete summary", err)
	}
	var assets []event.Asset
	got, _, rerr := protocol.Read(bytes.NewReader(buf.Bytes()), nil, func(a event.Asset) error {
		assets = append(assets, a)
		return nil
	})
	if rerr != nil {
		t.Fatalf("the scan's own stream does not read back: %v\n%s", rerr, buf.Bytes())
	}
	if d := cmp.Diff(sum, got); d != "" {
		t.Errorf("summary returned and summary written differ (-returned +written):\n%s", d)
	}
	return assets, sum, buf.Bytes()
}

// normalized is the stream with the run's duration zeroed, for golden
// files.
func normalized(t *testing.T, stream []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, line := range bytes.Split(bytes.TrimSpace(stream), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if s, ok := m["summary"].(map[string]any); ok {
			s["duration_ms"] = 0
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.jsonl")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

func TestPackagesFixtures(t *testing.T) {
	tests := []struct {
		root     string
		complete bool
		sources  []string
		keys     []string
	}{
		{"debian", true, []string{"var/lib/dpkg/status"}, []string{
			"deb:apache2:amd64", "deb:libc6:amd64", "deb:libc6:i386", "deb:netcat-traditional:amd64",
			"deb:nginx-common:all", "deb:openssl:amd64", "deb:python3-six:all", "deb:zlib1g:amd64"}},
		{"distroless", true, []string{"var/lib/dpkg/status.d"}, []string{"deb:base-files:amd64", "deb:libssl3:amd64"}},
		{"alpine", true, []string{"lib/apk/db/installed"}, []string{"apk:libcrypto3:aarch64", "apk:libcrypto3:x86_64", "apk:musl:x86_64"}},
		{"rpm", true, []string{"var/lib/rpm/rpmdb.sqlite"}, []string{
			"rpm:fixture-base:noarch", "rpm:fixture-kernel:x86_64@5.14.0-427.el9",
			"rpm:fixture-kernel:x86_64@5.14.0-503.el9", "rpm:fixture-tools:x86_64"}},
		// A damaged status file: the set cannot be trusted.
		{"broken", false, []string{"var/lib/dpkg/status"}, nil},
		// No package manager at all: an empty, complete set.
		{"empty", true, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			assets, sum, stream := run(t, scan.Packages, scan.Options{Root: filepath.Join("testdata", tt.root)})
			if sum.Complete != tt.complete {
				t.Errorf("complete = %v (%s), want %v", sum.Complete, sum.Reason, tt.complete)
			}
			if d := cmp.Diff(tt.sources, sum.Sources); d != "" {
				t.Errorf("sources (-want +got):\n%s", d)
			}
			var keys []string
			for _, a := range assets {
				keys = append(keys, a.Key)
				if a.Kind != event.AssetPackage {
					t.Errorf("%s: kind %q", a.Key, a.Kind)
				}
			}
			if d := cmp.Diff(tt.keys, keys); d != "" {
				t.Errorf("keys (-want +got):\n%s", d)
			}
			golden(t, "packages-"+tt.root, normalized(t, stream))
		})
	}
}

func debLines(assets []event.Asset) []string {
	var out []string
	for _, a := range assets {
		pkg := a.Fields["package"].(map[string]any)
		if pkg["type"] != "deb" {
			continue
		}
		out = append(out, a.Name+":"+pkg["architecture"].(string)+" "+a.Version)
	}
	sort.Strings(out)
	return out
}

// TestPackagesMatchDpkgQuery checks the fixture, every state of which
// dpkg-query reads, against dpkg-query itself.
func TestPackagesMatchDpkgQuery(t *testing.T) {
	want := scantest.DpkgQuery(t, "testdata/debian/var/lib/dpkg")
	assets, _, _ := run(t, scan.Packages, scan.Options{Root: "testdata/debian"})
	if d := cmp.Diff(want, debLines(assets)); d != "" {
		t.Errorf("packages differ from dpkg-query -W (-dpkg-query +scan):\n%s", d)
	}
}

// TestPackagesHost compares this host's packages with dpkg-query -W.
func TestPackagesHost(t *testing.T) {
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		t.Skip("this host has no dpkg database")
	}
	want, got := scantest.WhileDpkgStill(t, func() ([]string, []string) {
		want := scantest.DpkgQuery(t, "")
		assets, sum, _ := run(t, scan.Packages, scan.Options{Root: "/"})
		if !sum.Complete {
			t.Fatalf("incomplete: %s", sum.Reason)
		}
		return want, debLines(assets)
	})
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("packages differ from dpkg-query -W (-dpkg-query +scan):\n%s", d)
	}
}

func TestPackageFields(t *testing.T) {
	assets, _, _ := run(t, scan.Packages, scan.Options{Root: "testdata/debian"})
	byKey := map[string]event.Asset{}
	for _, a := range assets {
		byKey[a.Key] = a
	}
	tests := []struct {
		key   string
		field string
		want  any
	}{
		{"deb:zlib1g:amd64", "version", "1:1.2.13.dfsg-1"},
		{"deb:zlib1g:amd64", "source", "zlib"},
		{"deb:zlib1g:amd64", "source_version", "1:1.2.13.dfsg-1"},
		{"deb:openssl:amd64", "source", "openssl"}, // no Source field: its own name
		{"deb:libc6:i386", "source", "glibc"},
		{"deb:nginx-common:all", "install_status", "config-files"},
		{"deb:apache2:amd64", "install_status", "half-configured"},
		{"deb:netcat-traditional:amd64", "selection", "hold"},
		{"deb:openssl:amd64", "purl", "pkg:deb/debian/openssl@3.0.17-1~deb12u2?arch=amd64&distro=bookworm"},
	}
	for _, tt := range tests {
		a, ok := byKey[tt.key]
		if !ok {
			t.Errorf("%s missing", tt.key)
			continue
		}
		if got := a.Fields["package"].(map[string]any)[tt.field]; got != tt.want {
			t.Errorf("%s package.%s = %v, want %v", tt.key, tt.field, got, tt.want)
		}
	}
}

// TestPackagesReadOnly checks that reading an SQLite rpm database leaves
// nothing beside it (SQLite writes -shm files next to a database it
// opens in WAL mode).
func TestPackagesReadOnly(t *testing.T) {
	root := t.TempDir()
	db := filepath.Join(root, "var/lib/rpm")
	if err := os.MkdirAll(db, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/rpm/var/lib/rpm/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(db, "rpmdb.sqlite"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	assets, sum, _ := run(t, scan.Packages, scan.Options{Root: root})
	if !sum.Complete || len(assets) != 4 {
		t.Fatalf("complete %v (%s), %d packages, want 4", sum.Complete, sum.Reason, len(assets))
	}
	ents, err := os.ReadDir(db)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the database folder holds %v after the scan, want only rpmdb.sqlite", names)
	}
	after, err := os.ReadFile(filepath.Join(db, "rpmdb.sqlite"))
	if err != nil || !bytes.Equal(after, b) {
		t.Errorf("the database changed (%v)", err)
	}
}

// TestPackagesLinkOutOfRoot: a database that is a link leading out of a
// non-host root is not read.
func TestPackagesLinkOutOfRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "var/lib/dpkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs("testdata/debian/var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(root, "var/lib/dpkg/status")); err != nil {
		t.Fatal(err)
	}
	assets, sum, _ := run(t, scan.Packages, scan.Options{Root: root})
	if sum.Complete || len(assets) != 0 {
		t.Errorf("complete %v, %d packages: a link out of the root was followed", sum.Complete, len(assets))
	}
}

func TestPackagesFileLimit(t *testing.T) {
	_, sum, _ := run(t, scan.Packages, scan.Options{Root: "testdata/debian", MaxFileSize: 100})
	if sum.Complete || sum.Errors != 1 || !strings.Contains(sum.Reason, "limit") {
		t.Errorf("summary %+v, want incomplete for the size limit", sum)
	}
}

func TestSourceRPMName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bash-5.1.8-9.el9.src.rpm", "bash"},
		{"python3.11-3.11.7-1.el9.src.rpm", "python3.11"},
		{"kernel-5.14.0-427.13.1.el9_4.src.rpm", "kernel"},
		{"glibc-langpack-2.34-100.el9.nosrc.rpm", "glibc-langpack"},
		{"notasource", "notasource"},
		{"x-1.src.rpm", "x-1.src.rpm"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := scan.SourceRPMName(tt.in); got != tt.want {
			t.Errorf("SourceRPMName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSourceRPMName(f *testing.F) {
	for _, s := range []string{"bash-5.1.8-9.el9.src.rpm", "a-b.src.rpm", "-.src.rpm", "--.nosrc.rpm", ".rpm"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := scan.SourceRPMName(s)
		if len(got) > len(s) {
			t.Errorf("SourceRPMName(%q) = %q, longer than its input", s, got)
		}
		if got != s && !strings.HasPrefix(s, got+"-") {
			t.Errorf("SourceRPMName(%q) = %q, not a prefix before a dash", s, got)
		}
	})
}

func TestMainUsage(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{nil, protocol.ExitUsage},
		{[]string{"nothing"}, protocol.ExitUsage},
		{[]string{"packages", "--bad-flag"}, protocol.ExitUsage},
		{[]string{"packages", "extra"}, protocol.ExitUsage},
		{[]string{"libraries", "--max-files", "-1"}, protocol.ExitUsage},
		{[]string{"help"}, protocol.ExitOK},
		{[]string{"packages", "--root", "testdata/debian"}, protocol.ExitOK},
		{[]string{"packages", "--root", "testdata/broken"}, protocol.ExitIncomplete},
		{[]string{"packages", "--root", "testdata/no-such-root"}, protocol.ExitIncomplete},
		{[]string{"libraries", "--root", "testdata", "--path", "relative"}, protocol.ExitIncomplete},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := scan.Main(tt.args, &out, &errb); got != tt.want {
				t.Errorf("exit %d, want %d; stderr %s", got, tt.want, errb.String())
			}
			if tt.want == protocol.ExitUsage && out.Len() > 0 {
				t.Errorf("usage error wrote to standard output: %s", out.String())
			}
			if tt.want != protocol.ExitUsage && tt.args[0] != "help" {
				if _, _, err := protocol.Read(&out, nil, func(event.Asset) error { return nil }); err != nil {
					t.Errorf("output: %v", err)
				}
			}
		})
	}
}

// FuzzPackagesDpkg reads an arbitrary dpkg status file: the scan ends,
// complete or not, and every package it lists is valid.
func FuzzPackagesDpkg(f *testing.F) {
	for _, root := range []string{"debian", "broken"} {
		b, err := os.ReadFile(filepath.Join("testdata", root, "var/lib/dpkg/status"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Package: a\nStatus: install ok\nVersion: 1\n\nPackage: a\nStatus: x y z w\nVersion: 2\nArchitecture: \xff\n"))
	// One tree for every input: a worker runs them one at a time.
	root := f.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "var/lib/dpkg"), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status []byte) {
		if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), status, 0o644); err != nil {
			t.Fatal(err)
		}
		assets, sum, _ := run(t, scan.Packages, scan.Options{Root: root, Timeout: 10 * time.Second})
		if strings.Contains(sum.Reason, "time limit") {
			t.Fatalf("%d bytes of status took more than 10s", len(status))
		}
		seen := map[string]bool{}
		for _, a := range assets {
			if err := a.Validate(); err != nil {
				t.Errorf("%q: %v", a.Key, err)
			}
			if seen[a.Key] {
				t.Errorf("key %q twice", a.Key)
			}
			seen[a.Key] = true
		}
	})
}
