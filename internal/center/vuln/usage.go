package vuln

import (
	"encoding/json"
	"path"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// usage tells, from a host's process inventory, whether the program of a
// vulnerable package or library runs, and whether it listens: a finding
// in a program that serves the network comes first.
type usage struct {
	// packages maps an OS package's name to whether one of its
	// executables listens (false: runs without listening).
	packages map[string]bool
	procs    []procUse
}

// procUse is what a process tells about the files it uses.
type procUse struct {
	// paths are the executable and the absolute paths among its
	// arguments (and -Dname=/path values), each with the folder of a
	// file, which a library found below it belongs to.
	paths     []string
	listening bool
}

// processFields is the part of a process item's fields usage reads.
type processFields struct {
	Process struct {
		Executable string   `json:"executable"`
		Args       []string `json:"args"`
	} `json:"process"`
	Package struct {
		Name string `json:"name"`
	} `json:"package"`
	Container struct {
		ID string `json:"id"`
	} `json:"container"`
	Vigil struct {
		Process struct {
			Listening []string `json:"listening"`
		} `json:"process"`
	} `json:"vigil"`
}

// newUsage reads a host's process items. Processes in containers are
// left out: the host's packages are not theirs.
func newUsage(procs []store.AssetRecord) *usage {
	u := &usage{packages: map[string]bool{}}
	for _, rec := range procs {
		var f processFields
		if len(rec.Fields) == 0 || json.Unmarshal(rec.Fields, &f) != nil || f.Container.ID != "" {
			continue
		}
		listening := len(f.Vigil.Process.Listening) > 0
		if name := f.Package.Name; name != "" && name != "none" {
			u.packages[name] = u.packages[name] || listening
		}
		p := procUse{listening: listening}
		if exe := f.Process.Executable; path.IsAbs(exe) {
			p.paths = append(p.paths, path.Clean(exe))
		}
		for i, arg := range f.Process.Args {
			if i == 0 {
				continue
			}
			if _, v, ok := strings.Cut(arg, "="); ok && strings.HasPrefix(arg, "-") {
				arg = v
			}
			for a := range strings.SplitSeq(arg, ":") { // class paths
				if !usablePath(a) {
					continue
				}
				a = path.Clean(a)
				p.paths = append(p.paths, a)
				// A file's folder (a script's, a JAR's) holds what
				// it loads.
				if dir := path.Dir(a); strings.Contains(path.Base(a), ".") && usablePath(dir) {
					p.paths = append(p.paths, dir)
				}
			}
		}
		u.procs = append(u.procs, p)
	}
	return u
}

// usablePath reports whether an argument is a path specific enough to
// place a library: absolute, at least two folders deep ("/opt/app", not
// "/opt"), and not a folder every program shares ("/usr/lib",
// "/var/lib", "/tmp").
func usablePath(p string) bool {
	if !path.IsAbs(p) {
		return false
	}
	p = path.Clean(p)
	if strings.Count(p, "/") < 2 || sharedFolders[p] {
		return false
	}
	for _, prefix := range []string{"/usr/", "/etc/", "/tmp/", "/run/", "/proc/", "/dev/", "/sys/"} {
		if strings.HasPrefix(p, prefix) && strings.Count(p, "/") < 4 {
			return false
		}
	}
	return true
}

// sharedFolders are folders below which unrelated programs keep files.
var sharedFolders = map[string]bool{
	"/var/lib": true, "/var/log": true, "/var/cache": true, "/var/tmp": true,
	"/var/spool": true, "/var/run": true, "/var/www": true, "/var/opt": true,
}

// pkg reports whether an OS package's executable runs, and listens.
func (u *usage) pkg(name string) (running, listening bool) {
	l, ok := u.packages[name]
	return ok, l
}

// library reports whether a process uses a library found at p: the
// process's executable is the library's file (a Go program's modules), or
// the library lies in a file or below a folder the process names (a JAR
// on its class path, a WAR in the Tomcat base it runs, a virtual
// environment below its script's folder). "!/" in p separates an archive
// from an entry within it.
func (u *usage) library(p string) (running, listening bool) {
	outer, _, _ := strings.Cut(p, "!/")
	if !path.IsAbs(outer) {
		return false, false
	}
	outer = path.Clean(outer)
	for _, proc := range u.procs {
		for _, q := range proc.paths {
			if outer == q || strings.HasPrefix(outer, q+"/") {
				running = true
				listening = listening || proc.listening
				break
			}
		}
	}
	return running, listening
}
