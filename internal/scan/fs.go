package scan

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	scalibrfs "github.com/google/osv-scalibr/fs"
)

// openRoot returns a read-only view of the filesystem at root. The host's
// own root is read as it is; any other root (a container's or a fixture
// tree) through os.Root, so that no symbolic link inside it leads out.
// The closer releases the view.
func openRoot(root string) (scalibrfs.FS, func(), error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, nil, fmt.Errorf("root %q: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, nil, fmt.Errorf("root: %w", err)
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("root %s is not a directory", abs)
	}
	if abs == "/" {
		return scalibrfs.DirFS("/"), func() {}, nil
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, nil, fmt.Errorf("root: %w", err)
	}
	fsys, ok := r.FS().(scalibrfs.FS)
	if !ok {
		r.Close()
		return nil, nil, fmt.Errorf("root %s: the filesystem view cannot list folders", abs)
	}
	return fsys, func() { r.Close() }, nil
}

// maxLinks bounds the symbolic links followed in resolving one path.
const maxLinks = 40

// errTooManyLinks: a path whose resolution follows more than maxLinks
// symbolic links (a loop).
var errTooManyLinks = errors.New("too many levels of symbolic links")

// resolveInRoot returns p (an absolute path as seen from inside root)
// with every symbolic link in it followed as the host would inside root:
// an absolute link target starts again at root, and ".." never climbs
// above it. The result is relative to root, slash-separated, "." for root
// itself. The last element may be missing (fs.ErrNotExist is returned
// with the path resolved so far).
func resolveInRoot(root, p string) (string, error) {
	var done []string // resolved elements
	todo := splitPath(p)
	links := 0
	for len(todo) > 0 {
		el := todo[0]
		todo = todo[1:]
		switch el {
		case ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := append(done[:len(done):len(done)], el)
		host := filepath.Join(root, filepath.FromSlash(path.Join(cur...)))
		fi, err := os.Lstat(host)
		if err != nil {
			return joinRel(cur), fmt.Errorf("resolve %s: %w", p, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = cur
			continue
		}
		links++
		if links > maxLinks {
			return joinRel(cur), fmt.Errorf("resolve %s: %w", p, errTooManyLinks)
		}
		target, err := os.Readlink(host)
		if err != nil {
			return joinRel(cur), fmt.Errorf("resolve %s: %w", p, err)
		}
		if strings.HasPrefix(target, "/") {
			done = nil
		}
		todo = append(splitPath(target), todo...)
	}
	return joinRel(done), nil
}

// splitPath splits a slash-separated path into its non-empty elements.
func splitPath(p string) []string {
	var out []string
	for _, el := range strings.Split(filepath.ToSlash(p), "/") {
		if el != "" {
			out = append(out, el)
		}
	}
	return out
}

func joinRel(els []string) string {
	if len(els) == 0 {
		return "."
	}
	return path.Join(els...)
}
