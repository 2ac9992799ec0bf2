package kmod

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// maxDepLine bounds one line of modules.dep (a module's path and those
// of its dependencies).
const maxDepLine = 1 << 20

// maxDepModules bounds how many modules one modules.dep may name; a
// distribution kernel has about 6,000.
const maxDepModules = 200_000

// ParseModulesDep reads modules.dep, whose lines name a module's file and
// the files of the modules it needs:
//
//	kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz
//
// It returns the file of each module by module name (as relative to the
// modules directory, or absolute, as written). Lines it cannot parse are
// skipped and counted in bad; err is set only when reading failed.
func ParseModulesDep(r io.Reader) (files map[string]string, bad int, err error) {
	files = map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxDepLine)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		file, _, ok := strings.Cut(line, ":")
		file = strings.TrimSpace(file)
		name := ModuleName(file)
		if !ok || name == "" || strings.ContainsAny(file, " \t") {
			bad++
			continue
		}
		if _, dup := files[name]; dup {
			continue // depmod lists the file it prefers first
		}
		if len(files) >= maxDepModules {
			bad++
			continue
		}
		files[name] = file
	}
	if err := sc.Err(); err != nil {
		return files, bad, fmt.Errorf("read modules.dep: %w", err)
	}
	return files, bad, nil
}

// moduleSuffixes are the endings of module files, compressed or not.
var moduleSuffixes = []string{".ko", ".ko.gz", ".ko.xz", ".ko.zst"}

// ModuleName returns the name the kernel gives the module in file: its
// base name without the .ko ending (and compression), with dashes as
// underscores. "" when file is not a module file.
func ModuleName(file string) string {
	base := path.Base(file)
	for _, suf := range moduleSuffixes {
		if name, ok := strings.CutSuffix(base, suf); ok {
			name = strings.ReplaceAll(name, "-", "_")
			if !validModuleName(name) {
				return ""
			}
			return name
		}
	}
	return ""
}

// moduleDirs are where the running kernel's module tree may be.
var moduleDirs = []string{"/lib/modules", "/usr/lib/modules"}

// UnusualPath reports whether a module file lies outside the module
// trees (/lib/modules, /usr/lib/modules).
func UnusualPath(file string) bool {
	p := path.Clean(file)
	for _, dir := range moduleDirs {
		if strings.HasPrefix(p, dir+"/") {
			return false
		}
	}
	return true
}

// depIndex finds module files through the running kernel's modules.dep,
// reading it again when it changed (depmod after a package update).
type depIndex struct {
	root    string
	release string

	mu      sync.Mutex
	file    string // host path of modules.dep, without root
	dir     string // host path of the modules directory
	modTime time.Time
	size    int64
	files   map[string]string
	bad     int
}

func newDepIndex(root, release string) *depIndex {
	return &depIndex{root: root, release: release}
}

// Lookup returns the host path of module name's file, and whether
// modules.dep names it. known is false when there is no modules.dep.
func (d *depIndex) Lookup(name string) (file string, listed, known bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refresh()
	if d.files == nil {
		return "", false, false
	}
	rel, ok := d.files[name]
	if !ok {
		return "", false, true
	}
	if path.IsAbs(rel) {
		return path.Clean(rel), true, true
	}
	return path.Join(d.dir, rel), true, true
}

// refresh reads modules.dep when it is new or changed since last read.
func (d *depIndex) refresh() {
	if d.release == "" {
		return
	}
	for _, dir := range moduleDirs {
		hostDir := path.Join(dir, d.release)
		hostFile := path.Join(hostDir, "modules.dep")
		fi, err := os.Stat(filepath.Join(d.root, hostFile))
		if err != nil {
			continue
		}
		if hostFile == d.file && fi.ModTime().Equal(d.modTime) && fi.Size() == d.size {
			return
		}
		f, err := os.Open(filepath.Join(d.root, hostFile))
		if err != nil {
			continue
		}
		files, bad, err := ParseModulesDep(f)
		_ = f.Close()
		if err != nil {
			continue
		}
		d.file, d.dir, d.modTime, d.size, d.files, d.bad = hostFile, hostDir, fi.ModTime(), fi.Size(), files, bad
		return
	}
	d.file, d.files = "", nil
}

// takeBad returns the lines of the last modules.dep read that could not
// be parsed, once.
func (d *depIndex) takeBad() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.bad
	d.bad = 0
	return n
}
