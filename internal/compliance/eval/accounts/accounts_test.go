package accounts

import (
	"os"
	"testing"
)

func TestAccounts(t *testing.T) {
	list, err := ParsePasswd([]byte("root:x:0:0:root:/root:/bin/bash\nd:x:1:1::/:/usr/sbin/nologin\n+nis\nold:abcdefghijklm:5:5::/:/bin/false\n"))
	if err != nil || len(list) != 3 {
		t.Fatalf("%v %+v", err, list)
	}
	if !list[0].Login() || list[1].Login() || list[2].Login() {
		t.Error("login shells")
	}
	if list[2].Password != "hash" || list[2].Scheme != "descrypt" {
		t.Errorf("a hash in passwd: %+v", list[2])
	}
	err = ApplyShadow(list, []byte("root:$y$j9T$x$y:19700:0:99999:7:::\nd:*:19700:0:99999:7:::\nunknown:x:1:1:1:1:1:1:\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := list[0]
	if r.Password != "hash" || r.Scheme != "yescrypt" || r.MaxDays != 99999 || r.InactiveDays != -1 || r.LastChange != 19700 {
		t.Errorf("root: %+v", r)
	}
	if list[1].Password != "disabled" {
		t.Errorf("*: %+v", list[1])
	}
	for _, bad := range []string{"a:b\n", "a:x:notnum:0:::\n"} {
		if _, err := ParsePasswd([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	if err := ApplyShadow(list, []byte("root:x:abc:0:0:0:::\n")); err == nil {
		t.Error("a bad shadow number must be an error")
	}
}

func TestState(t *testing.T) {
	cases := map[string][2]string{
		"":              {"empty", ""},
		"!":             {"locked", ""},
		"!*":            {"locked", ""},
		"!$6$s$h":       {"locked", "sha512crypt"},
		"*":             {"disabled", ""},
		"x":             {"disabled", ""},
		"$y$j9T$s$h":    {"hash", "yescrypt"},
		"$2b$10$abc":    {"hash", "bcrypt"},
		"$1$s$h":        {"hash", "md5crypt"},
		"$5$s$h":        {"hash", "sha256crypt"},
		"abcdefghijklm": {"hash", "descrypt"},
		"abcdefghijkl!": {"disabled", ""},
	}
	for in, want := range cases {
		st, sc := State(in)
		if st != want[0] || sc != want[1] {
			t.Errorf("State(%q) = %s %s, want %v", in, st, sc, want)
		}
	}
}

func TestThisHost(t *testing.T) {
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Skip("no /etc/passwd")
	}
	if _, err := ParsePasswd(data); err != nil {
		t.Errorf("/etc/passwd: %v", err)
	}
	if g, err := os.ReadFile("/etc/group"); err == nil {
		if _, err := ParseGroup(g); err != nil {
			t.Errorf("/etc/group: %v", err)
		}
	}
}

func TestGroup(t *testing.T) {
	g, err := ParseGroup([]byte("shadow:x:42:\nsudo:x:27:alice, bob\n"))
	if err != nil || len(g) != 2 || len(g[0].Members) != 0 || len(g[1].Members) != 2 || g[1].Members[1] != "bob" {
		t.Errorf("%v %+v", err, g)
	}
	if _, err := ParseGroup([]byte("x:y\n")); err == nil {
		t.Error("want an error")
	}
}
