package systemd

import (
	"testing"

	"github.com/vigilsec/vigil/internal/compliance/eval/hostfs"
)

func TestLookup(t *testing.T) {
	src := hostfs.New("../testdata/root")
	cases := []struct {
		name, state, file string
		enabled           bool
	}{
		{"ssh", "enabled", "/lib/systemd/system/ssh.service", true},
		{"sshd.service", "enabled", "/lib/systemd/system/ssh.service", true},
		{"rsync", "masked", "", false},
		{"auditd", "disabled", "/lib/systemd/system/auditd.service", false},
		{"nope.socket", "not-found", "", false},
	}
	for _, c := range cases {
		u, err := Lookup(src, c.name)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if u.State() != c.state || u.File != c.file || u.Enabled() != c.enabled {
			t.Errorf("%s: %+v (state %s)", c.name, u, u.State())
		}
	}
	u, _ := Lookup(src, "ssh")
	if u.ExecStart != "/usr/sbin/sshd" || len(u.Install) != 2 {
		t.Errorf("unit file: %+v", u)
	}
	if n, ok := template("getty@tty1.service"); !ok || n != "getty@.service" {
		t.Errorf("template: %q", n)
	}
}
