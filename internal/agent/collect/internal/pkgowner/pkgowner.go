// Package pkgowner answers which OS package owns a file: the inventory
// collectors use it to name the package of a running executable, a
// listening daemon, a unit file, a crontab or a kernel module, and to mark
// a file that no package owns (a hunting lead: "a binary that no package
// owns").
//
// # Sources
//
// The index is built from dpkg's database: one path per line in
// /var/lib/dpkg/info/NAME.list (NAME:ARCH.list for a multi-arch package),
// corrected by /var/lib/dpkg/diversions (a diverted file belongs to the
// diverting package, and the original package's file to the path it was
// diverted to; a local diversion leaves the path to no package).
//
// RPM is not read: its database (Berkeley DB, ndb or SQLite holding binary
// rpm headers) needs a header parser that the agent does not have, and
// running rpm -qf for every file on every run is not acceptable; on an rpm
// host the index is unavailable and the collectors leave the package
// fields out rather than call every file unowned.
//
// # Merged /usr
//
// On a host whose /bin, /sbin and /lib* are links into /usr, dpkg still
// lists many files under their old names (/bin/bash) while the kernel
// names the running file by its real one (/usr/bin/bash). Both the listed
// paths and the looked-up ones are rewritten to the /usr form when the
// host's directory is such a link, so either name finds the package.
//
// # Cost
//
// Paths are kept as 64-bit hashes in one sorted array with the index of
// their package (12 bytes a path: about 1.5 MB for 120,000 paths), not as
// strings. Two paths with the same hash would share an owner; with 64-bit
// hashes the chance is about one in a billion for a whole Debian system.
// The index is rebuilt only when the dpkg info directory or the
// diversions file changes (modification time or size: dpkg replaces a
// .list file by renaming a new one over it, which changes the
// directory's modification time); Shared
// keeps one per host root for all collectors.
package pkgowner

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
	"github.com/vigilsec/vigil/internal/event"
)

// Locations of dpkg's database below the host root.
const (
	infoDir       = "/var/lib/dpkg/info"
	diversionFile = "/var/lib/dpkg/diversions"
	// maxListBytes bounds one .list file (the largest Debian ones are a
	// few MB: firmware and icon themes).
	maxListBytes = 64 << 20
	// maxDiversionBytes bounds the diversions file.
	maxDiversionBytes = 16 << 20
)

// None is the package.name of a file that no package owns.
const None = "none"

// TypeDeb is the package.type of a dpkg package.
const TypeDeb = "deb"

// Package is the package that owns a file.
type Package struct {
	// Name is the package name ("libc6").
	Name string
	// Arch is the architecture of a multi-arch package ("amd64"), "" for
	// the others.
	Arch string
	// Type is the package format (TypeDeb).
	Type string
}

// Index maps paths to the packages that own them. It is immutable and
// safe for concurrent use.
type Index struct {
	seed    maphash.Seed
	aliases []string // directories that are links into /usr: "/bin" ...
	hashes  []uint64 // sorted
	owners  []uint32 // owners[i] is the index in pkgs of hashes[i]
	pkgs    []Package
	// Malformed counts the lines of the database that were skipped.
	Malformed int
	// Unreadable counts the .list files that could not be read.
	Unreadable int
}

// Len returns the number of paths indexed.
func (ix *Index) Len() int { return len(ix.hashes) }

// Packages returns the number of packages indexed.
func (ix *Index) Packages() int { return len(ix.pkgs) }

// Canonical returns p cleaned and, where the host's directory is a link
// into /usr, in its /usr form.
func (ix *Index) Canonical(p string) string {
	return canonical(p, ix.aliases)
}

func canonical(p string, aliases []string) string {
	p = path.Clean("/" + p)
	for _, a := range aliases {
		if p == a || strings.HasPrefix(p, a) && p[len(a)] == '/' {
			return "/usr" + p
		}
	}
	return p
}

