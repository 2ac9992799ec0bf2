package libraries

import (
	"bytes"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// MaxRoots is the most paths one scan walks; the rest are counted and
// left for later runs.
const MaxRoots = 256

// maxCmdline bounds what is read of a process's command line.
const maxCmdline = 64 << 10

// broad are folders too wide to walk because a process runs there (a
// daemon's working directory is often "/", a shell's a home folder): the
// system's own trees, which the package inventory covers, and the roots
// of whole hierarchies.
var broad = map[string]bool{
	"/": true, "/bin": true, "/sbin": true, "/lib": true, "/lib32": true, "/lib64": true, "/libx32": true,
	"/usr": true, "/usr/bin": true, "/usr/sbin": true, "/usr/lib": true, "/usr/lib32": true, "/usr/lib64": true,
	"/usr/libexec": true, "/usr/local": true, "/usr/local/bin": true, "/usr/local/sbin": true,
	"/usr/local/lib": true, "/usr/share": true, "/usr/include": true, "/usr/src": true,
	"/etc": true, "/var": true, "/var/lib": true, "/var/log": true, "/var/cache": true, "/var/tmp": true,
	"/var/spool": true, "/var/mail": true, "/tmp": true, "/boot": true, "/home": true, "/root": true,
	"/opt": true, "/srv": true, "/mnt": true, "/media": true, "/snap": true,
}

// pseudo are trees that hold no files of applications.
var pseudo = []string{"/proc", "/sys", "/dev", "/run"}

// Candidate reports whether p (an absolute, clean path) may be walked for
// libraries: not a broad system folder, not a home folder itself, not a
// kernel or runtime view.
func Candidate(p string) bool {
	if p == "" || !strings.HasPrefix(p, "/") || p != path.Clean(p) || broad[p] {
		return false
	}
	for _, ps := range pseudo {
		if p == ps || strings.HasPrefix(p, ps+"/") {
			return false
		}
	}
	if dir := path.Dir(p); dir == "/home" {
		return false
	}
	return true
}

// Process is what discovery reads of one process.
type Process struct {
	// Exe is the executable's path (/proc/PID/exe).
	Exe string
	// Cwd is the working directory (/proc/PID/cwd).
	Cwd string
	// Args is the command line.
	Args []string
}

// Paths returns the files and folders that may hold p's libraries: its
// executable and the executable's folder, its working directory, and by
// runtime the Java archives and class path, the Python virtual
// environment, script folder and local site-packages, the Node.js
// application folder. exists tells whether a path (absolute inside the
// host root) exists; glob lists the matches of a pattern there. Paths
// come back absolute and clean; Candidate filters them.
func (p Process) Paths(exists func(string) bool, glob func(string) []string) []string {
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		if !strings.HasPrefix(s, "/") {
			if p.Cwd == "" {
				return
			}
			s = path.Join(p.Cwd, s)
		}
		out = append(out, path.Clean(s))
	}
	add(p.Exe)
	add(path.Dir(p.Exe))
	add(p.Cwd)
	base := path.Base(p.Exe)
	args := p.Args
	if len(args) > 0 {
		args = args[1:]
	}
	switch {
	case strings.HasPrefix(base, "java"):
		for _, s := range javaPaths(args) {
			add(s)
		}
	case strings.HasPrefix(base, "python"):
		// A virtual environment's interpreter is often a link to the
		// system's, so /proc/PID/exe names the system's: argv[0] names
		// the environment's.
		for _, bin := range []string{p.Exe, argv0(p.Args)} {
			if !strings.HasPrefix(bin, "/") && strings.Contains(bin, "/") && p.Cwd != "" {
				bin = path.Join(p.Cwd, bin) // started as .venv/bin/python
			}
			if !strings.HasPrefix(bin, "/") {
				continue
			}
			if venv := path.Dir(path.Dir(bin)); exists(path.Join(venv, "pyvenv.cfg")) {
				add(venv)
			}
		}
		add(scriptDir(args, pythonArgOptions, []string{"-m", "-c"}))
		// What pip installs outside the system's packages.
		pattern := "/usr/local/lib/python3*"
		if strings.HasPrefix(base, "python3.") {
			pattern = "/usr/local/lib/" + base
		}
		for _, m := range glob(pattern) {
			add(m)
		}
	case base == "node" || base == "nodejs":
		dir := scriptDir(args, nodeArgOptions, []string{"-e", "--eval", "-p", "--print"})
		if dir != "" {
			if !strings.HasPrefix(dir, "/") && p.Cwd != "" {
				dir = path.Join(p.Cwd, dir)
			}
			add(dir)
			// The application's folder: the nearest above the script
			// with node_modules.
			for d, i := dir, 0; i < 5 && d != "/"; d, i = path.Dir(d), i+1 {
				if exists(path.Join(d, "node_modules")) {
					add(d)
					break
				}
			}
		}
	}
	return out
}

