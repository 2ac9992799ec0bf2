// Package pkgdb reads installed packages from the host's package
// databases (dpkg's status file, apk's installed file, the output of
// `rpm -q`) and compares versions with each distribution's rules.
package pkgdb

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Package is one installed (or known) package.
type Package struct {
	Name    string
	Arch    string
	Version string
	// Status is the package's state: dpkg's third status word
	// ("installed", "config-files" ...) or "installed" for apk and rpm.
	Status string
}

// Installed reports whether the package's files are on the host: any
// dpkg state but not-installed and config-files.
func (p Package) Installed() bool {
	return p.Status != "" && p.Status != "not-installed" && p.Status != "config-files"
}

// DB is the packages of one database by name.
type DB struct {
	// Kind is "dpkg", "apk" or "rpm": which version rules apply.
	Kind     string
	Packages map[string][]Package
}

// Lookup returns the installed packages named name.
func (db *DB) Lookup(name string) []Package {
	var out []Package
	for _, p := range db.Packages[name] {
		if p.Installed() {
			out = append(out, p)
		}
	}
	return out
}

// Compare compares two versions with the rules of the database's kind.
func (db *DB) Compare(a, b string) int {
	switch db.Kind {
	case "rpm":
		return CompareRPM(a, b)
	case "apk":
		return CompareAPK(a, b)
	}
	return CompareDebian(a, b)
}

func (db *DB) add(p Package) {
	if p.Name == "" {
		return
	}
	db.Packages[p.Name] = append(db.Packages[p.Name], p)
}

// maxField bounds one line of a status file.
const maxField = 1 << 20

// ParseDpkgStatus reads /var/lib/dpkg/status: paragraphs of
// "Field: value" lines with continuation lines starting with a blank.
// A paragraph without Package is an error.
func ParseDpkgStatus(data []byte) (*DB, error) {
	db := &DB{Kind: "dpkg", Packages: map[string][]Package{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxField)
	var cur Package
	inPara, paraLine, n := false, 0, 0
	flush := func() error {
		if !inPara {
			return nil
		}
		inPara = false
		if cur.Name == "" {
			return fmt.Errorf("dpkg status line %d: a paragraph without Package", paraLine)
		}
		db.add(cur)
		cur = Package{}
		return nil
	}
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		if !inPara {
			inPara, paraLine = true, n
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // continuation of a field we do not read
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("dpkg status line %d: %q is not a field", n, truncate(line))
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.Name = v
		case "Architecture":
			cur.Arch = v
		case "Version":
			cur.Version = v
		case "Status":
			f := strings.Fields(v)
			if len(f) != 3 {
				return nil, fmt.Errorf("dpkg status line %d: Status %q: want three words", n, truncate(v))
			}
			cur.Status = f[2]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dpkg status line %d: %w", n+1, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return db, nil
}

// ParseAPKInstalled reads /lib/apk/db/installed: paragraphs of "X:value"
// lines (P: name, V: version, A: arch).
func ParseAPKInstalled(data []byte) (*DB, error) {
	db := &DB{Kind: "apk", Packages: map[string][]Package{}}
	var cur Package
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			db.add(cur)
			cur = Package{}
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			return nil, fmt.Errorf("apk installed line %d: %q is not a field", i+1, truncate(line))
		}
		switch line[0] {
		case 'P':
			cur.Name, cur.Status = line[2:], "installed"
		case 'V':
			cur.Version = line[2:]
		case 'A':
			cur.Arch = line[2:]
		}
	}
	db.add(cur)
	return db, nil
}

// ParseRPMQuery reads the output of `rpm -q --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n' NAMES...`:
// one line per installed package; "package X is not installed" lines
// are left out.
func ParseRPMQuery(out []byte) *DB {
	db := &DB{Kind: "rpm", Packages: map[string][]Package{}}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] == "package" {
			continue
		}
		p := Package{Name: f[0], Version: strings.TrimPrefix(f[1], "0:"), Status: "installed"}
		if len(f) > 2 {
			p.Arch = f[2]
		}
		db.add(p)
	}
	return db
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
