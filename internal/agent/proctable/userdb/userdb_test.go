package userdb

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParsePasswd(t *testing.T) {
	in := "root:x:0:0:root:/root:/bin/bash\r\n# comment\n\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
		"toor:x:0:0::/:/bin/sh\nbroken:x:1\n+nis::::::\nweird:x:abc:0::/:/bin/sh\n"
	got, err := ParsePasswd([]byte(in))
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("err = %v, want ErrMalformed for the broken line", err)
	}
	want := map[uint32]string{0: "root", 65534: "nobody"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	g, err := ParseGroup([]byte("root:x:0:\nadm:x:4:syslog,alice\n"))
	if err != nil || g[4] != "adm" || g[0] != "root" {
		t.Errorf("group: %v %v", g, err)
	}
}

// TestNoticesChanges: a rewritten file is read again.
func TestNoticesChanges(t *testing.T) {
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		t.Helper()
		tmp := filepath.Join(etc, name+".new")
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(etc, name)); err != nil {
			t.Fatal(err)
		}
	}
	write("passwd", "root:x:0:0::/:/bin/sh\n")
	write("group", "root:x:0:\n")
	db := New(root)
	if db.UserName(0) != "root" || db.UserName(1000) != "" || db.GroupName(0) != "root" {
		t.Fatalf("first read: %q %q", db.UserName(0), db.UserName(1000))
	}
	write("passwd", "root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n")
	write("group", "root:x:0:\nalice:x:1000:\n")
	deadline := time.Now().Add(10 * time.Second)
	for db.UserName(1000) != "alice" || db.GroupName(1000) != "alice" {
		if time.Now().After(deadline) {
			t.Fatalf("change not noticed: %q %q", db.UserName(1000), db.GroupName(1000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := os.Remove(filepath.Join(etc, "passwd")); err != nil {
		t.Fatal(err)
	}
	for db.UserName(0) != "" {
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatal("removal not noticed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if db.Errors() != 0 {
		t.Errorf("errors %d", db.Errors())
	}
}

func TestRealHost(t *testing.T) {
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Skip("no /etc/passwd")
	}
	if n := New("/").UserName(0); n != "root" {
		t.Errorf("uid 0 is %q", n)
	}
}

func FuzzParsePasswd(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/bin/false\n"))
	f.Add([]byte("a:b:c\n::::\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func([]byte) (map[uint32]string, error){ParsePasswd, ParseGroup} {
			names, err := parse(b)
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			for _, n := range names {
				if n == "" {
					t.Fatal("empty name accepted")
				}
			}
		}
	})
}
