package baseline

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/fim/filecap"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/filecap/filecaptest"
)

func TestComparePaths(t *testing.T) {
	want := []string{"/", "/a", "/a/b", "/a/b/c", "/a/b-x", "/a/bc", "/b"}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, ComparePaths)
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestRoots(t *testing.T) {
	got := Roots([]string{"/etc/cron.d", "/etc", "/usr/bin", "/usr/bin/", "/etcx"})
	if want := []string{"/etc", "/etcx", "/usr/bin"}; !slices.Equal(got, want) {
		t.Errorf("Roots = %v, want %v", got, want)
	}
}

func TestScanAndStore(t *testing.T) {
	root := t.TempDir()
	mk := func(p, s string) {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(s), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	mk("etc/a", "alpha")
	mk("etc/sub/b", "beta")
	mk("etc/big", string(make([]byte, 5000)))
	mk("etc/skip/c", "gamma")
	if err := os.Symlink("a", filepath.Join(root, "etc/link")); err != nil {
		t.Fatal(err)
	}
	opt := Options{Root: root, Paths: []string{"/etc", "/missing"}, Hash: true, MaxFileSize: 4096, ReadRate: 1 << 20,
		Exclude: func(p string) bool { return p == "/etc/skip" }, ContentMax: 100,
		WantContent: func(e, prev *Entry) bool { return true }}
	var got []Entry
	contents := map[string]string{}
	st, err := Scan(context.Background(), opt, func(e *Entry, data []byte) error {
		got = append(got, *e)
		if data != nil {
			contents[e.Path] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range got {
		paths = append(paths, e.Path)
	}
	if want := []string{"/etc", "/etc/a", "/etc/big", "/etc/link", "/etc/sub", "/etc/sub/b"}; !slices.Equal(paths, want) {
		t.Fatalf("paths %v, want %v", paths, want)
	}
	byPath := map[string]Entry{}
	for _, e := range got {
		byPath[e.Path] = e
	}
	if e := byPath["/etc/a"]; e.SHA256 != sha256.Sum256([]byte("alpha")) || !e.Hashed() || e.Mode != 0o640 || e.Size != 5 {
		t.Errorf("/etc/a: %+v", e)
	}
	if e := byPath["/etc/big"]; e.Hashed() || e.Flags&FlagTooLarge == 0 {
		t.Errorf("/etc/big: %+v", e)
	}
	if e := byPath["/etc/link"]; e.Type != TypeSymlink || e.Target != "a" {
		t.Errorf("/etc/link: %+v", e)
	}
	if contents["/etc/sub/b"] != "beta" || st.Hashed != 2 || st.TooLarge != 1 || st.Files != 3 {
		t.Errorf("contents %v, stats %+v", contents, st)
	}

	// Store and load back; a damaged file is refused whole.
	file := filepath.Join(t.TempDir(), "b.db")
	w, err := Create(file)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if err := w.Add(&got[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Add(&got[0]); err == nil {
		t.Error("out of order entry accepted")
	}
	if err := w.Commit(); err == nil {
		t.Error("commit after a failed add succeeded")
	}
	w, _ = Create(file)
	for i := range got {
		_ = w.Add(&got[i])
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	var back []Entry
	if err := Load(file, func(e *Entry) error { back = append(back, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back, got) {
		t.Errorf("loaded %+v\nwant %+v", back, got)
	}
	data, _ := os.ReadFile(file)
	data[20] ^= 1
	if err := Decode(data, func(*Entry) error { t.Fatal("entry from a damaged file"); return nil }); !errors.Is(err, ErrCorrupt) {
		t.Errorf("damaged: %v", err)
	}

	// A second scan keeps the hashes of unchanged files.
	prev := map[string]*Entry{}
	for i := range got {
		prev[got[i].Path] = &got[i]
	}
	opt.Previous = func(p string, e *Entry) bool {
		if prev[p] == nil {
			return false
		}
		*e = *prev[p]
		return true
	}
	opt.WantContent = nil
	st, err = Scan(context.Background(), opt, func(*Entry, []byte) error { return nil })
	if err != nil || st.Reused != 2 || st.Hashed != 0 {
		t.Errorf("rescan: %+v, %v", st, err)
	}
}

// Capability attributes as the kernel stores them.
const (
	capNetRawEP = "0100000200200000000000000000000000000000" // cap_net_raw=ep
	capSetuidEP = "0100000280000000000000000000000000000000" // cap_setuid=ep
)

// TestScanCapabilities: scans and Hash read the capabilities of regular
// files, hashed or not; an unchanged file keeps its earlier ones without
// being read again, a changed one is read again.
func TestScanCapabilities(t *testing.T) {
	root := t.TempDir()
	for p, size := range map[string]int{"bin/ping": 10, "bin/big": 500, "bin/plain": 10} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), make([]byte, size), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	filecaptest.Write(t, filepath.Join(root, "bin/ping"), capNetRawEP)
	filecaptest.Write(t, filepath.Join(root, "bin/big"), capSetuidEP) // too large to be hashed: never opened
	netRaw := filecap.Set{Permitted: 1 << 13, Effective: true}
	setuid := filecap.Set{Permitted: 1 << 7, Effective: true}

	prev := map[string]Entry{}
	scan := func() map[string]Entry {
		t.Helper()
		opt := Options{Root: root, Paths: []string{"/bin"}, Hash: true, MaxFileSize: 100,
			Previous: func(p string, e *Entry) bool {
				pe, ok := prev[p]
				*e = pe
				return ok
			}}
		got := map[string]Entry{}
		if _, err := Scan(context.Background(), opt, func(e *Entry, _ []byte) error { got[e.Path] = *e; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	check := func(what string, got map[string]Entry, want map[string]filecap.Set) {
		t.Helper()
		for p, caps := range want {
			if e := got[p]; e.Caps != caps || !e.CapsKnown() {
				t.Errorf("%s: %s has capabilities %q (known %v), want %q", what, p, e.Caps, e.CapsKnown(), caps)
			}
		}
	}

	first := scan()
	check("first scan", first, map[string]filecap.Set{"/bin/ping": netRaw, "/bin/big": setuid, "/bin/plain": {}})

	// Unchanged files keep what the earlier entries say (not read again);
	// entries that do not know theirs are read.
	prev = copyEntries(first)
	for p, caps := range map[string]filecap.Set{"/bin/ping": {Permitted: 1}, "/bin/big": {Permitted: 2}} {
		e := prev[p]
		e.Caps = caps
		prev[p] = e
	}
	plain := prev["/bin/plain"]
	plain.Flags |= FlagCapsUnknown
	prev["/bin/plain"] = plain
	check("unchanged", scan(), map[string]filecap.Set{"/bin/ping": {Permitted: 1}, "/bin/big": {Permitted: 2}, "/bin/plain": {}})

	// setcap and setcap -r change the ctime: the files are read again.
	prev = copyEntries(first)
	filecaptest.Write(t, filepath.Join(root, "bin/ping"), "")
	filecaptest.Write(t, filepath.Join(root, "bin/big"), capNetRawEP)
	filecaptest.Write(t, filepath.Join(root, "bin/plain"), capSetuidEP)
	again := scan()
	check("changed", again, map[string]filecap.Set{"/bin/ping": {}, "/bin/big": netRaw, "/bin/plain": setuid})
	for _, p := range []string{"/bin/ping", "/bin/big", "/bin/plain"} {
		before, now := first[p], again[p]
		c := Compare(&before, &now)
		if c&ChangeCaps == 0 || !c.Attributes() {
			t.Errorf("%s: changes %v, want capabilities", p, c.Names())
		}
		// Without a hash the new ctime is all there is to tell content by.
		if c&ChangeContent != 0 && now.Hashed() {
			t.Errorf("%s: changes %v, want no content change", p, c.Names())
		}
	}

	// A change seen as it happens is read by Hash, hashed or not.
	h := NewHasher(0)
	for _, tt := range []struct {
		path string
		hash bool
		want filecap.Set
	}{{"/bin/plain", true, setuid}, {"/bin/big", true, netRaw}, {"/bin/plain", false, setuid}} {
		res, err := h.Hash(context.Background(), tt.path, filepath.Join(root, tt.path), tt.hash, 100, -1)
		if err != nil || res.Entry.Caps != tt.want || !res.Entry.CapsKnown() {
			t.Errorf("Hash(%s, hash %v): capabilities %q, %v; want %q", tt.path, tt.hash, res.Entry.Caps, err, tt.want)
		}
	}
}

// copyEntries copies entries by path.
func copyEntries(m map[string]Entry) map[string]Entry {
	out := make(map[string]Entry, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestCompare(t *testing.T) {
	a := Entry{Path: "/f", Type: TypeFile, Flags: FlagHashed, Mode: 0o644, Size: 3, MTime: 1, CTime: 1, Inode: 7}
	b := a
	b.Mode, b.UID = 0o600, 5
	if c := Compare(&a, &b); c != ChangeMode|ChangeOwner || !c.Attributes() {
		t.Errorf("attributes: %v", c.Names())
	}
	b = a
	b.SHA256[0] = 1
	if c := Compare(&a, &b); c != ChangeContent {
		t.Errorf("content: %v", c.Names())
	}
	b = a
	b.MTime = 9
	if c := Compare(&a, &b); c != ChangeMTime {
		t.Errorf("mtime: %v", c.Names())
	}
	b = a
	b.Caps = filecap.Set{Permitted: 1 << 13, Effective: true}
	if c := Compare(&a, &b); c != ChangeCaps || !c.Attributes() || !slices.Equal(c.Names(), []string{"capabilities"}) {
		t.Errorf("capabilities: %v", c.Names())
	}
	b.Flags |= FlagCapsUnknown // not known on one side: no change told
	if c := Compare(&a, &b); c != 0 {
		t.Errorf("unknown capabilities: %v", c.Names())
	}
}

func FuzzDecode(f *testing.F) {
	var buf []byte
	w := func(entries ...Entry) []byte {
		file := filepath.Join(f.TempDir(), "x")
		wr, _ := Create(file)
		for i := range entries {
			_ = wr.Add(&entries[i])
		}
		_ = wr.Commit()
		b, _ := os.ReadFile(file)
		return b
	}
	buf = w(Entry{Path: "/etc", Type: TypeDir, Mode: 0o755}, Entry{Path: "/etc/a", Type: TypeFile, Flags: FlagHashed, Size: 4},
		Entry{Path: "/etc/l", Type: TypeSymlink, Target: "a"},
		Entry{Path: "/etc/p", Type: TypeFile, Caps: filecap.Set{Permitted: 1 << 13, Inheritable: 1 << 40, Effective: true}})
	f.Add(buf)
	f.Add(w())
	f.Add([]byte("VGFIMB\x00\x01\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		prev := ""
		_ = Decode(data, func(e *Entry) error {
			if e.Path == "" || e.Path[0] != '/' || prev != "" && ComparePaths(prev, e.Path) >= 0 {
				t.Fatalf("bad entry %q after %q", e.Path, prev)
			}
			prev = e.Path
			return nil
		})
	})
}

func FuzzParseReadBytes(f *testing.F) {
	f.Add([]byte("rchar: 1\nwchar: 0\nsyscr: 1\nsyscw: 0\nread_bytes: 4096\nwrite_bytes: 0\n"))
	f.Add([]byte("\nread_bytes: -1\n"))
	f.Add([]byte("read_bytes: 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if v := parseReadBytes(data); v < -1 {
			t.Fatalf("read_bytes %d", v)
		}
	})
}
