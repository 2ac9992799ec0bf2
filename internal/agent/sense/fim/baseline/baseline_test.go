package baseline

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
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
		Entry{Path: "/etc/l", Type: TypeSymlink, Target: "a"})
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
