package services

import (
	"path"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
)

// InitScript is a SysV init script of /etc/init.d.
type InitScript struct {
	Name string
	// Path is the script ("/etc/init.d/ssh").
	Path string
	// Runlevels are those whose /etc/rcN.d starts the script (an S link),
	// sorted.
	Runlevels []string
}

// Enabled reports whether the script starts in a multi-user runlevel
// (2 to 5).
func (s *InitScript) Enabled() bool {
	for _, r := range s.Runlevels {
		if r >= "2" && r <= "5" {
			return true
		}
	}
	return false
}

// initScriptSkip are names in /etc/init.d that are no services.
var initScriptSkip = []string{"README", "skeleton", "rc", "rcS", "rc.local", "functions"}

// backupSuffixes mark files that package managers and editors leave.
var backupSuffixes = []string{"~", ".dpkg-old", ".dpkg-new", ".dpkg-dist", ".dpkg-bak", ".dpkg-tmp", ".rpmsave", ".rpmnew", ".rpmorig", ".swp"}

// runlevels are the rc directories read.
var runlevels = []string{"0", "1", "2", "3", "4", "5", "6", "S"}

// ListInitScripts returns the executable scripts of /etc/init.d of the
// host at fsys, as systemd-sysv-generator takes them (hidden files,
// backups and non-executable files are no scripts), sorted by name, with
// the runlevels whose rc directory starts them.
func ListInitScripts(fsys *rootfs.FS) []InitScript {
	ents, _, err := fsys.ReadDir("/etc/init.d")
	if err != nil {
		return nil
	}
	starts := map[string][]string{}
	for _, rl := range runlevels {
		links, _, err := fsys.ReadDir("/etc/rc" + rl + ".d")
		if err != nil {
			continue
		}
		for _, l := range links {
			n := l.Name()
			if len(n) > 3 && n[0] == 'S' && isDigit(n[1]) && isDigit(n[2]) {
				starts[n[3:]] = append(starts[n[3:]], rl)
			}
		}
	}
	var out []InitScript
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || slices.Contains(initScriptSkip, name) || hasAnySuffix(name, backupSuffixes) {
			continue
		}
		p := path.Join("/etc/init.d", name)
		in, err := fsys.Stat(p)
		if err != nil || !in.Mode.IsRegular() || in.Mode.Perm()&0o111 == 0 {
			continue
		}
		rls := slices.Clone(starts[name])
		slices.Sort(rls)
		out = append(out, InitScript{Name: name, Path: p, Runlevels: slices.Compact(rls)})
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func hasAnySuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}
