// Package rootfs reads the files of a host whose filesystem is at a root
// directory ("/" for the host the agent runs on, another directory for a
// container host's mount or a test fixture) and follows symbolic links
// the way a process of that host would: an absolute link target is taken
// inside the root, and ".." never climbs above it.
//
// Paths given to and returned by an FS are the host's own paths
// ("/etc/passwd"); Host turns one into the path to open from this
// process. The view is read-only.
//
// Links are resolved component by component with lstat and readlink;
// a link changed between the resolution and the open may point the open
// elsewhere, which matters only when the root is not "/" and its owner is
// hostile.
package rootfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// maxLinks bounds the links followed in one resolution, as the kernel's
// MAXSYMLINKS.
const maxLinks = 40

// Errors of the package.
var (
	ErrTooLarge = errors.New("file larger than the limit")
	ErrLoop     = errors.New("too many levels of symbolic links")
	ErrNotFile  = errors.New("not a regular file")
)

// FS is the view of one root.
type FS struct {
	root string // absolute, symlinks resolved, no trailing slash unless "/"
	// nodes remembers the path components met by Resolve; nil when the
	// view does not cache (see Cached).
	nodes map[string]node
}

// node is what Resolve learnt about one path.
type node struct {
	exists, isLink bool
	link           string
}

// maxNodes bounds the cache of a Cached view.
const maxNodes = 1 << 16

// Cached returns a view of the same root that remembers what it learns
// about each path component (whether it exists, where a link points):
// for one reading of many files under the same directories, so that each
// directory is resolved once. Changes made after a component was learnt
// are not seen by this view: drop it after the reading. It is not safe
// for concurrent use.
func (f *FS) Cached() *FS { return &FS{root: f.root, nodes: map[string]node{}} }

// New returns the view of root ("" means "/").
func New(root string) (*FS, error) {
	if root == "" {
		root = "/"
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return &FS{root: abs}, nil
}

// Root is the root directory, as this process sees it.
func (f *FS) Root() string { return f.root }

// Host returns the path of host path p as this process opens it.
func (f *FS) Host(p string) string {
	p = Clean(p)
	if f.root == "/" {
		return p
	}
	if p == "/" {
		return f.root
	}
	return f.root + p
}

// Logical turns a path of this process back into the host's path; false
// when it is outside the root.
func (f *FS) Logical(hostPath string) (string, bool) {
	if f.root == "/" {
		return Clean(hostPath), true
	}
	if hostPath == f.root {
		return "/", true
	}
	rest, ok := strings.CutPrefix(hostPath, f.root+"/")
	if !ok {
		return "", false
	}
	return Clean("/" + rest), true
}

// Clean makes p absolute and clean ("/a/b").
func Clean(p string) string { return path.Clean("/" + p) }

// Resolve follows every symbolic link in host path p inside the root and
// returns the path reached. When a component is missing, the remaining
// components are appended unresolved and exists is false.
func (f *FS) Resolve(p string) (resolved string, exists bool, err error) {
	todo := strings.Split(strings.TrimPrefix(Clean(p), "/"), "/")
	cur := "/"
	links := 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, name)
		n, err := f.lnode(next)
		if err != nil {
			return "", false, err
		}
		if !n.exists {
			return path.Join(append([]string{next}, todo...)...), false, nil
		}
		if !n.isLink {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", false, fmt.Errorf("rootfs: %s: %w", p, ErrLoop)
		}
		target := n.link
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return cur, true, nil
}

// lnode learns whether p exists and where it points if it is a link.
func (f *FS) lnode(p string) (node, error) {
	if n, ok := f.nodes[p]; ok {
		return n, nil
	}
	var n node
	fi, err := os.Lstat(f.Host(p))
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir):
	case err != nil:
		return node{}, fmt.Errorf("rootfs: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(f.Host(p))
		if err != nil {
			return node{}, fmt.Errorf("rootfs: %w", err)
		}
		n = node{exists: true, isLink: true, link: target}
	default:
		n = node{exists: true}
	}
	if f.nodes != nil {
		if len(f.nodes) >= maxNodes {
			clear(f.nodes)
		}
		f.nodes[p] = n
	}
	return n, nil
}