// Lookup returns the package that owns file p (a host path); false when
// no package does.
func (ix *Index) Lookup(p string) (Package, bool) {
	if ix == nil {
		return Package{}, false
	}
	h := maphash.String(ix.seed, ix.Canonical(p))
	i, ok := slices.BinarySearch(ix.hashes, h)
	if !ok {
		return Package{}, false
	}
	return ix.pkgs[ix.owners[i]], true
}

// Annotate sets the package fields of the owner of file p in fields
// (an ECS document): package.name and package.type of the package, or
// package.name "none" when no package owns p. Nothing is set when ix is
// nil (the host has no package database the index reads) or p is empty.
func (ix *Index) Annotate(fields event.Event, p string) {
	if ix == nil || p == "" {
		return
	}
	pkg, ok := ix.Lookup(p)
	if !ok {
		fields.Set("package.name", None)
		return
	}
	fields.Set("package.name", pkg.Name)
	if pkg.Arch != "" {
		fields.Set("package.architecture", pkg.Arch)
	}
	fields.Set("package.type", pkg.Type)
}

// ParseList calls fn with every path of a dpkg .list file: one absolute
// path a line. dpkg's "/." line for the root is skipped; a line that is
// not an absolute path is skipped and counted in the returned problems.
func ParseList(data []byte, fn func(p string)) textfile.Problems {
	return parseList(data, func(p []byte) { fn(string(p)) })
}

// parseList is ParseList without a string for each path.
func parseList(data []byte, fn func(p []byte)) textfile.Problems {
	var probs textfile.Problems
	for n, line := range textfile.Lines(data) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case len(line) == 0 || len(line) == 2 && line[0] == '/' && line[1] == '.':
		case line[0] != '/' || bytes.IndexByte(line, 0) >= 0:
			probs.Skip(n, "not an absolute path")
		default:
			fn(line)
		}
	}
	return probs
}

// Diversion is one entry of dpkg's diversions file.
type Diversion struct {
	// From is the diverted path, To where the diverted package's file is
	// put instead.
	From, To string
	// Package is the diverting package, ":" for a local diversion.
	Package string
}

// ParseDiversions parses /var/lib/dpkg/diversions: groups of three lines
// (the diverted path, the path it is diverted to, the diverting package
// or ":"). A group with a relative path or no package is skipped and
// counted; a last, incomplete group too.
func ParseDiversions(data []byte) ([]Diversion, textfile.Problems) {
	var out []Diversion
	var probs textfile.Problems
	var group []string
	first := 0
	for n, line := range textfile.Lines(data) {
		if len(group) == 0 {
			first = n
		}
		group = append(group, strings.TrimSuffix(string(line), "\r"))
		if len(group) < 3 {
			continue
		}
		d := Diversion{From: group[0], To: group[1], Package: group[2]}
		group = group[:0]
		if !strings.HasPrefix(d.From, "/") || !strings.HasPrefix(d.To, "/") || d.Package == "" ||
			strings.ContainsAny(d.Package, " \t") {
			probs.Skip(first, "not a diversion (path, path, package)")
			continue
		}
		out = append(out, d)
	}
	if len(group) > 0 && !(len(group) == 1 && group[0] == "") {
		probs.Skip(first, "incomplete diversion")
	}
	return out, probs
}

// packageOf returns the package a .list file's name names; false for a
// file that is not a .list file.
func packageOf(file string) (Package, bool) {
	base, ok := strings.CutSuffix(file, ".list")
	if !ok || base == "" || strings.HasPrefix(base, ".") {
		return Package{}, false
	}
	name, arch, _ := strings.Cut(base, ":")
	if name == "" {
		return Package{}, false
	}
	return Package{Name: name, Arch: arch, Type: TypeDeb}, true
}

// ErrNoDatabase says the host has no package database the index reads.
var ErrNoDatabase = errors.New("no dpkg database")