// javaPaths returns the archives, class path entries and servlet
// container folders of a java command line (without argv[0]).
func javaPaths(args []string) []string {
	var out []string
	classpath := func(cp string) {
		for _, e := range strings.Split(cp, ":") {
			e = strings.TrimSuffix(strings.TrimSuffix(e, "*"), "/")
			if e != "" {
				out = append(out, e)
			}
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-jar":
			if i+1 < len(args) {
				out = append(out, args[i+1])
			}
			return out // what follows is the application's
		case a == "-cp" || a == "-classpath" || a == "--class-path":
			if i+1 < len(args) {
				i++
				classpath(args[i])
			}
		case strings.HasPrefix(a, "--class-path="):
			classpath(strings.TrimPrefix(a, "--class-path="))
		case strings.HasPrefix(a, "-D"):
			k, v, ok := strings.Cut(a[2:], "=")
			if !ok || v == "" {
				continue
			}
			switch k {
			case "catalina.base", "catalina.home", "jetty.base", "jetty.home":
				out = append(out, path.Join(v, "webapps"), path.Join(v, "lib"))
			}
		case !strings.HasPrefix(a, "-"):
			return out // the main class; its arguments follow
		}
	}
	return out
}

// Options of python and node that take the next argument as their
// value.
var (
	pythonArgOptions = map[string]bool{"-W": true, "-X": true, "--check-hash-based-pycs": true}
	nodeArgOptions   = map[string]bool{"-r": true, "--require": true, "--import": true, "--loader": true,
		"--experimental-loader": true, "--env-file": true, "--inspect-port": true, "--title": true, "-C": true, "--conditions": true}
)

// scriptDir returns the folder of the script an interpreter runs: the
// first argument that is not an option; "" when a stop option (-m, -c)
// comes first.
func scriptDir(args []string, withValue map[string]bool, stop []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		for _, s := range stop {
			if a == s {
				return ""
			}
		}
		if a == "-" || a == "--" {
			return ""
		}
		if strings.HasPrefix(a, "-") {
			if withValue[a] {
				i++
			}
			continue
		}
		return path.Dir(a)
	}
	return ""
}

func argv0(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// ParseCmdline splits /proc/PID/cmdline into arguments.
func ParseCmdline(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

// DiscoverStats counts what Discover skipped.
type DiscoverStats struct {
	// Processes is the number of processes read.
	Processes int
	// OtherNamespace counts processes in another mount namespace
	// (containers): their paths are not the host's.
	OtherNamespace int
	// Dropped counts paths beyond MaxRoots.
	Dropped int
}

// Discover returns the paths to scan for the libraries of the processes
// running on the host under root (its /proc), sorted, those below
// another left out, at most MaxRoots.
func Discover(root string) ([]string, DiscoverStats) {
	var st DiscoverStats
	proc := filepath.Join(root, "proc")
	ents, err := os.ReadDir(proc)
	if err != nil {
		return nil, st
	}
	selfNS, _ := os.Readlink(filepath.Join(proc, "self", "ns", "mnt"))
	exists := func(p string) bool {
		_, err := os.Stat(filepath.Join(root, p))
		return err == nil
	}
	glob := func(pattern string) []string {
		ms, _ := filepath.Glob(filepath.Join(root, pattern))
		out := make([]string, 0, len(ms))
		for _, m := range ms {
			if rel, err := filepath.Rel(root, m); err == nil {
				out = append(out, "/"+filepath.ToSlash(rel))
			}
		}
		return out
	}
	seen := map[string]bool{}
	var paths []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		dir := filepath.Join(proc, e.Name())
		exe, err := os.Readlink(filepath.Join(dir, "exe"))
		if err != nil || exe == "" {
			continue // a kernel thread, or gone
		}
		st.Processes++
		if selfNS != "" {
			if ns, err := os.Readlink(filepath.Join(dir, "ns", "mnt")); err == nil && ns != selfNS {
				st.OtherNamespace++
				continue
			}
		}
		if strings.HasSuffix(exe, " (deleted)") {
			exe = "" // replaced since it started: nothing to read there
		}
		cwd, _ := os.Readlink(filepath.Join(dir, "cwd"))
		p := Process{Exe: exe, Cwd: cwd, Args: ParseCmdline(readLimited(filepath.Join(dir, "cmdline"), maxCmdline))}
		for _, c := range p.Paths(exists, glob) {
			if !seen[c] && Candidate(c) && exists(c) {
				seen[c] = true
				paths = append(paths, c)
			}
		}
	}
	out := Prune(paths)
	if len(out) > MaxRoots {
		st.Dropped = len(out) - MaxRoots
		out = out[:MaxRoots]
	}
	return out, st
}

// Prune sorts paths and leaves out duplicates and those below another.
func Prune(paths []string) []string {
	keep := map[string]bool{}
	for _, p := range paths {
		keep[path.Clean(p)] = true
	}
	var out []string
	for p := range keep {
		below := false
		for d := path.Dir(p); ; d = path.Dir(d) {
			if keep[d] && d != p {
				below = true
				break
			}
			if d == "/" || d == "." {
				break
			}
		}
		if !below {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func readLimited(name string, limit int64) []byte {
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, limit))
	return b
}
