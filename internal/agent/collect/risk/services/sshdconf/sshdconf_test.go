package sshdconf

import (
	"bufio"
	"bytes"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// requireEnv, set to 1, makes the test fail rather than skip when sshd
// is not installed.
const requireEnv = "VIGIL_REQUIRE_MIDDLEWARE"

func TestParseLine(t *testing.T) {
	tests := []struct {
		line, kw string
		args     []string
		err      bool
	}{
		{"PermitRootLogin yes", "permitrootlogin", []string{"yes"}, false},
		{"  permitrootlogin=no # why", "permitrootlogin", []string{"no"}, false},
		{"PasswordAuthentication = \"no\"", "passwordauthentication", []string{"no"}, false},
		{"Match User alice Address 10.0.0.0/8", "match", []string{"User", "alice", "Address", "10.0.0.0/8"}, false},
		{"Subsystem\tsftp\t/usr/lib/openssh/sftp-server\r", "subsystem", []string{"sftp", "/usr/lib/openssh/sftp-server"}, false},
		{"Banner \"/etc/my banner\" #c", "banner", []string{"/etc/my banner"}, false},
		{"# PermitRootLogin yes", "", nil, false},
		{"", "", nil, false},
		{"Banner \"open", "", nil, true},
		{"Banner \"a\"b", "", nil, true},
		{"=yes", "", nil, true},
	}
	for _, tc := range tests {
		kw, args, err := ParseLine(tc.line)
		if tc.err {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%q: error %v, want ErrMalformed", tc.line, err)
			}
			continue
		}
		if err != nil || kw != tc.kw || !cmp.Equal(args, tc.args) {
			t.Errorf("%q: %q %q %v", tc.line, kw, args, err)
		}
	}
}

// osReader reads the machine's files.
type osReader struct{}

func (osReader) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }
func (osReader) ReadDir(name string) ([]string, error) {
	ents, err := os.ReadDir(name)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, err
}

// conn is a connection sshd -T -C is asked about.
type conn struct {
	user string
	addr netip.Addr
}

func (c conn) arg() string { return "user=" + c.user + ",host=client.test,addr=" + c.addr.String() }

// matches evaluates the criteria the fixtures use (User, Address, all),
// several joined by " && " for nested blocks.
func (c conn) matches(criteria string) bool {
	for _, part := range strings.Split(criteria, " && ") {
		f := strings.Fields(part)
		if len(f) == 1 && strings.EqualFold(f[0], "all") {
			continue
		}
		for i := 0; i+1 < len(f); i += 2 {
			switch strings.ToLower(f[i]) {
			case "user":
				if !contains(strings.Split(f[i+1], ","), c.user) {
					return false
				}
			case "address":
				p, err := netip.ParsePrefix(f[i+1])
				if err != nil || !p.Contains(c.addr) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// forConn is what sshd applies to a connection: the first matching
// Match block that sets the keyword, else the global value.
func forConn(c *Config, cn conn, kw string) string {
	for i := range c.Matches {
		b := &c.Matches[i]
		if !cn.matches(b.Criteria) {
			continue
		}
		if d, ok := b.first(kw); ok {
			return settingOf(d).Value
		}
	}
	for _, d := range c.Global {
		if d.Keyword == kw {
			return settingOf(d).Value
		}
	}
	return Defaults[kw]
}

var fixtures = []struct {
	name  string
	files map[string]string // relative to the test folder; @DIR@ is replaced by it
}{
	{"debian with drop-ins", map[string]string{
		"sshd_config":                   "Include @DIR@/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nPermitRootLogin no\n",
		"sshd_config.d/10-root.conf":    "PermitRootLogin yes\n",
		"sshd_config.d/20-pw.conf":      "PasswordAuthentication no\nPermitRootLogin without-password\n",
		"sshd_config.d/.hidden.conf":    "PermitEmptyPasswords yes\n",
		"sshd_config.d/30-missing.conf": "Include @DIR@/nothere.conf\n",
	}},
	{"match blocks", map[string]string{
		"sshd_config": `PasswordAuthentication no
Port 2222
Match User alice,bob
	PasswordAuthentication yes
	PermitRootLogin yes
Match Address 10.0.0.0/8
	PermitEmptyPasswords yes
	PasswordAuthentication no
Match all
	PermitRootLogin no
	KbdInteractiveAuthentication no
Match User carol
	PermitRootLogin yes
`,
	}},
	{"include inside match, match inside include", map[string]string{
		"sshd_config": "Match User bob\nInclude @DIR@/inc/*.conf\nPasswordAuthentication no\nMatch User dave\nInclude @DIR@/inc2.conf\n",
		"inc/a.conf":  "PermitEmptyPasswords yes\nMatch Address 10.0.0.0/8\nPermitRootLogin yes\n",
		"inc2.conf":   "PermitRootLogin yes\n",
	}},
	{"match in an include ends with it", map[string]string{
		"sshd_config": "Include @DIR@/m.conf\nPermitEmptyPasswords yes\npermitrootlogin=yes\nPermitRootLogin no\n",
		"m.conf":      "Match User alice\nPasswordAuthentication no\n",
	}},
}

var connections = []conn{
	{"root", netip.MustParseAddr("192.0.2.1")},
	{"alice", netip.MustParseAddr("192.0.2.1")},
	{"bob", netip.MustParseAddr("10.1.2.3")},
	{"bob", netip.MustParseAddr("192.0.2.1")},
	{"carol", netip.MustParseAddr("192.0.2.1")},
	{"dave", netip.MustParseAddr("10.9.9.9")},
}

var keywords = []string{"permitrootlogin", "passwordauthentication", "permitemptypasswords", "kbdinteractiveauthentication", "usepam", "port"}

// TestAgainstSshd compares the configuration read with what OpenSSH's
// own sshd -T prints for the same files, for every connection and
// without one.
func TestAgainstSshd(t *testing.T) {
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
		if _, err := os.Stat(sshd); err != nil {
			if os.Getenv(requireEnv) == "1" {
				t.Fatalf("%s=1 but sshd is not installed", requireEnv)
			}
			t.Skip("sshd (openssh-server) is not installed: nothing to compare with")
		}
	}
	if os.Geteuid() != 0 {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s=1 but not root: sshd -T reads the host keys", requireEnv)
		}
		t.Skip("sshd -T reads the host keys: needs root")
	}
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range fx.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(strings.ReplaceAll(content, "@DIR@", dir)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			main := filepath.Join(dir, "sshd_config")
			cfg, err := Load(osReader{}, main)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Skipped != 0 {
				t.Errorf("skipped %v", cfg.Malformed)
			}
			want := sshdT(t, sshd, main, "")
			for _, kw := range keywords {
				if got := norm(cfg.Effective(kw).Value); got != want[kw] {
					t.Errorf("no connection: %s = %q, sshd -T says %q", kw, got, want[kw])
				}
			}
			for _, cn := range connections {
				want := sshdT(t, sshd, main, cn.arg())
				for _, kw := range keywords {
					if got := norm(forConn(cfg, cn, kw)); got != want[kw] {
						t.Errorf("%s: %s = %q, sshd -T says %q", cn.arg(), kw, got, want[kw])
					}
				}
				// ForMatch agrees for connections that match exactly one
				// conditional block.
				var only []string
				for _, b := range cfg.Matches {
					if !b.All && cn.matches(b.Criteria) {
						only = append(only, b.Criteria)
					}
				}
				if len(only) == 1 {
					for _, kw := range keywords {
						if got := norm(cfg.ForMatch(only[0], kw).Value); got != want[kw] {
							t.Errorf("%s: ForMatch(%q) %s = %q, sshd -T says %q", cn.arg(), only[0], kw, got, want[kw])
						}
					}
				}
			}
		})
	}
}

