package sudoers_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/sudoers"
)

func TestWalk(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"etc/sudoers": "root ALL=(ALL) ALL\n@include sudoers.d/%h\n#includedir /etc/sudoers.d\nalice ALL=(ALL) ALL\n" +
			"@include /etc/missing\n@include /etc/sudoers\n",
		"etc/sudoers.d/web-1":   "%ops ALL=(ALL) NOPASSWD: ALL\nnot a rule\n",
		"etc/sudoers.d/README.": "ignored ALL=(ALL) ALL\n",
		"etc/sudoers.d/b~":      "ignored ALL=(ALL) ALL\n",
		"etc/sudoers.d/z":       "bob ALL=(ALL) ALL\n#include loop\n",
		"etc/sudoers.d/loop":    "#include loop2\n",
		"etc/sudoers.d/loop2":   "#include \"lo\\op\"\n",
	}
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	skipped, err := sudoers.Walk(fsys, "/etc/sudoers", "web-1", 1<<20, func(v sudoers.Visit) {
		s := v.File + ": " + v.Text
		if v.Target != "" {
			s += " -> " + v.Target
		}
		got = append(got, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/etc/sudoers: root ALL=(ALL) ALL",
		"/etc/sudoers: @include sudoers.d/%h -> /etc/sudoers.d/web-1",
		"/etc/sudoers.d/web-1: %ops ALL=(ALL) NOPASSWD: ALL",
		"/etc/sudoers: #includedir /etc/sudoers.d -> /etc/sudoers.d",
		"/etc/sudoers.d/loop: #include loop2 -> /etc/sudoers.d/loop2",
		`/etc/sudoers.d/loop2: #include "lo\op" -> /etc/sudoers.d/loop`,
		"/etc/sudoers.d/z: bob ALL=(ALL) ALL",
		"/etc/sudoers.d/z: #include loop -> /etc/sudoers.d/loop",
		"/etc/sudoers: alice ALL=(ALL) ALL",
		"/etc/sudoers: @include /etc/missing -> /etc/missing",
		"/etc/sudoers: @include /etc/sudoers -> /etc/sudoers",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if skipped.Count != 1 || len(skipped.List) != 1 || !strings.HasPrefix(skipped.List[0], "/etc/sudoers.d/web-1:2: ") {
		t.Errorf("skipped %+v", skipped)
	}

	// A read error stops the walk.
	if err := os.Remove(filepath.Join(root, "etc/sudoers.d/z")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "etc/missing"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := sudoers.Walk(fsys, "/etc/sudoers", "web-1", 1<<20, func(sudoers.Visit) {}); err == nil {
		t.Error("an include that is a directory: no error")
	}
}

func TestWalkDepth(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc/chain"), 0o755); err != nil {
		t.Fatal(err)
	}
	// c0 includes c1, which includes c2 ...: c129 is one level too deep.
	for i := 0; i <= sudoers.MaxDepth+1; i++ {
		text := fmt.Sprintf("#include c%d\n", i+1)
		if err := os.WriteFile(filepath.Join(root, "etc/chain", fmt.Sprintf("c%d", i)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	skipped, err := sudoers.Walk(fsys, "/etc/chain/c0", "", 1<<20, func(sudoers.Visit) { n++ })
	if err != nil {
		t.Fatal(err)
	}
	if n != sudoers.MaxDepth+1 || skipped.Count != 1 || skipped.List[0] != "/etc/chain/c129: includes nested too deeply" {
		t.Errorf("%d entries, skipped %+v", n, skipped)
	}
}

func TestUnquote(t *testing.T) {
	for in, want := range map[string]string{
		`alice`:             "alice",
		`"Domain Users"`:    "Domain Users",
		`Domain\ Users`:     "Domain Users",
		`"/etc/x\"y"`:       `/etc/x"y`,
		`"`:                 `"`,
		`trailing\`:         `trailing\`,
		`"/etc/sudoers.d"`:  "/etc/sudoers.d",
		`/etc/sudo\ers.d/a`: "/etc/sudoers.d/a",
	} {
		if got := sudoers.Unquote(in); got != want {
			t.Errorf("Unquote(%q) = %q, want %q", in, got, want)
		}
	}
}
