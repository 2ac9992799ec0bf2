package middleware

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Bounds of the files read.
const (
	maxConfigBytes = 1 << 20
	maxTextBytes   = 64 << 10
	maxSymlinks    = 40
)

// errTooLarge is wrapped by the error for a file over its bound.
var errTooLarge = errors.New("file too large")

// readFileLimited reads a regular file of at most max bytes.
func readFileLimited(p string, max int64) ([]byte, error) {
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
		return nil, fmt.Errorf("%s: %w: %d bytes, more than %d", p, errTooLarge, fi.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", p, errTooLarge, max)
	}
	return data, nil
}

// fsView reads the files of a host or of one process's view of it (its
// mount namespace and root, through /proc/PID/root) below a directory of
// the agent's own filesystem. Symbolic links are followed inside the
// view only: an absolute target is taken from the view's top, and ".."
// stops at it, so that a container's links cannot lead the agent to the
// host's files.
type fsView struct {
	top string
}

// hostPath returns the agent's path of host path p, following no link.
func (v fsView) hostPath(p string) string {
	return filepath.Join(v.top, filepath.FromSlash(path.Clean("/"+p)))
}

// resolve follows the symbolic links of host path p inside the view and
// returns the resulting host path (absolute, clean). A missing component
// ends the resolution there: the rest is kept as it is.
func (v fsView) resolve(p string) (string, error) {
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
			// Not a link, or missing: keep it and go on.
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

// read reads host file p (its links followed inside the view), at most
// max bytes.
func (v fsView) read(p string, max int64) ([]byte, error) {
	r, err := v.resolve(p)
	if err != nil {
		return nil, err
	}
	return readFileLimited(v.hostPath(r), max)
}

// exists reports whether host path p names a regular file in the view.
func (v fsView) exists(p string) bool {
	r, err := v.resolve(p)
	if err != nil {
		return false
	}
	fi, err := os.Lstat(v.hostPath(r))
	return err == nil && fi.Mode().IsRegular()
}

// isDir reports whether host path p names a directory in the view.
func (v fsView) isDir(p string) bool {
	r, err := v.resolve(p)
	if err != nil {
		return false
	}
	fi, err := os.Lstat(v.hostPath(r))
	return err == nil && fi.IsDir()
}

// open opens host file p (its links followed inside the view) when it is
// a regular file.
func (v fsView) open(p string) (*os.File, os.FileInfo, error) {
	r, err := v.resolve(p)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(v.hostPath(r))
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: not a regular file", p)
	}
	return f, fi, nil
}

// readDirNames returns the names in host directory p of the view.
func (v fsView) readDirNames(p string) ([]string, error) {
	r, err := v.resolve(p)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(v.hostPath(r))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, nil
}

// absFrom returns p made absolute against dir (both host paths), clean.
func absFrom(dir, p string) string {
	if p == "" {
		return ""
	}
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	if dir == "" {
		return ""
	}
	return path.Join(dir, p)
}