// Build reads the dpkg database of the host whose root is root and
// returns its index. It fails with ErrNoDatabase when the host has no
// dpkg info directory; unreadable or malformed parts are skipped and
// counted in the index.
func Build(root string) (*Index, error) {
	if root == "" {
		root = "/"
	}
	dir := filepath.Join(root, infoDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("package index: %s: %w", infoDir, ErrNoDatabase)
	}
	if err != nil {
		return nil, fmt.Errorf("package index: %w", err)
	}
	ix := &Index{seed: maphash.MakeSeed(), aliases: usrAliases(root)}
	b := builder{ix: ix}
	if data, err := readLimited(filepath.Join(root, diversionFile), maxDiversionBytes, nil); err == nil {
		divs, probs := ParseDiversions(data)
		ix.Malformed += probs.Skipped
		b.setDiversions(divs)
	} else if !errors.Is(err, fs.ErrNotExist) {
		ix.Unreadable++
	}
	var buf []byte
	for _, e := range ents { // sorted by name: the first listing package wins
		pkg, ok := packageOf(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		data, err := readLimited(filepath.Join(dir, e.Name()), maxListBytes, buf[:0])
		if err != nil {
			ix.Unreadable++
			continue
		}
		buf = data
		if need := len(b.pairs) + bytes.Count(data, []byte{'\n'}) + 1; need > cap(b.pairs) {
			b.pairs = slices.Grow(b.pairs, need+need/4-len(b.pairs))
		}
		id := uint32(len(ix.pkgs))
		ix.pkgs = append(ix.pkgs, pkg)
		probs := parseList(data, func(p []byte) { b.add(p, id) })
		ix.Malformed += probs.Skipped
	}
	b.finish()
	return ix, nil
}

// builder collects the owners of an index being built.
type builder struct {
	ix *Index
	// pairs are the paths listed, in the order read.
	pairs []pair
	// diverted maps the hash of a diverted path to its diversion.
	diverted map[uint64]*divState
	h        maphash.Hash
}

type pair struct {
	hash uint64
	pkg  uint32
}

type divState struct {
	d Diversion
	// toHash is the hash of d.To.
	toHash uint64
}

func (b *builder) setDiversions(divs []Diversion) {
	b.diverted = make(map[uint64]*divState, len(divs))
	for _, d := range divs {
		from := maphash.String(b.ix.seed, b.ix.Canonical(d.From))
		b.diverted[from] = &divState{d: d, toHash: maphash.String(b.ix.seed, b.ix.Canonical(d.To))}
	}
}

// hash returns the hash of the canonical form of path p, without making
// a string of it when it is clean and outside the aliased directories.
func (b *builder) hash(p []byte) uint64 {
	if !clean(p) {
		return maphash.String(b.ix.seed, b.ix.Canonical(string(p)))
	}
	b.h.SetSeed(b.ix.seed)
	for _, a := range b.ix.aliases {
		if bytes.HasPrefix(p, []byte(a)) && (len(p) == len(a) || p[len(a)] == '/') {
			b.h.WriteString("/usr")
			break
		}
	}
	b.h.Write(p)
	return b.h.Sum64()
}

// clean reports whether absolute path p is in path.Clean's form.
func clean(p []byte) bool {
	if len(p) > 1 && p[len(p)-1] == '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		rest := p[i+1:]
		if len(rest) > 0 && rest[0] == '/' {
			return false
		}
		seg := rest
		if j := bytes.IndexByte(rest, '/'); j >= 0 {
			seg = rest[:j]
		}
		if len(seg) == 1 && seg[0] == '.' || len(seg) == 2 && seg[0] == '.' && seg[1] == '.' {
			return false
		}
	}
	return true
}

// add records that package id lists path p.
func (b *builder) add(p []byte, id uint32) {
	h := b.hash(p)
	if ds, ok := b.diverted[h]; ok {
		if b.ix.pkgs[id].Name == ds.d.Package {
			b.pairs = append(b.pairs, pair{h, id})
		} else {
			// The original package's file now lives at To.
			b.pairs = append(b.pairs, pair{ds.toHash, id})
		}
		return
	}
	b.pairs = append(b.pairs, pair{h, id})
}

