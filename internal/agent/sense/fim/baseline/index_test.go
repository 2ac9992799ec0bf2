package baseline

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/vigilsec/vigil/internal/agent/sense/fim/filecap"
)

// walkAll returns every entry of x in order.
func walkAll(x *Index, below string) []Entry {
	var out []Entry
	x.Walk(below, func(e *Entry) bool {
		out = append(out, *e)
		return true
	})
	return out
}

func pathsOf(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Path)
	}
	return out
}

func file(p string, size int64) Entry {
	return Entry{Path: p, Type: TypeFile, Flags: FlagHashed, Mode: 0o644, Size: size, MTime: size * 10, CTime: size * 11,
		Inode: uint64(size), Dev: 2049, SHA256: sha256.Sum256([]byte(p))}
}

func dir(p string) Entry { return Entry{Path: p, Type: TypeDir, Mode: 0o755, Inode: 1, Dev: 2049} }

func put(t *testing.T, x *Index, es ...Entry) {
	t.Helper()
	for i := range es {
		if err := x.Put(&es[i]); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIndex(t *testing.T) {
	tree := []Entry{
		dir("/etc"), file("/etc/a", 1), dir("/etc/sub"), file("/etc/sub/b", 2), file("/etc/sub-x", 3),
		{Path: "/etc/link", Type: TypeSymlink, Mode: 0o777, Target: "a", Inode: 9, Dev: 7},
		dir("/home/alice/.ssh"), file("/home/alice/.ssh/authorized_keys", 4),
	}
	for _, tt := range []struct {
		name string
		op   func(x *Index) any
		want []string // every path afterwards
		ret  any
	}{
		{"walk order", func(x *Index) any { return x.Len() },
			[]string{"/etc", "/etc/a", "/etc/link", "/etc/sub", "/etc/sub/b", "/etc/sub-x", "/home/alice/.ssh", "/home/alice/.ssh/authorized_keys"}, 8},
		{"delete a file", func(x *Index) any { return x.Delete("/etc/sub/b") },
			[]string{"/etc", "/etc/a", "/etc/link", "/etc/sub", "/etc/sub-x", "/home/alice/.ssh", "/home/alice/.ssh/authorized_keys"}, true},
		{"delete nothing", func(x *Index) any { return x.Delete("/home/alice") },
			[]string{"/etc", "/etc/a", "/etc/link", "/etc/sub", "/etc/sub/b", "/etc/sub-x", "/home/alice/.ssh", "/home/alice/.ssh/authorized_keys"}, false},
		{"delete a directory keeps its entries", func(x *Index) any { return x.Delete("/etc/sub") },
			[]string{"/etc", "/etc/a", "/etc/link", "/etc/sub/b", "/etc/sub-x", "/home/alice/.ssh", "/home/alice/.ssh/authorized_keys"}, true},
		{"delete below", func(x *Index) any { return x.DeleteBelow("/etc/sub") },
			[]string{"/etc", "/etc/a", "/etc/link", "/etc/sub-x", "/home/alice/.ssh", "/home/alice/.ssh/authorized_keys"}, 2},
		{"delete below a structural node", func(x *Index) any { return x.DeleteBelow("/home") },
			[]string{"/etc", "/etc/a", "/etc/link", "/etc/sub", "/etc/sub/b", "/etc/sub-x"}, 2},
		{"move a tree", func(x *Index) any { return x.Move("/etc/sub", "/srv/moved") },
			[]string{"/etc", "/etc/a", "/etc/link", "/etc/sub-x", "/home/alice/.ssh", "/home/alice/.ssh/authorized_keys", "/srv/moved", "/srv/moved/b"}, true},
		{"move over a tree", func(x *Index) any { return x.Move("/etc/sub", "/etc") },
			[]string{"/etc", "/etc/a", "/etc/link", "/etc/sub", "/etc/sub/b", "/etc/sub-x", "/home/alice/.ssh", "/home/alice/.ssh/authorized_keys"}, false},
		{"move replaces", func(x *Index) any { return x.Move("/etc/a", "/etc/sub") },
			[]string{"/etc", "/etc/link", "/etc/sub", "/etc/sub-x", "/home/alice/.ssh", "/home/alice/.ssh/authorized_keys"}, true},
		{"retain", func(x *Index) any { x.Retain([]string{"/etc/sub", "/home/alice/.ssh/authorized_keys"}); return x.Len() },
			[]string{"/etc/sub", "/etc/sub/b", "/home/alice/.ssh/authorized_keys"}, 3},
		{"retain nothing", func(x *Index) any { x.Retain(nil); return x.Len() }, nil, 0},
		{"retain all", func(x *Index) any { x.Retain([]string{"/"}); return x.Len() },
			[]string{"/etc", "/etc/a", "/etc/link", "/etc/sub", "/etc/sub/b", "/etc/sub-x", "/home/alice/.ssh", "/home/alice/.ssh/authorized_keys"}, 8},
		{"delete everything", func(x *Index) any { return x.DeleteBelow("/") }, nil, 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := NewIndex()
			put(t, x, tree...)
			if got := tt.op(x); got != tt.ret {
				t.Errorf("returned %v, want %v", got, tt.ret)
			}
			if got := pathsOf(walkAll(x, "/")); !slices.Equal(got, tt.want) {
				t.Errorf("paths %q\nwant %q", got, tt.want)
			}
			if x.Len() != len(tt.want) {
				t.Errorf("Len %d, want %d", x.Len(), len(tt.want))
			}
			checkTree(t, x)
		})
	}
}

func TestIndexEntries(t *testing.T) {
	x := NewIndex()
	link := Entry{Path: "/etc/link", Type: TypeSymlink, Mode: 0o777, UID: 3, GID: 4, Target: "../x", Inode: 9, Dev: 7, MTime: -5, CTime: 6}
	f := file("/etc/f", 5)
	f.Flags |= FlagUnreadable
	put(t, x, link, f, Entry{Path: "/", Type: TypeDir, Mode: 0o755})
	var got Entry
	if !x.Get("/etc/link", &got) || got != link {
		t.Errorf("Get link = %+v, want %+v", got, link)
	}
	if !x.Get("/etc/f", &got) || got != f {
		t.Errorf("Get f = %+v, want %+v", got, f)
	}
	if x.Get("/etc", &got) || x.Has("/etc") || !x.Has("/") {
		t.Error("a path above the entries has an entry, or the root has none")
	}
	// Changing an entry in place: the hash and the target come and go.
	f2 := f
	f2.Flags, f2.SHA256, f2.Size = FlagTooLarge, [32]byte{}, 1<<40
	link2 := link
	link2.Type, link2.Target = TypeFile, ""
	put(t, x, f2, link2)
	if !x.Get("/etc/f", &got) || got != f2 {
		t.Errorf("Get f after the change = %+v, want %+v", got, f2)
	}
	if !x.Get("/etc/link", &got) || got != link2 {
		t.Errorf("Get link after the change = %+v, want %+v", got, link2)
	}
	if x.Len() != 3 {
		t.Errorf("Len %d, want 3", x.Len())
	}
	for _, bad := range []Entry{
		{Path: "etc/x", Type: TypeFile}, {Path: "/etc//x", Type: TypeFile}, {Path: "/etc/../x", Type: TypeFile},
		{Path: "/etc/x/", Type: TypeFile}, {Path: "/etc/x", Type: 0}, {Path: "/etc/x", Type: TypeFile, Mode: 0o10000},
		{Path: "/etc/x", Type: TypeFile, Flags: 0x40}, {Path: "/etc/\x00", Type: TypeFile},
		{Path: "/" + strings.Repeat("a", maxPathLen), Type: TypeFile},
	} {
		if err := x.Put(&bad); !errors.Is(err, errInvalidEntry) {
			t.Errorf("Put(%+v) = %v, want an invalid entry error", bad, err)
		}
	}
	if x.Len() != 3 {
		t.Errorf("Len %d after refused entries, want 3", x.Len())
	}
}

func TestIndexDevices(t *testing.T) {
	x := NewIndex()
	var want []Entry
	for i := range 300 { // more devices than the table holds
		e := file(fmt.Sprintf("/d/f%03d", i), int64(i))
		e.Dev = uint64(1000 + i)
		want = append(want, e)
	}
	put(t, x, want...)
	if got := walkAll(x, "/"); !slices.Equal(got, want) {
		t.Fatalf("entries differ after 300 devices")
	}
	x.DeleteBelow("/d")
	if len(x.devMore) != 0 || len(x.targets) != 0 || x.Len() != 0 {
		t.Errorf("left behind: %d devices, %d targets, %d entries", len(x.devMore), len(x.targets), x.Len())
	}
}

func TestIndexUnseen(t *testing.T) {
	x := NewIndex()
	put(t, x, dir("/etc"), file("/etc/a", 1), file("/etc/b", 2), file("/usr/c", 3))
	x.ClearSeen()
	put(t, x, dir("/etc"), file("/etc/b", 2))
	var got []string
	x.Unseen("/etc", func(e *Entry) bool { got = append(got, e.Path); return true })
	if want := []string{"/etc/a"}; !slices.Equal(got, want) {
		t.Errorf("unseen %q, want %q", got, want)
	}
}

// TestIndexCompacts: names of removed entries are reclaimed.
func TestIndexCompacts(t *testing.T) {
	x := NewIndex()
	for round := range 20 {
		for i := range 2000 {
			put(t, x, file(fmt.Sprintf("/tmp/round%d/%s-%d", round, strings.Repeat("n", 100), i), int64(i+1)))
		}
		x.DeleteBelow(fmt.Sprintf("/tmp/round%d", round))
	}
	if x.names.live+x.names.dead > 2<<20 {
		t.Errorf("arena holds %d live and %d dead bytes for no entry", x.names.live, x.names.dead)
	}
	if x.nnodes > 2100 {
		t.Errorf("%d nodes handed out for at most 2002 at once", x.nnodes)
	}
}

func TestIndexSaveLoad(t *testing.T) {
	x := NewIndex()
	put(t, x, dir("/etc"), file("/etc/a", 1), Entry{Path: "/etc/l", Type: TypeSymlink, Target: "a"}, file("/usr/bin/x", 2))
	db := filepath.Join(t.TempDir(), "b.db")
	var each []string
	if err := x.Save(db, func(e *Entry) { each = append(each, e.Path) }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"/etc", "/etc/a", "/etc/l", "/usr/bin/x"}; !slices.Equal(each, want) {
		t.Errorf("saved %q, want %q", each, want)
	}
	y := NewIndex()
	put(t, y, file("/old", 1))
	if err := y.Load(db); err != nil {
		t.Fatal(err)
	}
	if got, want := walkAll(y, "/"), walkAll(x, "/"); !slices.Equal(got, want) {
		t.Errorf("loaded %+v\nwant %+v", got, want)
	}
	// The stored format is the one Load reads.
	var back []Entry
	if err := Load(db, func(e *Entry) error { back = append(back, *e); return nil }); err != nil || !slices.Equal(back, walkAll(x, "/")) {
		t.Errorf("Load: %v, %+v", err, back)
	}
	data, _ := os.ReadFile(db)
	data[len(data)-6] ^= 1
	_ = os.WriteFile(db, data, 0o600)
	if err := y.Load(db); !errors.Is(err, ErrCorrupt) || y.Len() != 0 {
		t.Errorf("damaged: %v, %d entries left", err, y.Len())
	}
	if err := y.Load(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// checkTree checks the index's invariants: every node but the root has
// an entry or children, children are sorted, the entry count is right.
func checkTree(t *testing.T, x *Index) {
	t.Helper()
	x.mu.RLock()
	defer x.mu.RUnlock()
	entries := 0
	var visit func(id uint32, p string)
	visit = func(id uint32, p string) {
		n := x.node(id)
		if n.bits&bitLive == 0 {
			t.Fatalf("%s: node %d not live", p, id)
		}
		if n.bits&bitHas != 0 {
			entries++
		} else if n.kids == 0 && id != 0 {
			t.Errorf("%s: node without entry nor children", p)
		}
		if n.kids == 0 {
			return
		}
		list := x.kids[n.kids-1]
		if len(list) == 0 {
			t.Errorf("%s: empty children list", p)
		}
		for i, c := range list {
			if i > 0 && x.name(list[i-1]) >= x.name(c) {
				t.Errorf("%s: children out of order", p)
			}
			visit(c, joinPath(p, x.name(c)))
		}
	}
	visit(0, "/")
	if entries != x.entries {
		t.Errorf("%d entries in the tree, %d counted", entries, x.entries)
	}
	live := 0
	for id := uint32(0); id < x.nnodes; id++ {
		if x.node(id).bits&bitLive != 0 {
			live++
		}
	}
	if live+len(x.freeNodes) != int(x.nnodes) {
		t.Errorf("%d live and %d free nodes of %d", live, len(x.freeNodes), x.nnodes)
	}
}

// fuzzReader hands out the fuzzer's bytes as choices.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) next() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

var fuzzNames = []string{"a", "b", "ab", "a-b", "a.b", "c", "zz"}

func (r *fuzzReader) path() string {
	depth := int(r.next() % 4)
	p := ""
	for range depth {
		p += "/" + fuzzNames[int(r.next())%len(fuzzNames)]
	}
	if p == "" {
		return "/"
	}
	return p
}

func (r *fuzzReader) entry() Entry {
	e := Entry{Path: r.path(), Type: Type(r.next()%4 + 1), Flags: Flags(r.next()) & flagsKnown, Mode: uint32(r.next()) << 4,
		UID: uint32(r.next()), GID: uint32(r.next()), Size: int64(r.next()) << 30, MTime: int64(int8(r.next())),
		CTime: int64(r.next()), Inode: uint64(r.next()), Dev: uint64(r.next()) * 1e9}
	e.SHA256[0], e.SHA256[31] = r.next(), r.next()
	if e.Type == TypeSymlink {
		e.Target = strings.Repeat("t", int(r.next()))
	}
	if e.Flags&FlagHashed == 0 {
		e.SHA256 = [32]byte{}
	}
	if c := r.next(); e.Type == TypeFile && e.CapsKnown() && c&1 != 0 {
		e.Caps = filecap.Set{Permitted: uint64(c) << 56, Inheritable: uint64(r.next()), Effective: c&2 != 0, RootID: uint32(r.next()) << 24}
	}
	return e
}

// FuzzIndex runs operations on an Index and on a map of entries side by
// side; both must always hold the same entries.
func FuzzIndex(f *testing.F) {
	f.Add([]byte{0, 2, 1, 2, 3, 0, 1, 1, 0, 2, 1, 1, 6, 2, 2, 1, 0, 3, 3, 1})
	f.Add(bytes.Repeat([]byte{0, 3, 1, 2, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 4, 1, 1, 2, 0}, 8))
	f.Add(bytes.Repeat([]byte{0, 2, 5, 5, 7, 3, 3, 1, 9, 0, 2, 4, 1, 2, 1, 2, 1, 6, 7, 8, 5, 2, 0, 1, 2}, 16))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{b: data}
		x := NewIndex()
		model := map[string]Entry{}
		seen := map[string]bool{}
		for steps := 0; len(r.b) > 0 && steps < 400; steps++ {
			switch op := r.next() % 8; op {
			case 0, 1:
				e := r.entry()
				if err := x.Put(&e); err != nil {
					t.Fatalf("Put(%+v): %v", e, err)
				}
				model[e.Path] = e
				seen[e.Path] = true
			case 2:
				p := r.path()
				_, had := model[p]
				if got := x.Delete(p); got != had {
					t.Fatalf("Delete(%s) = %v, want %v", p, got, had)
				}
				delete(model, p)
			case 3:
				p := r.path()
				n := 0
				for q := range model {
					if Within(q, p) {
						delete(model, q)
						n++
					}
				}
				if got := x.DeleteBelow(p); got != n {
					t.Fatalf("DeleteBelow(%s) = %d, want %d", p, got, n)
				}
			case 4:
				from, to := r.path(), r.path()
				want := false
				if !Within(to, from) && !Within(from, to) {
					for q := range model {
						if Within(q, to) {
							delete(model, q)
						}
					}
					moved := map[string]Entry{}
					for q, e := range model {
						if Within(q, from) {
							want = true
							e.Path = to + q[len(from):]
							moved[e.Path] = e
							seen[e.Path] = seen[q]
							delete(model, q)
						}
					}
					maps.Copy(model, moved)
				}
				if got := x.Move(from, to); got != want {
					t.Fatalf("Move(%s, %s) = %v, want %v", from, to, got, want)
				}
			case 5:
				roots := []string{r.path(), r.path()}
				for q := range model {
					if !Within(q, roots[0]) && !Within(q, roots[1]) {
						delete(model, q)
					}
				}
				x.Retain(roots)
			case 6:
				x.ClearSeen()
				clear(seen)
			case 7:
				p := r.path()
				var want []string
				for q := range model {
					if Within(q, p) && !seen[q] {
						want = append(want, q)
					}
				}
				slices.SortFunc(want, ComparePaths)
				var got []string
				x.Unseen(p, func(e *Entry) bool { got = append(got, e.Path); return true })
				if !slices.Equal(got, want) {
					t.Fatalf("Unseen(%s) = %q, want %q", p, got, want)
				}
			}
			var e Entry
			p := r.path()
			if m, ok := model[p]; x.Get(p, &e) != ok || ok && e != m {
				t.Fatalf("Get(%s) = %+v, want %+v (%v)", p, e, m, ok)
			}
		}
		want := slices.SortedFunc(maps.Values(model), func(a, b Entry) int { return ComparePaths(a.Path, b.Path) })
		if got := walkAll(x, "/"); !slices.Equal(got, want) {
			t.Fatalf("index %q\nmodel %q", pathsOf(got), pathsOf(want))
		}
		if x.Len() != len(model) {
			t.Fatalf("Len %d, model %d", x.Len(), len(model))
		}
		checkTree(t, x)
	})
}

// FuzzDecodeStream: the streaming decoder accepts exactly what Decode
// accepts, with the same entries.
func FuzzDecodeStream(f *testing.F) {
	x := NewIndex()
	for _, e := range []Entry{dir("/etc"), file("/etc/a", 4), {Path: "/etc/l", Type: TypeSymlink, Target: "a"},
		{Path: "/etc/p", Type: TypeFile, Caps: filecap.Set{Permitted: 1 << 13, Effective: true, RootID: 1000}},
		{Path: "/etc/u", Type: TypeFile, Flags: FlagCapsUnknown}} {
		_ = x.Put(&e)
	}
	db := filepath.Join(f.TempDir(), "x")
	_ = x.Save(db, nil)
	good, _ := os.ReadFile(db)
	f.Add(good)
	f.Add([]byte("VGFIMB\x00\x01\x00\x00\x00\x00\x00"))
	f.Add([]byte("VGFIMB\x00\x02\x00\x00\x00\x00\x00"))
	f.Add(good[:len(good)-1])
	f.Fuzz(func(t *testing.T, data []byte) {
		var want, got []Entry
		werr := Decode(data, func(e *Entry) error { want = append(want, *e); return nil })
		gerr := DecodeStream(bytes.NewReader(data), func(e *Entry) error { got = append(got, *e); return nil })
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("Decode: %v, DecodeStream: %v", werr, gerr)
		}
		if gerr != nil && !errors.Is(gerr, ErrCorrupt) {
			t.Fatalf("DecodeStream error %v is not ErrCorrupt", gerr)
		}
		if werr == nil && !slices.Equal(got, want) {
			t.Fatalf("DecodeStream %+v\nDecode %+v", got, want)
		}
	})
}

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenV1 are the entries of testdata/baseline-v1.golden, a stored
// baseline written by the first version of the format, which did not
// record file capabilities: it must stay readable.
var goldenV1 = []Entry{
	{Path: "/", Type: TypeDir, Mode: 0o755, Inode: 2, Dev: 2049, MTime: 1700000000000000000, CTime: 1700000000000000001},
	{Path: "/etc", Type: TypeDir, Mode: 0o755, Inode: 3, Dev: 2049, MTime: 1700000000000000000, CTime: 1700000000000000000},
	{Path: "/etc/passwd", Type: TypeFile, Flags: FlagHashed, Mode: 0o644, Size: 1234, Inode: 4, Dev: 2049, MTime: 1700000000123456789, CTime: 1700000000123456789, SHA256: sha256.Sum256([]byte("passwd"))},
	{Path: "/etc/shadow", Type: TypeFile, Flags: FlagHashed | FlagUnreadable, Mode: 0o640, GID: 42, Size: 900, Inode: 5, Dev: 2049, MTime: -1, CTime: 0},
	{Path: "/etc/ssl", Type: TypeSymlink, Mode: 0o777, Inode: 6, Dev: 2049, Target: "../usr/lib/ssl"},
	{Path: "/usr/bin/big", Type: TypeFile, Flags: FlagTooLarge, Mode: 0o4755, UID: 4294967295, Size: 1 << 40, Inode: 1 << 40, Dev: 1 << 50},
	{Path: "/usr/bin/fifo", Type: TypeOther, Mode: 0o600, Inode: 8, Dev: 2050},
	{Path: "/usr/bin/sh", Type: TypeSymlink, Mode: 0o777, Inode: 9, Dev: 2050, Target: "dash"},
}

