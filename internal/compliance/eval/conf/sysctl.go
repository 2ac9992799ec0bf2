package conf

import (
	"path"
	"slices"
	"strings"
)

// SysctlDirs are the folders systemd-sysctl reads, the first hiding a
// file of the same name in the later ones.
var SysctlDirs = []string{"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"}

// SysctlConf is the file read after every *.conf of SysctlDirs.
const SysctlConf = "/etc/sysctl.conf"

// SysctlStandardFiles returns the files the system applies at boot,
// in systemd-sysctl's order (later wins).
func SysctlStandardFiles(src Source) []string {
	var files []string
	for _, d := range SysctlDirs {
		m, _ := src.Glob(d + "/*.conf")
		files = append(files, m...)
	}
	files = append(files, SysctlConf)
	return SysctlOrder(files)
}

// SysctlOrder orders files as systemd-sysctl does: by file name, a
// file of /etc/sysctl.d hiding one of the same name in /run/sysctl.d
// or /usr/lib/sysctl.d; /etc/sysctl.conf last. Files outside these
// folders keep their name's place.
func SysctlOrder(files []string) []string {
	rank := func(f string) int {
		for i, d := range SysctlDirs {
			if path.Dir(f) == d {
				return i
			}
		}
		return -1
	}
	byName := map[string]string{}
	var last []string
	for _, f := range files {
		if f == SysctlConf {
			if !slices.Contains(last, f) {
				last = append(last, f)
			}
			continue
		}
		name := path.Base(f)
		prev, ok := byName[name]
		if !ok {
			byName[name] = f
			continue
		}
		rp, rf := rank(prev), rank(f)
		if rf >= 0 && (rp < 0 || rf < rp) {
			byName[name] = f
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]string, 0, len(names)+len(last))
	for _, n := range names {
		out = append(out, byName[n])
	}
	return append(out, last...)
}

// Sysctl is the settings of sysctl.conf files applied in order.
type Sysctl struct {
	Settings map[string]Entry
	seq      map[string]int
	// globs are settings whose key holds a glob, in order.
	globs []seqEntry
	n     int
}

type seqEntry struct {
	Entry
	seq int
}

// NewSysctl returns an empty set of settings.
func NewSysctl() *Sysctl { return &Sysctl{Settings: map[string]Entry{}, seq: map[string]int{}} }

// SysctlKey normalizes a key: "/" separators become ".".
func SysctlKey(k string) string {
	k = strings.TrimSpace(k)
	if i := strings.IndexAny(k, "./"); i >= 0 && k[i] == '/' {
		k = strings.ReplaceAll(k, "/", ".")
	}
	return k
}

// Add applies one file's lines: `key = value`, comments with # or ;,
// a leading - on the key (ignore errors) removed. Later files win.
func (s *Sysctl) Add(file string, data []byte) {
	lines(data, func(n int, line string) {
		t := strings.TrimSpace(line)
		if isComment(t, "#;") {
			return
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return
		}
		k = SysctlKey(strings.TrimPrefix(strings.TrimSpace(k), "-"))
		if k == "" {
			return
		}
		s.n++
		e := Entry{Key: k, Value: strings.Join(strings.Fields(v), " "), File: file, Line: n}
		if strings.ContainsAny(k, "*?[") {
			s.globs = append(s.globs, seqEntry{e, s.n})
			return
		}
		s.Settings[k] = e
		s.seq[k] = s.n
	})
}

// Get returns the value of key the files set: the last setting of the
// key itself or of a glob that matches it.
func (s *Sysctl) Get(key string) (Entry, bool) {
	key = SysctlKey(key)
	e, ok := s.Settings[key]
	seq := s.seq[key]
	for _, g := range s.globs {
		if m, _ := path.Match(strings.ReplaceAll(g.Key, ".", "/"), strings.ReplaceAll(key, ".", "/")); m && g.seq > seq {
			e, ok, seq = g.Entry, true, g.seq
		}
	}
	return e, ok
}
