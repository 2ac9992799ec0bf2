package policies

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigilsec/vigil/internal/compliance/eval"
)

// Minimum numbers of checks the shipped policies must hold.
var minChecks = map[string]int{
	"cis_debian12":   150,
	"cis_ubuntu2204": 100,
	"cis_rhel9":      100,
	"mlps_level2":    50,
	"mlps_level3":    80,
}

// TestShipped: every shipped policy parses without a problem, has its
// checks, texts in Chinese and English, and a severity and remediation
// for each check.
func TestShipped(t *testing.T) {
	ps, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.Meta.ID] = true
		if min, ok := minChecks[p.Meta.ID]; ok && len(p.Checks) < min {
			t.Errorf("%s: %d checks, want at least %d", p.Meta.ID, len(p.Checks), min)
		}
		for _, c := range p.Checks {
			if c.Title.En == "" || c.Title.Zh == "" || c.Remediation.En == "" || c.Remediation.Zh == "" {
				t.Errorf("%s: check %s lacks a title or remediation in English or Chinese", p.Meta.ID, c.ID)
			}
		}
		t.Logf("%s %s: %d checks", p.Meta.ID, p.Meta.Version, len(p.Checks))
	}
	for id := range minChecks {
		if !seen[id] {
			t.Errorf("policy %s is not shipped", id)
		}
	}
}

// expectation is one check's expected results on the fixture roots.
type expectation struct {
	Default  string `yaml:"default"`
	Hardened string `yaml:"hardened"`
	Why      string `yaml:"why"`
}

// fixtureRoots maps a policy to the fixture roots it is tested on, by
// the expectation file's keys.
var fixtureRoots = map[string]map[string]string{
	"cis_debian12":   {"default": "debian12-default", "hardened": "debian12-hardened"},
	"cis_ubuntu2204": {"default": "ubuntu2204-default", "hardened": "ubuntu2204-hardened"},
	"cis_rhel9":      {"default": "rhel9-default", "hardened": "rhel9-hardened"},
	"mlps_level2":    {"default": "debian12-default", "hardened": "debian12-hardened"},
	"mlps_level3":    {"default": "debian12-default", "hardened": "debian12-hardened"},
}

// TestFixtureRoots evaluates every shipped check on a fresh and a
// hardened tree of its system and compares each result with the
// expected one (testdata/expect/POLICY.yml). The trees' owners and modes
// (testdata/ROOT/.vigil-meta.yml) are applied to a copy, so the test
// runs as root.
func TestFixtureRoots(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("the fixture roots' owners need root")
		}
		t.Skip("the fixture roots' owners need root")
	}
	ps, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	// Every root is copied here, by this test: a subtest's TempDir goes
	// when the subtest ends, and several policies share a root.
	copies := map[string]string{}
	for _, roots := range fixtureRoots {
		for _, name := range roots {
			if _, ok := copies[name]; !ok {
				copies[name] = copyRoot(t, name)
			}
		}
	}
	for _, p := range ps {
		roots, ok := fixtureRoots[p.Meta.ID]
		if !ok {
			t.Errorf("policy %s has no fixture roots", p.Meta.ID)
			continue
		}
		t.Run(p.Meta.ID, func(t *testing.T) {
			want := readExpectations(t, p.Meta.ID)
			for _, c := range p.Checks {
				if _, ok := want[c.ID]; !ok {
					t.Errorf("check %s has no expected results", c.ID)
				}
			}
			for id := range want {
				if p.Check(id) == nil {
					t.Errorf("expected results for %s, which the policy does not have", id)
				}
			}
			for _, which := range []string{"default", "hardened"} {
				name := roots[which]
				root := copies[name]
				rep := eval.Run(context.Background(), p, eval.Env{Root: root, Runner: recorded(t, name),
					Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
				counts := map[string]int{}
				for _, r := range rep.Results {
					got := string(r.Status)
					counts[got]++
					e, ok := want[r.ID]
					if !ok {
						continue
					}
					exp := e.Default
					if which == "hardened" {
						exp = e.Hardened
					}
					if got != exp {
						t.Errorf("%s on %s: %s (%s), want %s %s\n%s", r.ID, name, got, r.Reason, exp, e.Why, evidence(r))
					}
				}
				t.Logf("%s on %s: %v in %v", p.Meta.ID, name, counts, rep.Duration)
			}
		})
	}
}

// evidence formats a result's rules for a failure message.
func evidence(r eval.CheckResult) string {
	var b strings.Builder
	for _, rr := range r.Rules {
		fmt.Fprintf(&b, "    %+v\n", rr)
	}
	return b.String()
}

// readExpectations reads testdata/expect/ID.yml.
func readExpectations(t *testing.T, id string) map[string]expectation {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "expect", id+".yml"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]expectation
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatalf("expectations of %s: %v", id, err)
	}
	for cid, e := range want {
		for _, s := range []string{e.Default, e.Hardened} {
			switch s {
			case "pass", "fail", "not_applicable", "error":
			default:
				t.Errorf("expectations of %s: %s: result %q", id, cid, s)
			}
		}
	}
	return want
}

