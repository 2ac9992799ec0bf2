// Package hostfs reads a host's files below a root folder ("/" for the
// host itself, or a fixture tree), following symbolic links as if the
// root were "/", and caches what it reads so that one evaluation reads
// each file once. It never writes.
package hostfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// MaxFileSize bounds one file read (the dpkg status of a large host is
// a few MiB).
const MaxFileSize = 64 << 20

// maxLinks bounds the symbolic links followed for one path.
const maxLinks = 40

// ErrTooLarge is returned for a file above MaxFileSize.
var ErrTooLarge = errors.New("file too large")

// FS is a read-only, caching view of a host's files. Paths given to it
// are absolute host paths ("/etc/passwd"). It is safe for concurrent use.
type FS struct {
	root string // "" for the host itself

	mu    sync.Mutex
	files map[string]result[[]byte]
	stats map[string]result[fs.FileInfo]
	lstat map[string]result[fs.FileInfo]
	dirs  map[string]result[[]fs.DirEntry]
	globs map[string]result[[]string]
	// Reads counts the files read from disk (for tests and benchmarks).
	reads int
}

type result[T any] struct {
	v   T
	err error
}

// New returns an FS for root, a folder on this machine (a relative one
// is taken from the working folder); "" and "/" are the host itself.
func New(root string) *FS {
	if root != "" && !strings.HasPrefix(root, "/") {
		if abs, err := absPath(root); err == nil {
			root = abs
		}
	}
	root = path.Clean("/" + root)
	if root == "/" {
		root = ""
	}
	return &FS{
		root:  root,
		files: map[string]result[[]byte]{},
		stats: map[string]result[fs.FileInfo]{},
		lstat: map[string]result[fs.FileInfo]{},
		dirs:  map[string]result[[]fs.DirEntry]{},
		globs: map[string]result[[]string]{},
	}
}

// NewAt returns an FS for a root folder given as a path on this
// machine, relative or absolute.
func NewAt(root string) (*FS, error) {
	if root == "" || root == "/" {
		return New(""), nil
	}
	abs, err := absPath(root)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("root folder: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("root folder %s is not a folder", root)
	}
	return New(abs), nil
}

func absPath(p string) (string, error) {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p), nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("root folder: %w", err)
	}
	return path.Join(wd, p), nil
}

// IsHost reports whether the FS reads this machine's own root.
func (f *FS) IsHost() bool { return f.root == "" }

// Root is the root folder on this machine ("/" for the host).
func (f *FS) Root() string {
	if f.root == "" {
		return "/"
	}
	return f.root
}

// Reads returns how many files were read from disk so far.
func (f *FS) Reads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// Real returns the path on this machine of host path p, with every
// symbolic link resolved inside the root (the last one too when
// followLast).
func (f *FS) Real(p string, followLast bool) (string, error) {
	p = path.Clean("/" + p)
	if f.root == "" {
		return p, nil
	}
	parts := split(p)
	cur := "/"
	links := 0
	for i := 0; i < len(parts); i++ {
		next := path.Join(cur, parts[i])
		if i == len(parts)-1 && !followLast {
			cur = next
			break
		}
		info, err := os.Lstat(f.root + next)
		if err != nil {
			// The rest does not exist: the caller's own call reports it.
			return f.root + path.Join(append([]string{next}, parts[i+1:]...)...), nil
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		links++
		if links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: p, Err: syscall.ELOOP}
		}
		target, err := os.Readlink(f.root + next)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(target, "/") {
			target = path.Join(cur, target)
		}
		parts = append(split(path.Clean(target)), parts[i+1:]...)
		cur = "/"
		i = -1
	}
	return f.root + cur, nil
}

func split(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ReadFile returns the content of host path p (symbolic links followed).
func (f *FS) ReadFile(p string) ([]byte, error) {
	p = path.Clean("/" + p)
	f.mu.Lock()
	r, ok := f.files[p]
	f.mu.Unlock()
	if ok {
		return r.v, r.err
	}
	data, err := f.read(p)
	f.mu.Lock()
	f.files[p] = result[[]byte]{data, err}
	f.reads++
	f.mu.Unlock()
	return data, err
}

func (f *FS) read(p string) ([]byte, error) {
	real, err := f.Real(p, true)
	if err != nil {
		return nil, err
	}
	// A FIFO or device would block or never end: only regular files are
	// read.
	if fi, err := os.Stat(real); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, fmt.Errorf("read %s: not a regular file (%s)", p, fi.Mode().Type())
	}
	file, err := os.Open(real)
	if err != nil {
		return nil, f.relabel(err, p)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, f.relabel(err, p)
	}
	if info.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: p, Err: syscall.EISDIR}
	}
	data, err := io.ReadAll(io.LimitReader(file, MaxFileSize+1))
	if err != nil {
		return nil, f.relabel(err, p)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("read %s: %w (more than %d bytes)", p, ErrTooLarge, MaxFileSize)
	}
	return data, nil
}

