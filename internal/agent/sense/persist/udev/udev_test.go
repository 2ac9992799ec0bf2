package udev_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/persist/udev"
)

func TestParse(t *testing.T) {
	in := `# persistence through udev
ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth*", RUN+="/usr/local/bin/ifup-hook %k"
SUBSYSTEM=="usb", ATTR{idVendor}=="1234", \
    MODE="0666", RUN{program}+="/bin/sh -c 'echo \"hi\" > /dev/shm/x'"
KERNEL=="sd*", PROGRAM="/lib/udev/scsi_id -g $devnode", IMPORT{program}="/bin/probe", RUN{builtin}+="kmod load x"
ENV{X}="1",RUN+=e"/bin/a\\b"
KERNEL=="x" RUN+="/bin/b"
KERNEL=="x", RUN+=/bin/unquoted
KERNEL=="x", RUN+="/bin/unterminated
, =="x"
KERNEL"x"
`
	f := udev.Parse([]byte(in))
	if len(f.Rules) != 5 {
		t.Fatalf("rules: %+v", f.Rules)
	}
	var cmds [][]string
	for _, r := range f.Rules {
		cmds = append(cmds, r.Commands())
	}
	want := [][]string{
		{"/usr/local/bin/ifup-hook %k"},
		{`/bin/sh -c 'echo "hi" > /dev/shm/x'`},
		{"/lib/udev/scsi_id -g $devnode", "/bin/probe"},
		{`/bin/a\b`},
		{"/bin/b"},
	}
	if d := cmp.Diff(want, cmds); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
	if got := f.Rules[1]; got.Line != 3 || got.Pairs[1] != (udev.Pair{Key: "ATTR", Attr: "idVendor", Op: "==", Value: "1234"}) {
		t.Errorf("rule 2: %+v", got)
	}
	if f.Problems.Skipped != 4 {
		t.Errorf("skipped %d, want 4: %+v", f.Problems.Skipped, f.Problems.List)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("ACTION==\"add\", RUN+=\"/bin/x %k\"\nA{b}=e\"\\\"\",\\\n C:=\"d\"\n"))
	f.Add([]byte("=\"\nK{\n#\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range udev.Parse(data).Rules {
			if len(r.Pairs) == 0 || r.Text == "" {
				t.Fatalf("rule %+v", r)
			}
			for _, p := range r.Pairs {
				if p.Key == "" || p.Op == "" {
					t.Fatalf("pair %+v", p)
				}
			}
			_ = r.Commands()
		}
	})
}
