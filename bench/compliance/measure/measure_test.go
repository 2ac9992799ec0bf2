package measure

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEvalChild evaluates the shipped policy on a folder standing for
// a Debian 12 host and reads back what the child prints.
func TestEvalChild(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "os-release"), []byte("ID=debian\nVERSION_ID=\"12\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EvalChild(context.Background(), "cis_debian12", root, &buf); err != nil {
		t.Fatal(err)
	}
	var st EvalStats
	if err := json.Unmarshal(buf.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	c := st.Report.Counts
	if !st.Report.Applicable || c.Total < 250 || c.Pass+c.Fail == 0 {
		t.Errorf("report: applicable %v, counts %+v", st.Report.Applicable, c)
	}
	if st.Eval <= 0 || st.SelfMaxRSS <= 0 || st.Alloc == 0 || st.Mallocs == 0 {
		t.Errorf("figures missing: %+v", st)
	}
}

func TestRunMeasuresAChild(t *testing.T) {
	out, u, err := Run(exec.Command("/bin/sh", "-c", "echo hello; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) != "hello" || u.Wall <= 0 || u.CPU() <= 0 || u.MaxRSS <= 0 {
		t.Errorf("out %q, usage %+v", out, u)
	}
	_, _, err = Run(exec.Command("/bin/sh", "-c", "echo broken >&2; exit 3"), nil)
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("error %v, want the child's error output", err)
	}
}

func TestLoadShippedUnknown(t *testing.T) {
	if _, err := LoadShipped("no_such_policy"); err == nil {
		t.Error("no error for an unknown policy")
	}
}

// TestStartSSHD starts the host's real sshd on a loopback port and
// stops it.
func TestStartSSHD(t *testing.T) {
	const sshd = "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Skip("openssh-server is not installed here")
	}
	if os.Geteuid() != 0 {
		t.Skip("sshd listens only when started as root")
	}
	s, err := StartSSHD(context.Background(), sshd)
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil || host != "127.0.0.1" {
		t.Errorf("address %q, want a loopback one", s.Addr)
	}
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	banner := make([]byte, 4)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(banner); err != nil || string(banner) != "SSH-" {
		t.Errorf("banner %q, %v", banner, err)
	}
	c.Close()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		c.Close()
		t.Error("sshd still listening after Stop")
	}
}
