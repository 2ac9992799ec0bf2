package pkgowner_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/pkgowner"
	"github.com/vigilsec/vigil/internal/event"
)

func TestLookupFixture(t *testing.T) {
	ix, err := pkgowner.Build("testdata/root")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	deb := func(name, arch string) *pkgowner.Package {
		return &pkgowner.Package{Name: name, Arch: arch, Type: pkgowner.TypeDeb}
	}
	tests := []struct {
		path string
		want *pkgowner.Package
	}{
		{"/bin/bash", deb("bash", "")},
		{"/usr/bin/bash", deb("bash", "")},            // merged /usr: /bin is a relative link
		{"/usr/bin/../bin/bash", deb("bash", "")},     // cleaned
		{"/usr/sbin/sshd", deb("openssh-server", "")}, // listed under /usr
		{"/sbin/sshd", deb("openssh-server", "")},     // /sbin is an absolute link
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", deb("libc6", "amd64")},
		{"/lib64/ld-linux-x86-64.so.2", deb("libc6", "amd64")},
		{"/usr/lib64/ld-linux-x86-64.so.2", nil}, // /lib64 is no link here
		{"/usr/bin/pg_config", deb("postgresql-common", "")},
		{"/usr/bin/pg_config.libpq-dev", deb("libpq-dev", "")},
		{"/usr/bin/local-diverted", nil}, // a local diversion: the admin's file
		{"/usr/bin/local-diverted.orig", deb("coreutils", "")},
		{"/usr/bin/scp", deb("openssh-server", "")}, // after a malformed line
		{"/usr/local/bin/miner", nil},
		{"relative/line", nil},
		{"/etc/bash.bashrc", deb("bash", "")},
	}
	for _, tt := range tests {
		got, ok := ix.Lookup(tt.path)
		if tt.want == nil {
			if ok {
				t.Errorf("Lookup(%q) = %+v, want no owner", tt.path, got)
			}
			continue
		}
		if !ok || got != *tt.want {
			t.Errorf("Lookup(%q) = %+v, %v, want %+v", tt.path, got, ok, *tt.want)
		}
	}
	if ix.Malformed != 1 || ix.Unreadable != 0 {
		t.Errorf("malformed %d, unreadable %d, want 1, 0", ix.Malformed, ix.Unreadable)
	}
	if ix.Packages() != 6 {
		t.Errorf("%d packages, want 6", ix.Packages())
	}
}

func TestAnnotate(t *testing.T) {
	ix, err := pkgowner.Build("testdata/root")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ix   *pkgowner.Index
		path string
		want event.Event
	}{
		{ix, "/usr/bin/bash", event.Event{"package": map[string]any{"name": "bash", "type": "deb"}}},
		{ix, "/lib/x86_64-linux-gnu/libc.so.6", event.Event{"package": map[string]any{"name": "libc6", "type": "deb", "architecture": "amd64"}}},
		{ix, "/tmp/x", event.Event{"package": map[string]any{"name": "none"}}},
		{ix, "", event.Event{}},
		{nil, "/usr/bin/bash", event.Event{}},
	}
	for _, tt := range tests {
		got := event.Event{}
		tt.ix.Annotate(got, tt.path)
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("Annotate(%q) (-want +got):\n%s", tt.path, d)
		}
	}
}

func TestNoDatabase(t *testing.T) {
	db := pkgowner.NewDB(t.TempDir())
	ix, err := db.Index()
	if ix != nil || err == nil {
		t.Fatalf("Index of an empty root = %v, %v; want nil and ErrNoDatabase", ix, err)
	}
}