// recorded returns the commands recorded for a fixture root (none when
// it has no .vigil-commands.yml).
func recorded(t *testing.T, name string) eval.Runner {
	t.Helper()
	p := filepath.Join("testdata", name, ".vigil-commands.yml")
	if _, err := os.Stat(p); err != nil {
		return eval.RecordedRunner{}
	}
	r, err := eval.LoadRecorded(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// meta is a path's owner, group and mode in .vigil-meta.yml.
type meta struct {
	Owner string `yaml:"owner"`
	Group string `yaml:"group"`
	Mode  string `yaml:"mode"`
}

// copyRoot copies a fixture root to a temporary folder and gives its
// paths the owners, groups and modes of its .vigil-meta.yml, named by the
// root's own passwd and group files.
func copyRoot(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if strings.HasPrefix(rel, ".vigil-") {
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		}
	})
	if err != nil {
		t.Fatalf("copy %s: %v", name, err)
	}
	data, err := os.ReadFile(filepath.Join(src, ".vigil-meta.yml"))
	if err != nil {
		return dst
	}
	var metas map[string]meta
	if err := yaml.Unmarshal(data, &metas); err != nil {
		t.Fatalf("%s/.vigil-meta.yml: %v", name, err)
	}
	users, groups := ids(t, filepath.Join(src, "etc", "passwd"), 2), ids(t, filepath.Join(src, "etc", "group"), 2)
	paths := make([]string, 0, len(metas))
	for p := range metas {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		m := metas[p]
		target := filepath.Join(dst, filepath.FromSlash(p))
		if _, err := os.Lstat(target); err != nil {
			t.Errorf("%s/.vigil-meta.yml names %s, which the tree lacks", name, p)
			continue
		}
		uid, gid := -1, -1
		if m.Owner != "" {
			uid = lookup(t, users, m.Owner, name, p)
		}
		if m.Group != "" {
			gid = lookup(t, groups, m.Group, name, p)
		}
		if err := os.Lchown(target, uid, gid); err != nil {
			t.Fatal(err)
		}
		if m.Mode != "" {
			mode, err := strconv.ParseUint(m.Mode, 8, 32)
			if err != nil {
				t.Fatalf("%s/.vigil-meta.yml: %s: mode %q", name, p, m.Mode)
			}
			if err := os.Chmod(target, fs.FileMode(mode)&fs.ModePerm|setBits(mode)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dst
}

// setBits converts the setuid, setgid and sticky bits of an octal mode.
func setBits(mode uint64) fs.FileMode {
	var m fs.FileMode
	if mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// ids reads names and numeric ids from a passwd or group file (the id in
// field idField).
func ids(t *testing.T, path string, idField int) map[string]int {
	t.Helper()
	out := map[string]int{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) > idField {
			if n, err := strconv.Atoi(fields[idField]); err == nil {
				out[fields[0]] = n
			}
		}
	}
	return out
}

// lookup returns the id of a name or number.
func lookup(t *testing.T, table map[string]int, name, root, path string) int {
	t.Helper()
	if n, err := strconv.Atoi(name); err == nil {
		return n
	}
	n, ok := table[name]
	if !ok {
		t.Errorf("%s/.vigil-meta.yml: %s: %q is not in the root's passwd or group", root, path, name)
		return -1
	}
	return n
}
