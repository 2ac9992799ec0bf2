package conf

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// mapSource is a host of files in memory.
type mapSource map[string]string

func (m mapSource) ReadFile(p string) ([]byte, error) {
	if s, ok := m[p]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
}

func (m mapSource) Glob(pattern string) ([]string, error) {
	var out []string
	for p := range m {
		if ok, err := path.Match(pattern, p); err != nil {
			return nil, err
		} else if ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func TestSSHD(t *testing.T) {
	src := mapSource{
		"/etc/ssh/sshd_config": "# c\nInclude sshd_config.d/*.conf\nPermitRootLogin yes\nPort 22\nPort 2222\n" +
			"Banner \"/etc/issue net\"  # comment\nMatch User x\n  PasswordAuthentication yes\n",
		"/etc/ssh/sshd_config.d/a.conf": "passwordauthentication=no\nChallengeResponseAuthentication no\nMatch all\nMaxSessions 2\n",
		"/etc/ssh/sshd_config.d/b.conf": "PasswordAuthentication yes\nMaxSessions 3\n",
	}
	cfg, err := ParseSSHD(src, "/etc/ssh/sshd_config")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ key, want, file string }{
		{"PasswordAuthentication", "no", "/etc/ssh/sshd_config.d/a.conf"},
		{"KbdInteractiveAuthentication", "no", "/etc/ssh/sshd_config.d/a.conf"},
		{"permitrootlogin", "yes", "/etc/ssh/sshd_config"},
		{"Port", "22 2222", "/etc/ssh/sshd_config"},
		{"Banner", "/etc/issue net", "/etc/ssh/sshd_config"},
		{"MaxSessions", "3", "/etc/ssh/sshd_config.d/b.conf"},
	}
	for _, c := range cases {
		e, ok := cfg.Get(c.key)
		if !ok || e.Value != c.want || e.File != c.file {
			t.Errorf("%s: got %+v %v, want %q from %s", c.key, e, ok, c.want, c.file)
		}
	}
	if d, ok := SSHDDefault("MaxAuthTries"); !ok || d != "6" {
		t.Errorf("default MaxAuthTries: %q", d)
	}
	if _, err := ParseSSHD(src, "/etc/ssh/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing main file: %v", err)
	}
	loop := mapSource{"/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\n"}
	if _, err := ParseSSHD(loop, "/etc/ssh/sshd_config"); err == nil || !strings.Contains(err.Error(), "deep") {
		t.Errorf("an include loop: %v", err)
	}
}

