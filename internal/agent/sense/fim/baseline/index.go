package baseline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/vigilsec/vigil/internal/agent/sense/fim/filecap"
)

// Index is the in-memory state of the watched trees: one Entry per host
// path, kept compact so that a tree of a few hundred thousand entries
// costs a few tens of bytes of memory per entry.
//
// Paths are stored once, as a tree of names: each path component is a
// node that knows its name and its children (sorted by name, which is
// ComparePaths order), so that a directory's entries are found, moved
// and dropped together. A node is a small struct without pointers, held
// in fixed chunks that never move (the garbage collector does not scan
// them, and growing costs no copy); names and symlink targets are kept
// in an append-only byte arena, compacted when enough of it is dead;
// content hashes in chunks of [32]byte, only for hashed entries; device
// numbers in a small table; file capabilities in a map, only for the few
// files that have some.
//
// A node may carry no entry: the components above the watched trees
// ("/home" above "/home/alice/.ssh") are kept only as long as they have
// children.
//
// An Index is safe for concurrent use. Walk and Unseen hold a read lock
// while their callback runs: the callback must not change the index.
type Index struct {
	mu sync.RWMutex

	nodes     [][]node // chunks of nodeChunk nodes; node 0 is "/"
	nnodes    uint32   // node ids handed out so far
	freeNodes []uint32

	hashes     [][][32]byte // chunks of hashChunk hashes
	nhashes    uint32
	freeHashes []uint32

	kids     [][]uint32 // children lists, by node.kids-1
	freeKids []uint32

	targets map[uint32]uint32      // node -> arena reference of its symlink target
	caps    map[uint32]filecap.Set // node -> capabilities, of entries that have some
	devs    []uint64               // device numbers by node.dev
	devIdx  map[uint64]uint8
	devMore map[uint32]uint64 // node -> device, when devs is full

	names arena
	// seen has a bit per node, set by Put since the last ClearSeen.
	seen    []uint64
	entries int
}

// node is one path component; with bitHas, the entry of its path.
type node struct {
	size, mtime, ctime int64
	ino                uint64
	uid, gid           uint32
	name               uint32 // arena reference
	hash               uint32 // hash slot, when the entry has FlagHashed
	kids               uint32 // children list + 1; 0 when none
	mode               uint16 // Mode, and modeCapsUnknown
	dev                uint8  // index in devs; devOverflow: in devMore
	bits               uint8  // type, flags but FlagCapsUnknown, bitHas, bitLive
}

const (
	nodeShift = 12
	nodeChunk = 1 << nodeShift
	hashShift = 12
	hashChunk = 1 << hashShift

	bitsType    = 0x07 // Type
	bitsFlags   = 0x38 // Flags << 3, but FlagCapsUnknown
	flagsShift  = 3
	flagsInBits = FlagHashed | FlagTooLarge | FlagUnreadable
	// modeCapsUnknown, in node.mode above the permission bits, is
	// FlagCapsUnknown.
	modeCapsUnknown = 0x8000
	bitHas          = 0x40 // the node carries an entry
	bitLive         = 0x80 // the node is in use
	devOverflow     = 0xff
)

// errInvalidEntry is wrapped by Put's errors.
var errInvalidEntry = errors.New("invalid entry")

// NewIndex returns an empty index.
func NewIndex() *Index {
	x := &Index{}
	x.reset()
	return x
}

// reset empties the index; it leaves the lock alone.
func (x *Index) reset() {
	x.nodes, x.nnodes, x.freeNodes = [][]node{make([]node, nodeChunk)}, 1, nil
	x.hashes, x.nhashes, x.freeHashes = nil, 0, nil
	x.kids, x.freeKids = nil, nil
	x.targets, x.devs, x.devIdx, x.devMore = map[uint32]uint32{}, nil, map[uint64]uint8{}, map[uint32]uint64{}
	x.caps = map[uint32]filecap.Set{}
	x.names, x.seen, x.entries = arena{}, nil, 0
	x.nodes[0][0] = node{name: x.names.add(""), bits: bitLive}
}

