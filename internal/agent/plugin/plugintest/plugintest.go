// Package plugintest checks a registration list of plugins against the
// plugin packages in the source tree.
package plugintest

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// CheckRegistry checks that every plugin package under dir (the collect or
// sense folder) is in plugins exactly once, and that each plugin's Name is
// its package's folder path below dir, in the form policies accept. The
// list package itself, testdata folders, internal folders (helpers the
// plugins share) and packages inside a listed plugin's folder (its own
// parts) are not plugin packages.
func CheckRegistry[P plugin.Plugin](t testing.TB, dir string, plugins []P) {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Base(abs)
	pkgs := packages(t, dir)
	listed := map[string]bool{}
	for _, p := range plugins {
		if v := reflect.ValueOf(p); !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
			t.Errorf("a listed plugin is nil")
			continue
		}
		folder, ok := folderOf(p, base)
		if !ok {
			t.Errorf("plugin %q (%T) does not live below %s/", p.Name(), p, base)
			continue
		}
		if listed[folder] {
			t.Errorf("%s/%s is listed twice", base, folder)
		}
		listed[folder] = true
		if p.Name() != folder {
			t.Errorf("plugin in %s/%s is named %q, want %q", base, folder, p.Name(), folder)
		}
		if !ValidName(p.Name()) {
			t.Errorf("plugin name %q is not of the form area/name (lower-case letters, digits, '.', '_', '-')", p.Name())
		}
	}
	for _, folder := range pkgs {
		if !listed[folder] && !belowListed(folder, listed) {
			t.Errorf("plugin package %s/%s is not in the list", base, folder)
		}
	}
}

// belowListed reports whether folder is inside a listed plugin's folder:
// such packages are that plugin's own parts (fim/baseline).
func belowListed(folder string, listed map[string]bool) bool {
	for f := path.Dir(folder); f != "." && f != "/"; f = path.Dir(f) {
		if listed[f] {
			return true
		}
	}
	return false
}

// packages returns the folders below dir, relative to it, that hold
// non-test Go files, the list package excluded.
func packages(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != dir && (d.Name() == "testdata" || d.Name() == "internal" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(dir, filepath.Dir(path))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "list" && rel != "." && !slices.Contains(out, rel) {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("plugin folder: %v", err)
	}
	return out
}

// folderOf returns the folder path of p's package below the folder named
// base.
func folderOf(p plugin.Plugin, base string) (string, bool) {
	typ := reflect.TypeOf(p)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	pkg := typ.PkgPath()
	i := strings.LastIndex(pkg, "/"+base+"/")
	if i < 0 {
		return "", false
	}
	return pkg[i+len(base)+2:], true
}

// ValidName reports whether name can be a plugin name: parts of lower-case
// letters, digits, '.', '_' and '-', each starting with a letter or digit,
// joined by '/', at most 64 bytes.
func ValidName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || !alnum(part[0]) {
			return false
		}
		for i := 0; i < len(part); i++ {
			if c := part[i]; !alnum(c) && c != '.' && c != '_' && c != '-' {
				return false
			}
		}
	}
	return true
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
