package pghba

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		line string
		want []Field
		err  bool
	}{
		{"host all all 0.0.0.0/0 trust", []Field{{{"host", false}}, {{"all", false}}, {{"all", false}}, {{"0.0.0.0/0", false}}, {{"trust", false}}}, false},
		{`local "all" a,b,  c md5 # comment`, []Field{{{"local", false}}, {{"all", true}}, {{"a", false}, {"b", false}, {"c", false}}, {{"md5", false}}}, false},
		{`host "db, #1" all samenet trust`, []Field{{{"host", false}}, {{"db, #1", true}}, {{"all", false}}, {{"samenet", false}}, {{"trust", false}}}, false},
		{"   # only a comment", nil, false},
		{"", nil, false},
		{`host "unterminated all`, nil, true},
		{"host a, all", []Field{{{"host", false}}, {{"a", false}, {"all", false}}}, false},
		{"host ,a,,b, # c", []Field{{{"host", false}}, {{"a", false}, {"b", false}}}, false},
	}
	for _, tc := range tests {
		got, err := Tokenize(tc.line)
		if tc.err {
			if err == nil || !errors.Is(err, ErrMalformed) {
				t.Errorf("%q: error %v, want ErrMalformed", tc.line, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%q (-want +got):\n%s", tc.line, d)
		}
	}
}

func TestEntryScope(t *testing.T) {
	tests := []struct {
		line  string
		scope Scope
		text  string
	}{
		{"local all all trust", ScopeLocal, "local all all trust"},
		{"host all all 127.0.0.1/32 trust", ScopeLoopback, "host all all 127.0.0.1/32 trust"},
		{"host all all 127.0.0.0/8 trust", ScopeLoopback, ""},
		{"host all all 127.0.0.1/0 trust", ScopeRemote, ""},
		{"host all all ::1/128 trust", ScopeLoopback, ""},
		{"host all all ::1/64 trust", ScopeRemote, ""},
		{"host all all ::ffff:127.0.0.1/128 trust", ScopeLoopback, ""},
		{"host all all 127.0.0.1 255.255.255.255 trust", ScopeLoopback, "host all all 127.0.0.1 255.255.255.255 trust"},
		{"host all all 10.0.0.0 255.0.0.0 trust", ScopeRemote, ""},
		{"host all all 10.0.0.0 255.0.255.0 trust", ScopeRemote, ""},
		{"hostssl all all 0.0.0.0/0 password", ScopeRemote, ""},
		{"host all all all trust", ScopeRemote, ""},
		{"host all all samenet trust", ScopeRemote, ""},
		{"host all all samehost trust", ScopeLoopback, ""},
		{"host all all localhost trust", ScopeLoopback, ""},
		{"host all all .example.com trust", ScopeRemote, ""},
		{"HOST all all 0.0.0.0/0 TRUST map=x", ScopeRemote, "host all all 0.0.0.0/0 trust map=x"},
	}
	for _, tc := range tests {
		fields, err := Tokenize(tc.line)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ParseEntry(fields, "f", 1)
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if got := e.Scope(); got != tc.scope {
			t.Errorf("%q: scope %v, want %v", tc.line, got, tc.scope)
		}
		if tc.text != "" && e.Text() != tc.text {
			t.Errorf("%q: text %q, want %q", tc.line, e.Text(), tc.text)
		}
	}
	for _, bad := range []string{"host all all", "hosts all all 0/0 trust", "host all all 10.0.0.1", "local all", "host all all a,b trust"} {
		fields, _ := Tokenize(bad)
		if _, err := ParseEntry(fields, "f", 1); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// dirReader reads the files below a test folder.
type dirReader string

func (d dirReader) ReadFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), name))
}