// Reset empties the index.
func (x *Index) Reset() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.reset()
}

// Len returns the number of entries.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.entries
}

// Bytes returns an estimate of the memory the index holds, in bytes.
func (x *Index) Bytes() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := int64(len(x.nodes))*nodeChunk*int64(unsafe.Sizeof(node{})) +
		int64(len(x.hashes))*hashChunk*32 + int64(len(x.names.chunks))*arenaChunk +
		int64(len(x.kids))*24 + int64(len(x.seen))*8 +
		int64(len(x.targets)+len(x.devMore))*16 + int64(len(x.caps))*48
	for _, k := range x.kids {
		n += int64(cap(k)) * 4
	}
	return n
}

func (x *Index) node(id uint32) *node { return &x.nodes[id>>nodeShift][id&(nodeChunk-1)] }

func (x *Index) name(id uint32) string { return x.names.get(x.node(id).name) }

// validPath reports whether p is a path the index keeps: absolute, at
// most maxPathLen bytes, without NUL, empty, "." or ".." components.
func validPath(p string) bool {
	if len(p) == 0 || p[0] != '/' || len(p) > maxPathLen || strings.IndexByte(p, 0) >= 0 {
		return false
	}
	if p == "/" {
		return true
	}
	for c := range strings.SplitSeq(p[1:], "/") {
		if c == "" || c == "." || c == ".." {
			return false
		}
	}
	return true
}

// nextComponent splits the first component off rest (a path without its
// leading '/').
func nextComponent(rest string) (comp, after string) {
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[:i], rest[i+1:]
	}
	return rest, ""
}

// child finds name among the children of node id: its node, or where it
// would be inserted.
func (x *Index) child(id uint32, name string) (uint32, int, bool) {
	k := x.node(id).kids
	if k == 0 {
		return 0, 0, false
	}
	list := x.kids[k-1]
	// Walks add children in order: try after the last one first.
	if n := len(list); n > 0 && x.name(list[n-1]) < name {
		return 0, n, false
	}
	i, ok := slices.BinarySearchFunc(list, name, func(c uint32, name string) int {
		return strings.Compare(x.name(c), name)
	})
	if ok {
		return list[i], i, true
	}
	return 0, i, false
}

// find returns the node of path p and, when path is set, appends the
// nodes from the root down to it to *path.
func (x *Index) find(p string, path *[]uint32) (uint32, bool) {
	if !validPath(p) {
		return 0, false
	}
	id := uint32(0)
	if path != nil {
		*path = append(*path, 0)
	}
	for rest := p[1:]; rest != ""; {
		var comp string
		comp, rest = nextComponent(rest)
		c, _, ok := x.child(id, comp)
		if !ok {
			return 0, false
		}
		id = c
		if path != nil {
			*path = append(*path, id)
		}
	}
	return id, true
}

// makePath returns the node of the valid path p, creating the missing
// nodes on the way.
func (x *Index) makePath(p string) uint32 {
	id := uint32(0)
	for rest := p[1:]; rest != ""; {
		var comp string
		comp, rest = nextComponent(rest)
		c, at, ok := x.child(id, comp)
		if !ok {
			c = x.newNode(comp)
			x.insertChild(id, at, c)
		}
		id = c
	}
	return id
}

func (x *Index) newNode(name string) uint32 {
	var id uint32
	if n := len(x.freeNodes); n > 0 {
		id = x.freeNodes[n-1]
		x.freeNodes = x.freeNodes[:n-1]
	} else {
		id = x.nnodes
		x.nnodes++
		if int(id>>nodeShift) == len(x.nodes) {
			x.nodes = append(x.nodes, make([]node, nodeChunk))
		}
	}
	*x.node(id) = node{name: x.names.add(name), bits: bitLive}
	return id
}

