package unit_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/persist/unit"
)

func TestParse(t *testing.T) {
	in := `# comment
orphan=1
[Unit]
Description=Demo \
# dropped inside a continuation
  service
; other comment
[Service]
ExecStartPre=/bin/true
ExecStart=/usr/bin/a --x
ExecStart=
ExecStart=/usr/bin/b \
    --long-option
User = nobody
User=daemon
garbage line
[Broken
Key=ignored
[Install]
WantedBy=multi-user.target
`
	f := unit.Parse([]byte(in))
	want := []unit.Entry{
		{Line: 4, Section: "Unit", Key: "Description", Value: "Demo    service"},
		{Line: 9, Section: "Service", Key: "ExecStartPre", Value: "/bin/true"},
		{Line: 10, Section: "Service", Key: "ExecStart", Value: "/usr/bin/a --x"},
		{Line: 11, Section: "Service", Key: "ExecStart", Value: ""},
		{Line: 12, Section: "Service", Key: "ExecStart", Value: "/usr/bin/b      --long-option"},
		{Line: 14, Section: "Service", Key: "User", Value: "nobody"},
		{Line: 15, Section: "Service", Key: "User", Value: "daemon"},
		{Line: 20, Section: "Install", Key: "WantedBy", Value: "multi-user.target"},
	}
	if d := cmp.Diff(want, f.Entries); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if f.Problems.Skipped != 4 {
		t.Errorf("skipped %d, want 4: %+v", f.Problems.Skipped, f.Problems.List)
	}
	if got := f.Values("Service", "ExecStart"); !cmp.Equal(got, []string{"/usr/bin/b      --long-option"}) {
		t.Errorf("ExecStart after reset = %q", got)
	}
	if got := f.Value("Service", "User"); got != "daemon" {
		t.Errorf("User = %q", got)
	}
	if got := f.Value("Service", "Group"); got != "" {
		t.Errorf("Group = %q", got)
	}
}

func TestIsUnitName(t *testing.T) {
	for name, want := range map[string]bool{
		"ssh.service": true, "getty@.service": true, "x.timer": true, ".service": false, "README": false, "a.conf": false,
	} {
		if unit.IsUnitName(name) != want {
			t.Errorf("IsUnitName(%q) = %v", name, !want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[Unit]\nDescription=x\n[Service]\nExecStart=/bin/sh -c 'id' \\\n  # c\n  more\n"))
	f.Add([]byte("a=b\n[\n[]\n[X]\n=\n;x\n\\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := unit.Parse(data)
		for _, e := range p.Entries {
			if e.Section == "" || e.Key == "" {
				t.Fatalf("entry %+v", e)
			}
		}
		_ = p.Values("Service", "ExecStart")
	})
}
