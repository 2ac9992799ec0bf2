package websites

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
)

// Limits of the configuration files read.
const (
	// maxConfigFile bounds one configuration file.
	maxConfigFile = 4 << 20
	// maxGlob bounds the paths one include pattern expands to.
	maxGlob = 4096
)

// hostSource reads the host's configuration files below its root, for
// the parsers (nginxconf.Source, apacheconf.Source).
type hostSource struct {
	fs *rootfs.FS
}

// ReadFile implements the parsers' Source.
func (h hostSource) ReadFile(name string) ([]byte, error) {
	data, _, err := h.fs.ReadFile(name, maxConfigFile)
	return data, err
}

// Stat implements apacheconf.Source.
func (h hostSource) Stat(name string) (bool, error) {
	in, err := h.fs.Stat(name)
	if err != nil {
		return false, err
	}
	return in.Mode.IsDir(), nil
}

// ReadDir implements apacheconf.Source.
func (h hostSource) ReadDir(name string) ([]string, error) {
	ents, _, err := h.fs.ReadDir(name)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}

// Glob implements the parsers' Source as glob(3) without flags does:
// each component may hold a pattern, '*' and '?' and '[' do not match a
// leading dot unless the pattern starts with one, and the result is
// sorted.
func (h hostSource) Glob(pattern string) ([]string, error) {
	pattern = path.Clean("/" + pattern)
	parts := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	cur := []string{"/"}
	for i, part := range parts {
		if _, err := path.Match(part, ""); err != nil {
			return nil, fmt.Errorf("pattern %s: %w", pattern, err)
		}
		last := i == len(parts)-1
		var next []string
		for _, dir := range cur {
			if !strings.ContainsAny(part, "*?[\\") {
				p := path.Join(dir, part)
				if last {
					if _, err := h.fs.Stat(p); err != nil {
						continue
					}
				}
				next = append(next, p)
				continue
			}
			ents, _, err := h.fs.ReadDir(dir)
			if err != nil {
				if rootfs.IsNotExist(err) {
					continue
				}
				return nil, err
			}
			for _, e := range ents {
				n := e.Name()
				if n[0] == '.' && part[0] != '.' {
					continue
				}
				if ok, _ := path.Match(part, n); !ok {
					continue
				}
				if !last && !h.isDir(path.Join(dir, n), e) {
					continue
				}
				next = append(next, path.Join(dir, n))
				if len(next) > maxGlob {
					return nil, fmt.Errorf("pattern %s: more than %d matches", pattern, maxGlob)
				}
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil, nil
		}
	}
	slices.Sort(cur)
	return cur, nil
}

// isDir reports whether entry e of a folder is one, following a link
// inside the root.
func (h hostSource) isDir(p string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	in, err := h.fs.Stat(p)
	return err == nil && in.Mode.IsDir()
}

// exists reports whether host path p exists.
func (h hostSource) exists(p string) bool {
	_, err := h.fs.Stat(p)
	return err == nil
}

// resolve returns p with its links resolved inside the root, or p
// itself when it cannot be resolved.
func (h hostSource) resolve(p string) string {
	r, ok, err := h.fs.Resolve(p)
	if err != nil || !ok {
		return path.Clean(p)
	}
	return r
}

// readSmall reads a /proc file below the root (at most 256 KiB).
func readSmall(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 256<<10))
}