// insertChild puts c at position at of id's children.
func (x *Index) insertChild(id uint32, at int, c uint32) {
	n := x.node(id)
	if n.kids == 0 {
		if k := len(x.freeKids); k > 0 {
			n.kids = x.freeKids[k-1] + 1
			x.freeKids = x.freeKids[:k-1]
		} else {
			x.kids = append(x.kids, nil)
			n.kids = uint32(len(x.kids))
		}
	}
	x.kids[n.kids-1] = slices.Insert(x.kids[n.kids-1], at, c)
}

// removeChild takes c out of id's children.
func (x *Index) removeChild(id, c uint32) {
	n := x.node(id)
	if n.kids == 0 {
		return
	}
	list := x.kids[n.kids-1]
	i, ok := slices.BinarySearchFunc(list, x.name(c), func(k uint32, name string) int {
		return strings.Compare(x.name(k), name)
	})
	if !ok || list[i] != c {
		return
	}
	list = slices.Delete(list, i, i+1)
	if len(list) == 0 {
		x.kids[n.kids-1] = nil
		x.freeKids = append(x.freeKids, n.kids-1)
		n.kids = 0
		return
	}
	x.kids[n.kids-1] = list
}

// Put records e, replacing the entry of its path. e.Path must be
// absolute and clean and e.Type one of the types; the symlink target is
// kept for symlinks only, as in the stored baseline.
func (x *Index) Put(e *Entry) error {
	if !validPath(e.Path) {
		return fmt.Errorf("baseline: %w: path %q", errInvalidEntry, e.Path)
	}
	if e.Type < TypeFile || e.Type > TypeOther || e.Flags&^flagsKnown != 0 || e.Mode > 0o7777 || len(e.Target) > maxPathLen {
		return fmt.Errorf("baseline: %w: %s", errInvalidEntry, e.Path)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	id := x.makePath(e.Path)
	x.set(id, e)
	x.markSeen(id)
	x.names.maybeCompact(x)
	return nil
}

// set stores e's fields in node id.
func (x *Index) set(id uint32, e *Entry) {
	n := x.node(id)
	had := n.bits&bitHas != 0
	hadHash := had && Flags(n.bits&bitsFlags>>flagsShift)&FlagHashed != 0
	switch {
	case e.Flags&FlagHashed != 0:
		if !hadHash {
			n.hash = x.newHash()
		}
		x.hashes[n.hash>>hashShift][n.hash&(hashChunk-1)] = e.SHA256
	case hadHash:
		x.freeHashes = append(x.freeHashes, n.hash)
		n.hash = 0
	}
	old, hadTarget := x.targets[id]
	switch {
	case e.Type == TypeSymlink && e.Target != "":
		if !hadTarget || x.names.get(old) != e.Target {
			if hadTarget {
				x.names.drop(old)
			}
			x.targets[id] = x.names.add(e.Target)
		}
	case hadTarget:
		x.names.drop(old)
		delete(x.targets, id)
	}
	if n.dev == devOverflow {
		delete(x.devMore, id)
	}
	if e.Caps.IsZero() || e.Flags&FlagCapsUnknown != 0 {
		delete(x.caps, id)
	} else {
		x.caps[id] = e.Caps
	}
	n.dev = x.devIndex(id, e.Dev)
	n.size, n.mtime, n.ctime, n.ino = e.Size, e.MTime, e.CTime, e.Inode
	n.uid, n.gid, n.mode = e.UID, e.GID, uint16(e.Mode)
	if e.Flags&FlagCapsUnknown != 0 {
		n.mode |= modeCapsUnknown
	}
	n.bits = bitLive | bitHas | uint8(e.Type)&bitsType | uint8(e.Flags&flagsInBits)<<flagsShift&bitsFlags
	if !had {
		x.entries++
	}
}

func (x *Index) newHash() uint32 {
	if n := len(x.freeHashes); n > 0 {
		h := x.freeHashes[n-1]
		x.freeHashes = x.freeHashes[:n-1]
		return h
	}
	h := x.nhashes
	x.nhashes++
	if int(h>>hashShift) == len(x.hashes) {
		x.hashes = append(x.hashes, make([][32]byte, hashChunk))
	}
	return h
}

func (x *Index) devIndex(id uint32, dev uint64) uint8 {
	if i, ok := x.devIdx[dev]; ok {
		return i
	}
	if len(x.devs) < devOverflow {
		i := uint8(len(x.devs))
		x.devs = append(x.devs, dev)
		x.devIdx[dev] = i
		return i
	}
	x.devMore[id] = dev
	return devOverflow
}

func (x *Index) markSeen(id uint32) {
	w := int(id / 64)
	if w >= len(x.seen) {
		x.seen = append(x.seen, make([]uint64, w+1-len(x.seen))...)
	}
	x.seen[w] |= 1 << (id % 64)
}

func (x *Index) isSeen(id uint32) bool {
	w := int(id / 64)
	return w < len(x.seen) && x.seen[w]&(1<<(id%64)) != 0
}

func (x *Index) clearSeen(id uint32) {
	if w := int(id / 64); w < len(x.seen) {
		x.seen[w] &^= 1 << (id % 64)
	}
}

// ClearSeen forgets which entries Put reached: Unseen then lists those
// that no Put reaches from now on.
func (x *Index) ClearSeen() {
	x.mu.Lock()
	defer x.mu.Unlock()
	clear(x.seen)
}

// entry fills e from node id, the node of path p.
func (x *Index) entry(id uint32, p string, e *Entry) {
	n := x.node(id)
	*e = Entry{
		Path: p, Type: Type(n.bits & bitsType), Flags: Flags(n.bits & bitsFlags >> flagsShift),
		Mode: uint32(n.mode &^ modeCapsUnknown), UID: n.uid, GID: n.gid, Size: n.size, MTime: n.mtime, CTime: n.ctime,
		Inode: n.ino,
	}
	if n.mode&modeCapsUnknown != 0 {
		e.Flags |= FlagCapsUnknown
	} else if len(x.caps) > 0 {
		e.Caps = x.caps[id]
	}
	if n.dev == devOverflow {
		e.Dev = x.devMore[id]
	} else {
		e.Dev = x.devs[n.dev]
	}
	if e.Flags&FlagHashed != 0 {
		e.SHA256 = x.hashes[n.hash>>hashShift][n.hash&(hashChunk-1)]
	}
	if ref, ok := x.targets[id]; ok {
		e.Target = strings.Clone(x.names.get(ref))
	}
}

// Get fills e with the entry of path p; false when there is none.
func (x *Index) Get(p string, e *Entry) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	id, ok := x.find(p, nil)
	if !ok || x.node(id).bits&bitHas == 0 {
		return false
	}
	x.entry(id, p, e)
	return true
}

