package middleware

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// dpkgStatusFile is dpkg's database of installed packages below the host
// root.
const dpkgStatusFile = "/var/lib/dpkg/status"

// maxStatusBytes bounds the dpkg status file (a large Debian system's is
// a few MB).
const maxStatusBytes = 128 << 20

// DpkgPackage is one stanza of dpkg's status file.
type DpkgPackage struct {
	Name, Arch, Version string
	// Status is the Status field ("install ok installed").
	Status string
}

// Installed reports whether the package's files are on the host: its
// status is "installed" (not "config-files", "not-installed" or
// half-installed).
func (p *DpkgPackage) Installed() bool {
	return strings.HasSuffix(p.Status, " installed")
}

// ParseDpkgStatus calls fn with every stanza of a dpkg status file
// (Package, Architecture, Version and Status fields; the others and
// continuation lines are skipped). It returns the number of malformed
// stanzas skipped: without a Package field, or with a line that is
// neither a field nor a continuation.
func ParseDpkgStatus(data []byte, fn func(DpkgPackage)) (malformed int) {
	var cur DpkgPackage
	bad, any := false, false
	flush := func() {
		if any {
			if cur.Name == "" || bad {
				malformed++
			} else {
				fn(cur)
			}
		}
		cur, bad, any = DpkgPackage{}, false, false
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		any = true
		if line[0] == ' ' || line[0] == '\t' {
			continue // a continuation of a multi-line field
		}
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(key) == 0 || bytes.ContainsAny(key, " \t") {
			bad = true
			continue
		}
		v := string(bytes.TrimSpace(val))
		switch string(key) {
		case "Package":
			cur.Name = v
		case "Architecture":
			cur.Arch = v
		case "Version":
			cur.Version = v
		case "Status":
			cur.Status = v
		}
	}
	flush()
	return malformed
}

// dpkgDB holds the installed packages of a host, read again when the
// status file changes.
type dpkgDB struct {
	mu    sync.Mutex
	path  string
	stamp fileStamp
	// pkgs maps a package name to its installed instances (one per
	// architecture of a multi-arch package).
	pkgs      map[string][]DpkgPackage
	malformed int
}

// fileStamp identifies one version of a file.
type fileStamp struct {
	ok          bool
	dev, ino    uint64
	size, mtime int64
}

// load returns the installed packages of the host whose root is root:
// nil and no error when the host has no dpkg database. The number of
// malformed stanzas of a new read is returned.
func (d *dpkgDB) load(root string) (map[string][]DpkgPackage, int, error) {
	p := filepath.Join(root, dpkgStatusFile)
	d.mu.Lock()
	defer d.mu.Unlock()
	st, err := stampOf(p)
	if errors.Is(err, fs.ErrNotExist) {
		d.path, d.stamp, d.pkgs = p, fileStamp{}, nil
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("dpkg status: %w", err)
	}
	if d.path == p && d.stamp == st && d.pkgs != nil {
		return d.pkgs, 0, nil
	}
	data, err := readFileLimited(p, maxStatusBytes)
	if err != nil {
		return nil, 0, fmt.Errorf("dpkg status: %w", err)
	}
	pkgs := map[string][]DpkgPackage{}
	bad := ParseDpkgStatus(data, func(pkg DpkgPackage) {
		if pkg.Installed() {
			pkgs[pkg.Name] = append(pkgs[pkg.Name], pkg)
		}
	})
	d.path, d.stamp, d.pkgs, d.malformed = p, st, pkgs, bad
	return pkgs, bad, nil
}

// lookupPackage returns the installed package name (of architecture arch
// when given and the package has several).
func lookupPackage(pkgs map[string][]DpkgPackage, name, arch string) (DpkgPackage, bool) {
	list := pkgs[name]
	for _, p := range list {
		if arch == "" || p.Arch == arch || p.Arch == "all" {
			return p, true
		}
	}
	return DpkgPackage{}, false
}

// stampOf describes file p.
func stampOf(p string) (fileStamp, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return fileStamp{}, err
	}
	dev, ino := fileID(fi)
	return fileStamp{ok: true, dev: dev, ino: ino, size: fi.Size(), mtime: fi.ModTime().UnixNano()}, nil
}
