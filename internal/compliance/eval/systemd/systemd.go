// Package systemd tells from a host's unit files whether a systemd
// unit exists, is masked or enabled (its WantedBy/RequiredBy links and
// aliases under /etc/systemd/system and /run/systemd/system), without
// asking systemd.
package systemd

import (
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Source reads the host's files (absolute host paths).
type Source interface {
	ReadFile(path string) ([]byte, error)
	Lstat(path string) (fs.FileInfo, error)
	Readlink(path string) (string, error)
	Glob(pattern string) ([]string, error)
}

// UnitDirs are the folders of system units, the first one winning.
var UnitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

// linkDirs hold the enablement links (persistent and runtime).
var linkDirs = []string{"/etc/systemd/system", "/run/systemd/system"}

var suffixes = []string{".service", ".socket", ".timer", ".target", ".mount", ".path", ".slice", ".scope", ".automount", ".swap", ".device"}

// UnitName adds ".service" to a name without a unit suffix.
func UnitName(name string) string {
	for _, s := range suffixes {
		if strings.HasSuffix(name, s) {
			return name
		}
	}
	return name + ".service"
}

// Unit is what the unit files say of one unit.
type Unit struct {
	Name string // the name asked for, with its suffix
	// File is the unit file (host path), "" when the unit does not exist.
	File string
	// Real is the unit's own name when Name is an alias.
	Real   string
	Masked bool
	// MaskFile is the link to /dev/null that masks the unit.
	MaskFile string
	// Links are the enablement links found (.wants, .requires, aliases).
	Links []string
	// Install holds the unit's [Install] WantedBy, RequiredBy and Alias.
	Install []string
	// ExecStart is the program of the first ExecStart= line.
	ExecStart string
}

// Exists reports whether a unit file was found (a masked unit exists).
func (u Unit) Exists() bool { return u.File != "" || u.Masked }

// Enabled reports whether the unit is enabled: not masked, with a
// .wants/.requires link or an alias link.
func (u Unit) Enabled() bool { return !u.Masked && len(u.Links) > 0 }

// State names the state as systemctl is-enabled would.
func (u Unit) State() string {
	switch {
	case u.Masked:
		return "masked"
	case !u.Exists():
		return "not-found"
	case len(u.Links) > 0:
		return "enabled"
	case len(u.Install) == 0:
		return "static"
	}
	return "disabled"
}

// Lookup finds unit name (".service" added when it has no suffix).
func Lookup(src Source, name string) (Unit, error) {
	u := Unit{Name: UnitName(name)}
	u.Real = u.Name
	for _, d := range linkDirs {
		p := path.Join(d, u.Name)
		if t, err := src.Readlink(p); err == nil && (t == "/dev/null" || t == "/dev/null/") {
			u.Masked, u.MaskFile = true, p
			return u, nil
		}
	}
	u.File = findFile(src, u.Name)
	if u.File == "" {
		if tmpl, ok := template(u.Name); ok {
			u.File = findFile(src, tmpl)
		}
	}
	if u.File == "" {
		return u, nil
	}
	// An alias link in a unit folder names the real unit; in a link
	// folder it is there because the unit is enabled.
	if t, err := src.Readlink(u.File); err == nil {
		u.Real = path.Base(t)
		if real := findFile(src, u.Real); real != "" && real != u.File {
			alias := u.File
			u.File = real
			if slices.Contains(linkDirs, path.Dir(alias)) {
				u.Links = append(u.Links, alias)
			}
		}
	}
	data, err := src.ReadFile(u.File)
	if err != nil {
		return u, err
	}
	u.Install, u.ExecStart = parseUnit(data)
	names := []string{u.Name}
	if u.Real != u.Name {
		names = append(names, u.Real)
	}
	for _, d := range linkDirs {
		for _, kind := range []string{"wants", "requires", "upholds"} {
			for _, n := range names {
				m, _ := src.Glob(path.Join(d, "*."+kind, n))
				u.Links = append(u.Links, m...)
			}
		}
	}
	slices.Sort(u.Links)
	u.Links = slices.Compact(u.Links)
	return u, nil
}

func findFile(src Source, name string) string {
	for _, d := range UnitDirs {
		p := path.Join(d, name)
		if _, err := src.Lstat(p); err == nil {
			return p
		}
	}
	return ""
}

// template returns foo@.service for foo@bar.service.
func template(name string) (string, bool) {
	at := strings.IndexByte(name, '@')
	dot := strings.LastIndexByte(name, '.')
	if at < 0 || dot < at || at+1 == dot {
		return "", false
	}
	return name[:at+1] + name[dot:], true
}

// parseUnit returns the [Install] targets and aliases and the first
// ExecStart program of a unit file.
func parseUnit(data []byte) (install []string, execStart string) {
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if t[0] == '[' {
			section = strings.Trim(t, "[]")
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case section == "Install" && (k == "WantedBy" || k == "RequiredBy" || k == "Alias" || k == "UpheldBy"):
			install = append(install, strings.Fields(v)...)
		case section == "Service" && k == "ExecStart" && execStart == "":
			// Prefixes @ - : + ! say how to run it, not what.
			v = strings.TrimLeft(v, "@-:+!")
			if f := strings.Fields(v); len(f) > 0 {
				execStart = f[0]
			}
		}
	}
	return install, execStart
}