// Has reports whether path p has an entry.
func (x *Index) Has(p string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	id, ok := x.find(p, nil)
	return ok && x.node(id).bits&bitHas != 0
}

// dropEntry removes node id's entry, keeping the node.
func (x *Index) dropEntry(id uint32) {
	n := x.node(id)
	if n.bits&bitHas == 0 {
		return
	}
	if Flags(n.bits&bitsFlags>>flagsShift)&FlagHashed != 0 {
		x.freeHashes = append(x.freeHashes, n.hash)
	}
	if ref, ok := x.targets[id]; ok {
		x.names.drop(ref)
		delete(x.targets, id)
	}
	if n.dev == devOverflow {
		delete(x.devMore, id)
	}
	delete(x.caps, id)
	name := n.name
	*n = node{name: name, kids: n.kids, bits: bitLive}
	x.entries--
}

// freeTree releases node id and every node below it; the caller takes
// id out of its parent's children.
func (x *Index) freeTree(id uint32) int {
	gone := 0
	if k := x.node(id).kids; k != 0 {
		for _, c := range x.kids[k-1] {
			gone += x.freeTree(c)
		}
		x.kids[k-1] = nil
		x.freeKids = append(x.freeKids, k-1)
	}
	n := x.node(id)
	if n.bits&bitHas != 0 {
		gone++
	}
	x.dropEntry(id)
	if id != 0 {
		x.names.drop(n.name)
		*n = node{}
		x.clearSeen(id)
		x.freeNodes = append(x.freeNodes, id)
	} else {
		n.kids = 0
	}
	return gone
}