// finish turns the pairs into the sorted arrays of the index: the first
// package that lists a path owns it (package ids grow in reading order).
func (b *builder) finish() {
	ix := b.ix
	slices.SortFunc(b.pairs, func(x, y pair) int {
		if c := cmp.Compare(x.hash, y.hash); c != 0 {
			return c
		}
		return cmp.Compare(x.pkg, y.pkg)
	})
	n := 0
	for i, p := range b.pairs {
		if i == 0 || p.hash != b.pairs[i-1].hash {
			n++
		}
	}
	ix.hashes = make([]uint64, 0, n)
	ix.owners = make([]uint32, 0, n)
	for i, p := range b.pairs {
		if i > 0 && p.hash == b.pairs[i-1].hash {
			continue
		}
		ix.hashes = append(ix.hashes, p.hash)
		ix.owners = append(ix.owners, p.pkg)
	}
	b.pairs = nil
}

// aliasDirs are the directories that a merged /usr turns into links.
var aliasDirs = []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"}

// usrAliases returns the directories of root that are links to their
// namesake in /usr.
func usrAliases(root string) []string {
	var out []string
	for _, d := range aliasDirs {
		target, err := os.Readlink(filepath.Join(root, d))
		if err != nil {
			continue
		}
		if !path.IsAbs(target) {
			target = path.Join("/", target)
		}
		if path.Clean(target) == "/usr/"+d {
			out = append(out, "/"+d)
		}
	}
	return out
}

// readLimited reads a regular file of at most max bytes into buf.
func readLimited(p string, max int64, buf []byte) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", p, fi.Size(), max)
	}
	buf = slices.Grow(buf[:0], int(fi.Size())+512)
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) || err == nil && n == 0 {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		if int64(len(buf)) > max {
			return nil, fmt.Errorf("%s: more than %d bytes", p, max)
		}
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 4096)
		}
	}
}

// DB keeps the index of one host root current: it is rebuilt when the
// database changes. It is safe for concurrent use.
type DB struct {
	root string
	mu   sync.Mutex
	ix   *Index
	err  error
	ver  version
	// builds counts the builds, for the collectors' counters.
	builds atomic.Uint64
}

// version identifies a state of the database: the info directory's and
// the diversions file's identity and modification time.
type version struct {
	info, div stamp
}

type stamp struct {
	ok      bool
	size    int64
	mtimeNS int64
}

// stampOf describes file p for version; a missing file has the zero
// stamp.
func stampOf(p string) stamp {
	fi, err := os.Stat(p)
	if err != nil {
		return stamp{}
	}
	return stamp{ok: true, size: fi.Size(), mtimeNS: fi.ModTime().UnixNano()}
}

var (
	sharedMu sync.Mutex
	shared   = map[string]*DB{}
)

// Shared returns the DB of the host whose root is root, the same for
// every caller.
func Shared(root string) *DB {
	if root == "" {
		root = "/"
	}
	root = filepath.Clean(root)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	db, ok := shared[root]
	if !ok {
		db = NewDB(root)
		shared[root] = db
	}
	return db
}

// NewDB returns a DB of its own for root (tests; collectors use Shared).
func NewDB(root string) *DB {
	if root == "" {
		root = "/"
	}
	return &DB{root: root}
}

// Index returns the current index, rebuilt when the database changed
// since the last call. It returns nil and an error wrapping ErrNoDatabase
// when the host has no dpkg database.
func (d *DB) Index() (*Index, error) {
	v := version{
		info: stampOf(filepath.Join(d.root, infoDir)),
		div:  stampOf(filepath.Join(d.root, diversionFile)),
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if (d.ix != nil || d.err != nil) && v == d.ver {
		return d.ix, d.err
	}
	d.ix, d.err = Build(d.root)
	d.ver = v
	d.builds.Add(1)
	return d.ix, d.err
}

// Current returns the current index of the host whose root is root from
// its shared DB; nil when the host has no dpkg database, or when the
// database cannot be read, which is then counted in errs (when not nil).
func Current(root string, errs *atomic.Uint64) *Index {
	ix, err := Shared(root).Index()
	if err != nil && !errors.Is(err, ErrNoDatabase) && errs != nil {
		errs.Add(1)
	}
	return ix
}

// Builds returns the number of times the index was built.
func (d *DB) Builds() uint64 { return d.builds.Load() }