// Info describes a file.
type Info struct {
	// Path is the host path after following links.
	Path  string
	Mode  fs.FileMode
	Size  int64
	UID   uint32
	GID   uint32
	MTime time.Time
	// CTime is the inode's change time: when its content, mode, owner or
	// name last changed. Unlike MTime it cannot be set by a program.
	CTime time.Time
}

// Stat describes p, following links.
func (f *FS) Stat(p string) (Info, error) {
	r, ok, err := f.Resolve(p)
	if err != nil {
		return Info{}, err
	}
	if !ok {
		return Info{}, fmt.Errorf("rootfs: %s: %w", p, fs.ErrNotExist)
	}
	return f.lstatResolved(r)
}

// Lstat describes p itself: a link is not followed (the directories on
// the way are).
func (f *FS) Lstat(p string) (Info, error) {
	p = Clean(p)
	dir, ok, err := f.Resolve(path.Dir(p))
	if err != nil {
		return Info{}, err
	}
	if !ok {
		return Info{}, fmt.Errorf("rootfs: %s: %w", p, fs.ErrNotExist)
	}
	return f.lstatResolved(path.Join(dir, path.Base(p)))
}

func (f *FS) lstatResolved(r string) (Info, error) {
	fi, err := os.Lstat(f.Host(r))
	if err != nil {
		return Info{}, fmt.Errorf("rootfs: %w", err)
	}
	return infoOf(r, fi), nil
}

func infoOf(p string, fi fs.FileInfo) Info {
	in := Info{Path: p, Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime(), CTime: fi.ModTime()}
	fillOwner(&in, fi)
	return in
}

// Readlink returns the target of link p as written (the directories on
// the way are resolved).
func (f *FS) Readlink(p string) (string, error) {
	p = Clean(p)
	dir, ok, err := f.Resolve(path.Dir(p))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("rootfs: %s: %w", p, fs.ErrNotExist)
	}
	t, err := os.Readlink(f.Host(path.Join(dir, path.Base(p))))
	if err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	return t, nil
}

// ReadFile reads regular file p, following links, and fails with
// ErrTooLarge when it holds more than max bytes.
func (f *FS) ReadFile(p string, max int64) ([]byte, Info, error) {
	r, ok, err := f.Resolve(p)
	if err != nil {
		return nil, Info{}, err
	}
	if !ok {
		return nil, Info{}, fmt.Errorf("rootfs: %s: %w", p, fs.ErrNotExist)
	}
	file, err := os.OpenFile(f.Host(r), os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		return nil, Info{}, fmt.Errorf("rootfs: %w", err)
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, Info{}, fmt.Errorf("rootfs: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, Info{}, fmt.Errorf("rootfs: %s: %w", p, ErrNotFile)
	}
	if fi.Size() > max {
		return nil, Info{}, fmt.Errorf("rootfs: %s: %d bytes: %w (%d)", p, fi.Size(), ErrTooLarge, max)
	}
	data, err := io.ReadAll(io.LimitReader(file, max+1))
	if err != nil {
		return nil, Info{}, fmt.Errorf("rootfs: read %s: %w", p, err)
	}
	if int64(len(data)) > max {
		return nil, Info{}, fmt.Errorf("rootfs: %s: %w (%d)", p, ErrTooLarge, max)
	}
	return data, infoOf(r, fi), nil
}

// ReadDir lists directory p (following links to it), sorted by name, and
// returns the directory's resolved path.
func (f *FS) ReadDir(p string) ([]fs.DirEntry, string, error) {
	r, ok, err := f.Resolve(p)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, r, fmt.Errorf("rootfs: %s: %w", p, fs.ErrNotExist)
	}
	ents, err := os.ReadDir(f.Host(r))
	if err != nil {
		return nil, r, fmt.Errorf("rootfs: %w", err)
	}
	return ents, r, nil
}

// IsNotExist reports whether err says that a file or directory is
// missing (a path component that is not a directory counts).
func IsNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir)
}
