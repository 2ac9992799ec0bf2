package group_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/group"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/shadow"
)

func TestParse(t *testing.T) {
	x := shadow.Password{State: shadow.StateShadow}
	tests := []struct {
		name    string
		in      string
		want    []group.Entry
		skipped int
	}{
		{"members", "sudo:x:27:alice,bob\nroot:x:0:\n", []group.Entry{
			{Line: 1, Name: "sudo", Password: x, GID: 27, Members: []string{"alice", "bob"}},
			{Line: 2, Name: "root", Password: x},
		}, 0},
		{"empty items dropped", "g:x:5:,a,,b,\n", []group.Entry{
			{Line: 1, Name: "g", Password: x, GID: 5, Members: []string{"a", "b"}},
		}, 0},
		{"compat", "+:::\n", []group.Entry{
			{Line: 1, Name: "+", Password: shadow.Password{State: shadow.StateEmpty}, GID: -1, Compat: true},
		}, 0},
		{"malformed", "a:x:1\nb:x:x:\n:x:1:\nc:x:-1:\n", nil, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := group.Parse([]byte(tt.in), nil)
			if d := cmp.Diff(tt.want, f.Entries); d != "" {
				t.Errorf("entries (-want +got):\n%s", d)
			}
			if f.Problems.Skipped != tt.skipped {
				t.Errorf("skipped %d, want %d", f.Problems.Skipped, tt.skipped)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("sudo:x:27:alice,bob\nroot:x:0:\n+:::\n"))
	f.Add([]byte("a:!:1:,,\n::::\n#x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range group.Parse(data, nil).Entries {
			if e.Name == "" || (!e.Compat && e.GID < 0) {
				t.Fatalf("entry %+v", e)
			}
			for _, m := range e.Members {
				if m == "" {
					t.Fatalf("empty member in %+v", e)
				}
			}
		}
	})
}