// goldenV2 are the entries of testdata/baseline-v2.golden, the current
// format: what the index writes must stay the same bytes.
var goldenV2 = append(slices.Clone(goldenV1[:6]),
	Entry{Path: "/usr/bin/dumpcap", Type: TypeFile, Flags: FlagHashed, Mode: 0o750, GID: 112, Size: 120000, Inode: 10, Dev: 2050,
		SHA256: sha256.Sum256([]byte("dumpcap")), Caps: filecap.Set{Permitted: 1<<12 | 1<<13, Effective: true}},
	goldenV1[6],
	Entry{Path: "/usr/bin/newuidmap", Type: TypeFile, Flags: FlagCapsUnknown, Mode: 0o755, Size: 40000, Inode: 11, Dev: 2050},
	Entry{Path: "/usr/bin/ns-ping", Type: TypeFile, Mode: 0o755, Size: 80000, Inode: 12, Dev: 2050,
		Caps: filecap.Set{Permitted: 1<<13 | 1<<63, Inheritable: 1 << 7, RootID: 100000}},
	goldenV1[7],
)

func TestStoredFormatGolden(t *testing.T) {
	// Version 1 files are read with the capabilities of their regular
	// files unknown.
	v1 := slices.Clone(goldenV1)
	for i := range v1 {
		if v1[i].Type == TypeFile {
			v1[i].Flags |= FlagCapsUnknown
		}
	}
	for _, tt := range []struct {
		golden string
		write  []Entry // nil: a format no longer written
		read   []Entry
	}{
		{"testdata/baseline-v1.golden", nil, v1},
		{"testdata/baseline-v2.golden", goldenV2, goldenV2},
	} {
		t.Run(filepath.Base(tt.golden), func(t *testing.T) {
			if tt.write != nil {
				x := NewIndex()
				for i := len(tt.write) - 1; i >= 0; i-- { // any order in, walk order out
					put(t, x, tt.write[i])
				}
				db := filepath.Join(t.TempDir(), "b.db")
				if err := x.Save(db, nil); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(db)
				if err != nil {
					t.Fatal(err)
				}
				if *update {
					if err := os.WriteFile(tt.golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(tt.golden)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("saved index differs from %s (%d bytes, want %d)", tt.golden, len(got), len(want))
				}
			}
			y := NewIndex()
			if err := y.Load(tt.golden); err != nil {
				t.Fatal(err)
			}
			if got := walkAll(y, "/"); !slices.Equal(got, tt.read) {
				t.Errorf("loaded %+v\nwant %+v", got, tt.read)
			}
		})
	}
}

// TestNodeSize: the node is what every path costs; it stays small and
// without pointers (the collector does not scan the chunks).
func TestNodeSize(t *testing.T) {
	if n := unsafe.Sizeof(node{}); n > 56 {
		t.Errorf("node is %d bytes, want at most 56", n)
	}
}