func (d dirReader) ReadDir(name string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(string(d), name))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadIncludes(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "etc/pg/pg_hba.conf", `# TYPE DATABASE USER ADDRESS METHOD
local all postgres peer
host all all 0.0.0.0/0 \
  trust
include extra.conf
include_if_exists missing.conf
include_dir hba.d
include missing-too.conf
bogus line here
`)
	write(t, dir, "etc/pg/extra.conf", "host all all 10.0.0.0/8 password\n")
	write(t, dir, "etc/pg/hba.d/b.conf", "hostssl all all 0.0.0.0/0 password\n")
	write(t, dir, "etc/pg/hba.d/a.conf", "local all all trust\n")
	write(t, dir, "etc/pg/hba.d/.hidden.conf", "local all all reject\n")
	write(t, dir, "etc/pg/hba.d/c.txt", "local all all reject\n")
	res, err := Load(dirReader(dir), "/etc/pg/pg_hba.conf")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, filepath.Base(e.File)+":"+strconv.Itoa(e.Line)+" "+e.Text())
	}
	want := []string{
		"pg_hba.conf:2 local all postgres peer",
		"pg_hba.conf:3 host all all 0.0.0.0/0 trust",
		"extra.conf:1 host all all 10.0.0.0/8 password",
		"a.conf:1 local all all trust",
		"b.conf:1 hostssl all all 0.0.0.0/0 password",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if res.Problems.Skipped != 2 {
		t.Errorf("skipped %d lines (%v), want 2: the missing include and the bogus line", res.Problems.Skipped, res.Malformed)
	}
	if _, err := Load(dirReader(dir), "/etc/pg/none.conf"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestIncludeLoop(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.conf", "include a.conf\nlocal all all trust\n")
	res, err := Load(dirReader(dir), "/a.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != maxIncludeDepth+1 || res.Problems.Skipped != 1 {
		t.Errorf("%d entries, %d skipped", len(res.Entries), res.Problems.Skipped)
	}
}

func TestParseConfLine(t *testing.T) {
	tests := []struct {
		line, name, value string
		ok, err           bool
	}{
		{"hba_file = '/etc/postgresql/15/main/pg_hba.conf'\t\t# host-based", "hba_file", "/etc/postgresql/15/main/pg_hba.conf", true, false},
		{"port 5433", "port", "5433", true, false},
		{"listen_addresses='*'", "listen_addresses", "*", true, false},
		{"Data_Directory = 'it''s\\tx'", "data_directory", "it's\tx", true, false},
		{"shared_buffers = 128MB # x", "shared_buffers", "128MB", true, false},
		{"  # comment", "", "", false, false},
		{"", "", "", false, false},
		{"x = 'open", "", "", false, true},
		{"x = a b", "", "", false, true},
		{"= 1", "", "", false, true},
		{"x =", "", "", false, true},
	}
	for _, tc := range tests {
		name, value, ok, err := ParseConfLine(tc.line)
		if (err != nil) != tc.err || ok != tc.ok || name != tc.name || value != tc.value {
			t.Errorf("%q: %q %q %v %v", tc.line, name, value, ok, err)
		}
	}
}

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	// Debian: the configuration in /etc names the data directory and
	// the hba file.
	write(t, dir, "etc/postgresql/15/main/postgresql.conf", `data_directory = '/var/lib/postgresql/15/main'
hba_file = '/etc/postgresql/15/main/pg_hba.conf'
port = 5432
include_dir = 'conf.d'
`)
	write(t, dir, "etc/postgresql/15/main/conf.d/listen.conf", "listen_addresses = '*'\nport = 5433\n")
	// initdb: everything in the data directory.
	write(t, dir, "srv/pg/postgresql.conf", "port = 5999\n")
	// a data directory whose configuration moves the hba file.
	write(t, dir, "srv/pg2/postgresql.conf", "hba_file = 'hba/custom.conf'\n")
	r := dirReader(dir)
	tests := []struct {
		name                     string
		data, conf, hbaCmd, want string
	}{
		{"debian", "", "/etc/postgresql/15/main/postgresql.conf", "", "/etc/postgresql/15/main/pg_hba.conf"},
		{"debian -D and config_file", "/var/lib/postgresql/15/main", "/etc/postgresql/15/main/postgresql.conf", "", "/etc/postgresql/15/main/pg_hba.conf"},
		{"initdb", "/srv/pg", "", "", "/srv/pg/pg_hba.conf"},
		{"relative hba_file", "/srv/pg2", "", "", "/srv/pg2/hba/custom.conf"},
		{"command line wins", "/srv/pg2", "", "/x/hba.conf", "/x/hba.conf"},
		{"no configuration", "/srv/none", "", "", "/srv/none/pg_hba.conf"},
	}
	for _, tc := range tests {
		got, conf, err := Locate(r, tc.data, tc.conf, tc.hbaCmd)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if tc.name == "debian" {
			if v, _ := conf.Get("port"); v != "5433" {
				t.Errorf("port %q: include_dir's file comes after", v)
			}
			if v, _ := conf.Get("listen_addresses"); v != "*" {
				t.Errorf("listen_addresses %q", v)
			}
			files := append([]string(nil), conf.Files...)
			sort.Strings(files)
			if len(files) != 2 {
				t.Errorf("files %v", files)
			}
		}
	}
	if _, _, err := Locate(r, "", "/etc/none.conf", ""); err == nil {
		t.Error("no error without a configuration or data directory")
	}
}
