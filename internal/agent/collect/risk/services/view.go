package services

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Bounds of the files read.
const (
	maxConfigBytes = 1 << 20
	maxSymlinks    = 40
	maxDirNames    = 4096
)

// errTooLarge is wrapped by the error for a file over its bound.
var errTooLarge = errors.New("file too large")

// view reads the files of the host, or of one process's view of it
// (/proc/PID/root), below a directory of the agent's filesystem.
// Symbolic links are followed inside the view only: an absolute target
// is taken from the view's top and ".." stops there, so that a
// container's links cannot lead the agent to the host's files. It
// implements the Reader of the configuration packages.
type view struct {
	top string
}

// hostPath returns the agent's path of host path p, following no link.
func (v view) hostPath(p string) string {
	return filepath.Join(v.top, filepath.FromSlash(path.Clean("/"+p)))
}

// resolve follows the links of host path p inside the view.
func (v view) resolve(p string) (string, error) {
	p = path.Clean("/" + p)
	done := "/"
	rest := strings.Split(strings.TrimPrefix(p, "/"), "/")
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			done = path.Dir(done)
			continue
		}
		next := path.Join(done, c)
		target, err := os.Readlink(v.hostPath(next))
		if err != nil {
			done = next
			continue
		}
		links++
		if links > maxSymlinks {
			return "", fmt.Errorf("resolve %s: too many links", p)
		}
		if path.IsAbs(target) {
			done = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return done, nil
}

// Resolve returns the real path of host path p in the view (its links
// followed); p itself when it cannot be resolved.
func (v view) Resolve(p string) string {
	r, err := v.resolve(p)
	if err != nil {
		return path.Clean(p)
	}
	return r
}

// ReadFile reads host file p, at most maxConfigBytes.
func (v view) ReadFile(p string) ([]byte, error) {
	r, err := v.resolve(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(v.hostPath(r))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	if fi.Size() > maxConfigBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes", p, errTooLarge, fi.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("%s: %w", p, errTooLarge)
	}
	return data, nil
}

// ReadDir returns the names in host folder p.
func (v view) ReadDir(p string) ([]string, error) {
	r, err := v.resolve(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(v.hostPath(r))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, unwrapPath(err))
	}
	defer f.Close()
	names, err := f.Readdirnames(maxDirNames)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("list %s: %w", p, err)
	}
	return names, nil
}

// exists reports whether host path p is a regular file in the view.
func (v view) exists(p string) bool {
	r, err := v.resolve(p)
	if err != nil {
		return false
	}
	fi, err := os.Stat(v.hostPath(r))
	return err == nil && fi.Mode().IsRegular()
}

// glob returns the host paths matching a pattern whose wildcards are in
// its last component, sorted.
func (v view) glob(dir, pattern string) []string {
	names, err := v.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range names {
		if ok, _ := path.Match(pattern, n); ok {
			out = append(out, path.Join(dir, n))
		}
	}
	slices.Sort(out)
	return out
}

// unwrapPath drops the agent's path from an *fs.PathError, whose text
// would name the view's top rather than the host path.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