// sshdT runs sshd -T on a configuration, for a connection when spec is
// set, and returns the keywords' values.
func sshdT(t *testing.T, sshd, file, spec string) map[string]string {
	t.Helper()
	args := []string{"-T", "-f", file}
	if spec != "" {
		args = append(args, "-C", spec)
	}
	out, err := exec.Command(sshd, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("sshd %v: %v\n%s", args, err, out)
	}
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		if _, ok := vals[k]; !ok {
			vals[k] = norm(v)
		}
	}
	return vals
}

// norm makes the spellings of one value equal: prohibit-password is
// printed without-password.
func norm(v string) string {
	if v == "prohibit-password" {
		return "without-password"
	}
	return v
}

func TestConditionalAndEffective(t *testing.T) {
	cfg := Parse("/etc/ssh/sshd_config", []byte(fixtures[1].files["sshd_config"]))
	if s := cfg.Effective("passwordauthentication"); s.Value != "no" || s.Line != 1 || s.Default {
		t.Errorf("PasswordAuthentication %+v", s)
	}
	if s := cfg.Effective("permitrootlogin"); s.Value != "no" || !s.All || s.Match != "all" {
		t.Errorf("PermitRootLogin %+v: Match all sets it for every connection", s)
	}
	if s := cfg.Effective("permitemptypasswords"); s.Value != "no" || !s.Default || s.Where() != "OpenSSH default" {
		t.Errorf("PermitEmptyPasswords %+v", s)
	}
	var got []string
	for _, s := range cfg.Conditional("permitrootlogin") {
		got = append(got, s.Match+"="+s.Value)
	}
	// carol's block comes after Match all, which sets the keyword first.
	if d := cmp.Diff([]string{"User alice,bob=yes"}, got); d != "" {
		t.Errorf("Conditional (-want +got):\n%s", d)
	}
	if s := cfg.ForMatch("User alice,bob", "passwordauthentication"); s.Value != "yes" || s.Line != 4 {
		t.Errorf("ForMatch %+v", s)
	}
	if s := cfg.ForMatch("Address 10.0.0.0/8", "kbdinteractiveauthentication"); s.Value != "no" {
		t.Errorf("ForMatch falls back on Match all: %+v", s)
	}
}