// prune takes the last node of path (root first) out of the tree, with
// everything below it, then the nodes above it that are left without
// entry nor children.
func (x *Index) prune(path []uint32) int {
	gone := 0
	for i := len(path) - 1; i > 0; i-- {
		id := path[i]
		n := x.node(id)
		if i < len(path)-1 && (n.bits&bitHas != 0 || n.kids != 0) {
			break
		}
		x.removeChild(path[i-1], id)
		gone += x.freeTree(id)
	}
	if len(path) == 1 {
		gone += x.freeTree(0)
	}
	return gone
}

// Delete removes the entry of path p, but not the entries below it;
// false when there was none.
func (x *Index) Delete(p string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	var buf [32]uint32
	path := buf[:0]
	id, ok := x.find(p, &path)
	if !ok || x.node(id).bits&bitHas == 0 {
		return false
	}
	x.dropEntry(id)
	if x.node(id).kids == 0 && id != 0 {
		x.prune(path)
	}
	x.names.maybeCompact(x)
	return true
}

// DeleteBelow removes the entries of path p and of every path below it,
// and returns how many there were.
func (x *Index) DeleteBelow(p string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	gone := x.deleteBelow(p)
	x.names.maybeCompact(x)
	return gone
}

func (x *Index) deleteBelow(p string) int {
	var buf [32]uint32
	path := buf[:0]
	if _, ok := x.find(p, &path); !ok {
		return 0
	}
	return x.prune(path)
}

// Move moves the entries of path from and below it to path to (a
// rename): what was at to or below it is removed first. It reports
// whether from had anything to move. A move into from's own tree or over
// one of its ancestors, which rename(2) refuses, does nothing.
func (x *Index) Move(from, to string) bool {
	if !validPath(from) || !validPath(to) || Within(to, from) || Within(from, to) {
		return false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleteBelow(to)
	var buf [32]uint32
	path := buf[:0]
	id, ok := x.find(from, &path)
	if !ok {
		return false
	}
	parent := path[len(path)-2]
	x.removeChild(parent, id)
	// The nodes above from left empty go.
	for i := len(path) - 2; i > 0; i-- {
		n := x.node(path[i])
		if n.bits&bitHas != 0 || n.kids != 0 {
			break
		}
		x.removeChild(path[i-1], path[i])
		x.freeTree(path[i])
	}
	dir, base := splitPath(to)
	pid := x.makePath(dir)
	n := x.node(id)
	x.names.drop(n.name)
	n.name = x.names.add(base)
	_, at, _ := x.child(pid, base)
	x.insertChild(pid, at, id)
	x.names.maybeCompact(x)
	return true
}

// splitPath splits a valid path other than "/" into its directory and
// name.
func splitPath(p string) (string, string) {
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/", p[1:]
	}
	return p[:i], p[i+1:]
}

// Retain removes every entry that is not at or below one of roots.
func (x *Index) Retain(roots []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.retain(0, "/", roots) {
		x.freeTree(0)
	}
	x.names.maybeCompact(x)
}