// TestRebuild: the index is rebuilt when a package is installed (a new
// .list file), not otherwise.
func TestRebuild(t *testing.T) {
	root := t.TempDir()
	info := filepath.Join(root, "var/lib/dpkg/info")
	if err := os.MkdirAll(info, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(info, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.list", "/.\n/usr/bin/a\n")
	db := pkgowner.NewDB(root)
	ix1, err := db.Index()
	if err != nil {
		t.Fatal(err)
	}
	ix2, _ := db.Index()
	if ix1 != ix2 || db.Builds() != 1 {
		t.Fatalf("unchanged database rebuilt: %d builds", db.Builds())
	}
	if _, ok := ix1.Lookup("/usr/bin/b"); ok {
		t.Fatal("/usr/bin/b owned before b is installed")
	}
	// dpkg writes NAME.list-new and renames it.
	write("b.list-new", "/.\n/usr/bin/b\n")
	if err := os.Rename(filepath.Join(info, "b.list-new"), filepath.Join(info, "b.list")); err != nil {
		t.Fatal(err)
	}
	// The directory's time must differ even on a coarse clock.
	future := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(info, future, future); err != nil {
		t.Fatal(err)
	}
	ix3, err := db.Index()
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := ix3.Lookup("/usr/bin/b"); !ok || got.Name != "b" || db.Builds() != 2 {
		t.Errorf("after installing b: %+v %v, %d builds", got, ok, db.Builds())
	}
	if pkgowner.Shared(root) != pkgowner.Shared(root+"/") {
		t.Error("Shared returns different DBs for one root")
	}
}

func TestParseDiversions(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []pkgowner.Diversion
		skipped int
	}{
		{"two", "/a\n/a.orig\np\n/b\n/b.x\n:\n", []pkgowner.Diversion{{"/a", "/a.orig", "p"}, {"/b", "/b.x", ":"}}, 0},
		{"empty", "", nil, 0},
		{"incomplete", "/a\n/a.orig\n", nil, 1},
		{"relative", "a\n/a.orig\np\n/b\n/c\nq\n", []pkgowner.Diversion{{"/b", "/c", "q"}}, 1},
		{"no package", "/a\n/b\n\n", nil, 1},
		{"crlf", "/a\r\n/b\r\np\r\n", []pkgowner.Diversion{{"/a", "/b", "p"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, probs := pkgowner.ParseDiversions([]byte(tt.in))
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if probs.Skipped != tt.skipped {
				t.Errorf("skipped %d, want %d", probs.Skipped, tt.skipped)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	var got []string
	probs := pkgowner.ParseList([]byte("/.\n/usr\n/usr/bin/x\r\n\nbad\n/with space/y"), func(p string) { got = append(got, p) })
	if d := cmp.Diff([]string{"/usr", "/usr/bin/x", "/with space/y"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if probs.Skipped != 1 {
		t.Errorf("skipped %d, want 1", probs.Skipped)
	}
}

func FuzzParseList(f *testing.F) {
	f.Add([]byte("/.\n/usr/bin/x\nbad\n"))
	f.Add([]byte("/\x00\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgowner.ParseList(data, func(p string) {
			if !strings.HasPrefix(p, "/") {
				t.Fatalf("path %q is not absolute", p)
			}
		})
	})
}

func FuzzParseDiversions(f *testing.F) {
	f.Add([]byte("/a\n/a.orig\np\n"))
	f.Add([]byte("/a\n/b\n"))
	f.Add([]byte("\n\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		divs, _ := pkgowner.ParseDiversions(data)
		for _, d := range divs {
			if !strings.HasPrefix(d.From, "/") || !strings.HasPrefix(d.To, "/") || d.Package == "" {
				t.Fatalf("bad diversion %+v", d)
			}
		}
	})
}

// TestHostMatchesDpkg compares the index of this host with dpkg -S for
// every regular file in /usr/bin and /usr/sbin, under both the /usr name
// and the old name (dpkg lists many files under /bin and /sbin).
func TestHostMatchesDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("not a dpkg host: dpkg is missing")
	}
	ix, err := pkgowner.Build("/")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var files []string
	for _, dir := range []string{"/usr/bin", "/usr/sbin"} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(files) < 50 {
		t.Fatalf("only %d files in /usr/bin and /usr/sbin", len(files))
	}
	args := []string{"-S"}
	for _, f := range files {
		args = append(args, f, strings.TrimPrefix(f, "/usr"))
	}
	out, _ := exec.Command("dpkg", args...).Output() // exits 1 when a path has no owner
	owners := map[string][]string{}                  // /usr path -> packages
	diverted := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "diversion by ") {
			for _, f := range strings.Fields(line) {
				diverted[filepath.Join("/usr", strings.TrimPrefix(strings.TrimSuffix(f, ","), "/usr"))] = true
			}
			continue
		}
		pkgs, p, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("dpkg -S line %q", line)
		}
		p = filepath.Join("/usr", strings.TrimPrefix(p, "/usr"))
		for _, pkg := range strings.Split(pkgs, ", ") {
			name, _, _ := strings.Cut(pkg, ":")
			owners[p] = append(owners[p], name)
		}
	}
	var owned int
	for _, f := range files {
		if diverted[f] {
			continue // dpkg names both packages; TestLookupFixture covers the diversions
		}
		got, ok := ix.Lookup(f)
		want := owners[f]
		switch {
		case len(want) == 0 && ok:
			t.Errorf("%s: index says %s, dpkg says no package", f, got.Name)
		case len(want) > 0 && !ok:
			t.Errorf("%s: index says no package, dpkg says %v", f, want)
		case len(want) > 0 && !contains(want, got.Name):
			t.Errorf("%s: index says %s, dpkg says %v", f, got.Name, want)
		}
		if ok {
			owned++
		}
	}
	t.Logf("%d files, %d owned; index of %d paths of %d packages", len(files), owned, ix.Len(), ix.Packages())
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func BenchmarkBuildHost(b *testing.B) {
	if _, err := os.Stat("/var/lib/dpkg/info"); err != nil {
		b.Skip("not a dpkg host")
	}
	for b.Loop() {
		if _, err := pkgowner.Build("/"); err != nil {
			b.Fatal(err)
		}
	}
}
