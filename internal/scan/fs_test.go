package scan

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestResolveInRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"opt/app/releases/v2/lib", "srv"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"opt/app/current": "/opt/app/releases/v2", // absolute: inside the root
		"opt/app/rel":     "releases/v2",
		"srv/up":          "../../../../opt/app", // climbs no higher than the root
		"srv/loop":        "loop",
		"srv/dangling":    "/nowhere",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		in, want string
		err      error
	}{
		{"/", ".", nil},
		{"/opt/app", "opt/app", nil},
		{"/opt/app/current/lib", "opt/app/releases/v2/lib", nil},
		{"/opt/app/rel/lib", "opt/app/releases/v2/lib", nil},
		{"/srv/up/current", "opt/app/releases/v2", nil},
		{"/opt/../../srv", "srv", nil},
		{"//opt/./app/", "opt/app", nil},
		{"/srv/missing", "", fs.ErrNotExist},
		{"/srv/dangling", "", fs.ErrNotExist},
		{"/srv/loop", "", errTooManyLinks},
	}
	for _, tt := range tests {
		got, err := resolveInRoot(root, tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("resolveInRoot(%q) error %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("resolveInRoot(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestPrune(t *testing.T) {
	got := prune([]string{"srv/a/b", "srv/a-b", "srv/a", "opt", "opt", "srv/a-b/c", "var/x"})
	want := []string{"opt", "srv/a", "srv/a-b", "var/x"}
	if len(got) != len(want) {
		t.Fatalf("prune = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("prune = %q, want %q", got, want)
		}
	}
	if got := prune([]string{".", "srv"}); len(got) != 1 || got[0] != "." {
		t.Errorf("prune with the root = %q", got)
	}
}