// retain applies Retain to node id of path p; it reports whether the
// node is still needed (the caller releases it when not).
func (x *Index) retain(id uint32, p string, roots []string) bool {
	above := false
	for _, r := range roots {
		if Within(p, r) {
			return true
		}
		if Within(r, p) {
			above = true
		}
	}
	if !above {
		return false
	}
	x.dropEntry(id)
	if k := x.node(id).kids; k != 0 {
		for _, c := range slices.Clone(x.kids[k-1]) {
			if !x.retain(c, joinPath(p, x.name(c)), roots) {
				x.removeChild(id, c)
				x.freeTree(c)
			}
		}
	}
	return x.node(id).kids != 0
}

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// Walk calls fn with each entry at or below path p, in ComparePaths
// order, until fn returns false. The Entry is reused between calls.
func (x *Index) Walk(p string, fn func(e *Entry) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if id, ok := x.find(p, nil); ok {
		var e Entry
		x.walk(id, p, &e, false, fn)
	}
}

// Unseen calls fn, as Walk does, with each entry at or below path p that
// no Put reached since the last ClearSeen.
func (x *Index) Unseen(p string, fn func(e *Entry) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if id, ok := x.find(p, nil); ok {
		var e Entry
		x.walk(id, p, &e, true, fn)
	}
}

func (x *Index) walk(id uint32, p string, e *Entry, unseen bool, fn func(*Entry) bool) bool {
	if x.node(id).bits&bitHas != 0 && !(unseen && x.isSeen(id)) {
		x.entry(id, p, e)
		if !fn(e) {
			return false
		}
	}
	if k := x.node(id).kids; k != 0 {
		for _, c := range x.kids[k-1] {
			if !x.walk(c, joinPath(p, x.name(c)), e, unseen, fn) {
				return false
			}
		}
	}
	return true
}

// Save writes the index as the baseline file at path (see Create),
// calling each, when set, with every entry written.
func (x *Index) Save(path string, each func(e *Entry)) error {
	w, err := Create(path)
	if err != nil {
		return err
	}
	x.Walk("/", func(e *Entry) bool {
		if err = w.Add(e); err != nil {
			return false
		}
		if each != nil {
			each(e)
		}
		return true
	})
	if err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// arena keeps strings, each as its uvarint length then its bytes, in
// chunks that are never moved nor rewritten: a reference is the chunk
// number << 16 | the offset in it.
type arena struct {
	chunks [][]byte
	// live counts the bytes of the strings in use, dead those dropped.
	live, dead int
}

const arenaChunk = 64 << 10

// add stores s (at most maxPathLen bytes) and returns its reference.
func (a *arena) add(s string) uint32 {
	need := uvarintLen(uint64(len(s))) + len(s)
	last := len(a.chunks) - 1
	if last < 0 || arenaChunk-len(a.chunks[last]) < need {
		a.chunks = append(a.chunks, make([]byte, 0, arenaChunk))
		last++
	}
	c := a.chunks[last]
	ref := uint32(last)<<16 | uint32(len(c))
	c = binary.AppendUvarint(c, uint64(len(s)))
	a.chunks[last] = append(c, s...)
	a.live += need
	return ref
}

// get returns the string of ref. It shares the arena's memory, which is
// never written again: it stays valid, but keeps the chunk alive.
func (a *arena) get(ref uint32) string {
	c := a.chunks[ref>>16][ref&0xffff:]
	n, k := binary.Uvarint(c)
	if n == 0 {
		return ""
	}
	return unsafe.String(&c[k], int(n))
}

// drop counts ref's string as dead.
func (a *arena) drop(ref uint32) {
	c := a.chunks[ref>>16][ref&0xffff:]
	n, k := binary.Uvarint(c)
	a.live -= k + int(n)
	a.dead += k + int(n)
}

// maybeCompact rewrites the names and targets of x into a new arena when
// more than half of the arena is dead.
func (a *arena) maybeCompact(x *Index) {
	if a.dead < 256<<10 || a.dead < a.live {
		return
	}
	var b arena
	for id := uint32(0); id < x.nnodes; id++ {
		n := x.node(id)
		if n.bits&bitLive != 0 {
			n.name = b.add(a.get(n.name))
		}
	}
	for id, ref := range x.targets {
		x.targets[id] = b.add(a.get(ref))
	}
	*a = b
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