func TestSSHDNumber(t *testing.T) {
	for s, want := range map[string]float64{"120": 120, "1m": 60, "1m30s": 90, "2h": 7200, "1w": 604800, "1.5": 1.5} {
		if got, ok := SSHDNumber(s); !ok || got != want {
			t.Errorf("%s: %v %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "m", "1x", "yes"} {
		if _, ok := SSHDNumber(s); ok {
			t.Errorf("%q read as a number", s)
		}
	}
}

func TestKeyValueAndINI(t *testing.T) {
	kv := ParseKeyValue("f", []byte("# x\nA 1\nB\t two words \nA 2\n  # C 3\n"), " ")
	if e, _ := kv.Get("A"); e.Value != "2" || e.Line != 4 {
		t.Errorf("last wins: %+v", e)
	}
	if e, _ := kv.Get("B"); e.Value != "two words" {
		t.Errorf("blank separated: %+v", e)
	}
	if _, ok := kv.Get("C"); ok {
		t.Error("a comment was read")
	}
	eq := ParseKeyValue("f", []byte("GRUB_CMDLINE_LINUX=\"audit=1 quiet\"\nminlen = 14\nbad line\n"), "=")
	if e, _ := eq.Get("GRUB_CMDLINE_LINUX"); e.Value != "audit=1 quiet" {
		t.Errorf("quotes: %+v", e)
	}
	if e, _ := eq.Get("minlen"); e.Value != "14" {
		t.Errorf("spaces around =: %+v", e)
	}
	ini := ParseINI("f", []byte("top=1\n[Journal]\n; c\nCompress = no\n[org/gnome/login-screen]\nbanner-message-enable=true\n[Journal]\nCompress=yes\n"))
	for k, want := range map[string]string{"top": "1", "Journal.Compress": "yes", "org/gnome/login-screen.banner-message-enable": "true"} {
		if e, ok := ini.Get(k); !ok || e.Value != want {
			t.Errorf("%s: %+v", k, e)
		}
	}
}

func TestSysctlOrder(t *testing.T) {
	files := []string{"/etc/sysctl.conf", "/usr/lib/sysctl.d/50-default.conf", "/usr/lib/sysctl.d/99-x.conf",
		"/etc/sysctl.d/99-x.conf", "/run/sysctl.d/10-a.conf", "/run/sysctl.d/99-x.conf"}
	got := SysctlOrder(files)
	want := []string{"/run/sysctl.d/10-a.conf", "/usr/lib/sysctl.d/50-default.conf", "/etc/sysctl.d/99-x.conf", "/etc/sysctl.conf"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v\nwant %v", got, want)
	}
	s := NewSysctl()
	s.Add("a", []byte("net.ipv4.conf.all.rp_filter = 1\nnet/ipv4/ip_forward=1\n; x = 1\n"))
	s.Add("b", []byte("net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.ip_forward = 0\nkernel.x =  1   2\t3\n"))
	for k, want := range map[string]string{"net.ipv4.conf.all.rp_filter": "2", "net.ipv4.ip_forward": "0", "kernel.x": "1 2 3", "net.ipv4.conf.eth0.rp_filter": "2"} {
		if e, ok := s.Get(k); !ok || e.Value != want {
			t.Errorf("%s: %+v", k, e)
		}
	}
	if _, ok := s.Get("x"); ok {
		t.Error("a comment was read")
	}
}

func TestPAM(t *testing.T) {
	src := mapSource{
		"/etc/pam.d/sshd":           "@include common-auth\naccount include system-account\nsession [success=ok ignore=ignore module_unknown=ignore default=bad] pam_selinux.so close\n",
		"/etc/pam.d/common-auth":    "auth required pam_faillock.so preauth deny=5 # comment\n-auth optional pam_x.so\nauth [success=1 default=ignore] /lib/security/pam_unix.so \\\n  nullok\n",
		"/etc/pam.d/system-account": "account required pam_unix.so\nauth required pam_never.so\n",
	}
	p, err := ParsePAM(src, "/etc/pam.d/sshd")
	if err != nil {
		t.Fatal(err)
	}
	if l := p.Select("auth", "pam_faillock.so"); len(l) != 1 || l[0].Line != 1 {
		t.Errorf("faillock: %+v", l)
	} else if v, ok := l[0].Arg("deny"); !ok || v != "5" {
		t.Errorf("deny: %q %v", v, ok)
	}
	if l := p.Select("auth", "pam_unix.so"); len(l) != 1 || l[0].Line != 3 || l[0].Control != "[success=1 default=ignore]" {
		t.Errorf("continued line: %+v", l)
	} else if _, ok := l[0].Arg("nullok"); !ok {
		t.Error("nullok on the continued line")
	}
	if l := p.Select("auth", "pam_x.so"); len(l) != 1 {
		t.Errorf("-auth: %+v", l)
	}
	if l := p.Select("auth", "pam_never.so"); len(l) != 0 {
		t.Errorf("include takes only the lines of its type: %+v", l)
	}
	if l := p.Select("account", "pam_unix.so"); len(l) != 1 {
		t.Errorf("account include: %+v", l)
	}
	if l := p.Select("session", "pam_selinux.so"); len(l) != 1 || len(l[0].Args) != 1 {
		t.Errorf("bracket control: %+v", l)
	}
}

// TestSSHDDefaultsMatchSSHD compares the defaults table with what this
// machine's sshd prints for an empty configuration.
func TestSSHDDefaultsMatchSSHD(t *testing.T) {
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		t.Skip("sshd is not installed here")
	}
	keys, _ := filepath.Glob("/etc/ssh/ssh_host_*_key")
	if len(keys) == 0 {
		t.Skip("no host key to run sshd -T with")
	}
	empty := filepath.Join(t.TempDir(), "sshd_config")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sshd, "-T", "-f", empty, "-h", keys[0]).Output()
	if err != nil {
		t.Skipf("sshd -T: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok || k == "listenaddress" || k == "hostkey" {
			continue
		}
		if d, known := SSHDDefault(k); known && d != v {
			t.Errorf("%s: table %q, sshd %q", k, d, v)
		}
	}
}