// relabel names the host path in a path error instead of the path on
// this machine.
func (f *FS) relabel(err error, p string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: p, Err: pe.Err}
	}
	return err
}

// Stat returns the file info of p, symbolic links followed.
func (f *FS) Stat(p string) (fs.FileInfo, error) {
	return f.statCached(p, true)
}

// Lstat returns the file info of p itself.
func (f *FS) Lstat(p string) (fs.FileInfo, error) {
	return f.statCached(p, false)
}

func (f *FS) statCached(p string, follow bool) (fs.FileInfo, error) {
	p = path.Clean("/" + p)
	cache := f.lstat
	if follow {
		cache = f.stats
	}
	f.mu.Lock()
	r, ok := cache[p]
	f.mu.Unlock()
	if ok {
		return r.v, r.err
	}
	var info fs.FileInfo
	real, err := f.Real(p, follow)
	if err == nil {
		if follow {
			info, err = os.Stat(real)
		} else {
			info, err = os.Lstat(real)
		}
		err = f.relabel(err, p)
	}
	f.mu.Lock()
	cache[p] = result[fs.FileInfo]{info, err}
	f.mu.Unlock()
	return info, err
}

// Readlink returns the target of symbolic link p as written.
func (f *FS) Readlink(p string) (string, error) {
	real, err := f.Real(p, false)
	if err != nil {
		return "", err
	}
	t, err := os.Readlink(real)
	return t, f.relabel(err, p)
}

// ReadDir lists folder p, sorted by name.
func (f *FS) ReadDir(p string) ([]fs.DirEntry, error) {
	p = path.Clean("/" + p)
	f.mu.Lock()
	r, ok := f.dirs[p]
	f.mu.Unlock()
	if ok {
		return r.v, r.err
	}
	var entries []fs.DirEntry
	real, err := f.Real(p, true)
	if err == nil {
		entries, err = os.ReadDir(real)
		err = f.relabel(err, p)
	}
	f.mu.Lock()
	f.dirs[p] = result[[]fs.DirEntry]{entries, err}
	f.mu.Unlock()
	return entries, err
}

// Exists reports whether p exists (symbolic links followed).
func (f *FS) Exists(p string) bool {
	_, err := f.Stat(p)
	return err == nil
}

// Glob returns the host paths that match pattern (shell globs per path
// element; `*` does not match a leading dot unless the pattern's
// element starts with one), sorted. A pattern without glob characters
// returns itself when it exists. Only a malformed pattern is an error;
// unreadable folders match nothing.
func (f *FS) Glob(pattern string) ([]string, error) {
	pattern = path.Clean("/" + pattern)
	f.mu.Lock()
	r, ok := f.globs[pattern]
	f.mu.Unlock()
	if ok {
		return r.v, r.err
	}
	out, err := f.glob(pattern)
	f.mu.Lock()
	f.globs[pattern] = result[[]string]{out, err}
	f.mu.Unlock()
	return out, err
}

// HasMeta reports whether p holds glob characters.
func HasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

func (f *FS) glob(pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("glob %q: %w", pattern, err)
	}
	if !HasMeta(pattern) {
		if _, err := f.Lstat(pattern); err != nil {
			return nil, nil
		}
		return []string{pattern}, nil
	}
	cur := []string{"/"}
	for _, elem := range split(pattern) {
		var next []string
		for _, dir := range cur {
			if !HasMeta(elem) {
				next = append(next, path.Join(dir, elem))
				continue
			}
			entries, err := f.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, e := range entries {
				name := e.Name()
				if strings.HasPrefix(name, ".") && !strings.HasPrefix(elem, ".") {
					continue
				}
				if ok, _ := path.Match(elem, name); ok {
					next = append(next, path.Join(dir, name))
				}
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil, nil
		}
	}
	var out []string
	for _, p := range cur {
		if _, err := f.Lstat(p); err == nil {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}
