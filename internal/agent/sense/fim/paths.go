package fim

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/fim/baseline"
)

// defaultPaths are the host paths watched when the "paths" setting is
// absent; every user's ~/.ssh and the web roots are added to them.
var defaultPaths = []string{
	"/etc", "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/boot",
	"/etc/cron.d", "/var/spool/cron",
	"/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system",
}

// account is one line of /etc/passwd or /etc/group.
type account struct {
	name string
	id   uint32
	home string
}

// parseAccounts reads passwd-format lines (name:x:id:...:home:shell) or
// group lines (name:x:id:members). Malformed lines are skipped and
// counted.
func parseAccounts(data []byte, homes bool) (out []account, bad int) {
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(string(line), ":")
		want := 4
		if homes {
			want = 7
		}
		if len(f) < want || f[0] == "" {
			bad++
			continue
		}
		id, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			bad++
			continue
		}
		a := account{name: f[0], id: uint32(id)}
		if homes {
			a.home = f[5]
		}
		out = append(out, a)
	}
	return out, bad
}

// watchPaths returns the host paths to watch: the setting or the defaults
// with every user's ~/.ssh, plus the web roots; a root that is a symlink
// to a directory brings its target along.
func watchPaths(root string, s *Settings) []string {
	var paths []string
	if s.Paths != nil {
		paths = slices.Clone(s.Paths)
	} else {
		paths = slices.Clone(defaultPaths)
		if data, err := os.ReadFile(baseline.Local(root, "/etc/passwd")); err == nil {
			users, _ := parseAccounts(data, true)
			for _, u := range users {
				h := path.Clean(u.home)
				if strings.HasPrefix(h, "/") && h != "/" && h != "/nonexistent" && !strings.HasPrefix(h, "/proc") {
					paths = append(paths, path.Join(h, ".ssh"))
				}
			}
		}
	}
	paths = append(paths, s.WebRoots...)
	for _, p := range slices.Clone(paths) {
		if t, ok := linkedDir(root, p); ok {
			paths = append(paths, t)
		}
	}
	for i, p := range paths {
		paths[i] = path.Clean(p)
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// linkedDir returns the directory host path p is a symlink to (as a host
// path), false when p is not a symlink to a directory.
func linkedDir(root, p string) (string, bool) {
	local := baseline.Local(root, p)
	fi, err := os.Lstat(local)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return "", false
	}
	t, err := os.Readlink(local)
	if err != nil {
		return "", false
	}
	if !path.IsAbs(t) {
		t = path.Join(path.Dir(p), t)
	}
	if st, err := os.Stat(baseline.Local(root, t)); err != nil || !st.IsDir() {
		return "", false
	}
	return path.Clean(t), true
}

// webRoot is a tree whose files a web server serves: dir, the document
// root as a web server's configuration or the web_roots setting names it,
// or the directory it is a symlink to.
type webRoot struct {
	dir, root string
}

// webRootsOf returns the trees of the web roots roots, the deepest
// first.
func webRootsOf(root string, roots []string) []webRoot {
	var out []webRoot
	for _, r := range roots {
		r = path.Clean("/" + r)
		out = append(out, webRoot{dir: r, root: r})
		if t, ok := linkedDir(root, r); ok {
			out = append(out, webRoot{dir: t, root: r})
		}
	}
	slices.SortStableFunc(out, func(a, b webRoot) int { return len(b.dir) - len(a.dir) })
	return out
}

// webRootOf returns the web root host path p lies in, "" when none.
func webRootOf(roots []webRoot, p string) string {
	for _, r := range roots {
		if baseline.Within(p, r.dir) {
			return r.root
		}
	}
	return ""
}

// excluder matches host paths against the "exclude" globs. A pattern
// with a '/' matches the whole path or one of its ancestors (so a
// directory pattern leaves out everything below); a pattern without one
// matches any path component.
type excluder struct {
	full, base []string
	extra      []string // host paths left out with everything below
}

func newExcluder(globs []string, extra ...string) *excluder {
	x := &excluder{extra: extra}
	for _, g := range globs {
		if strings.Contains(g, "/") {
			x.full = append(x.full, path.Clean(g))
		} else {
			x.base = append(x.base, g)
		}
	}
	return x
}

// match reports whether host path p is excluded.
func (x *excluder) match(p string) bool {
	for _, e := range x.extra {
		if baseline.Within(p, e) {
			return true
		}
	}
	if len(x.full) == 0 && len(x.base) == 0 {
		return false
	}
	for q := p; ; q = path.Dir(q) {
		name := path.Base(q)
		for _, g := range x.base {
			if ok, _ := path.Match(g, name); ok {
				return true
			}
		}
		for _, g := range x.full {
			if ok, _ := path.Match(g, q); ok {
				return true
			}
		}
		if q == "/" || q == "." {
			return false
		}
	}
}

// hostPath turns a local path into a host path under root; ok is false
// for a path outside root.
func hostPath(root, local string) (string, bool) {
	if root == "/" {
		return local, true
	}
	if local == root {
		return "/", true
	}
	if strings.HasPrefix(local, root) && local[len(root)] == '/' {
		return local[len(root):], true
	}
	return "", false
}

// cleanRoot returns root as an absolute clean path without symlinks.
func cleanRoot(root string) string {
	if root == "" {
		return "/"
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	return filepath.Clean(root)
}
