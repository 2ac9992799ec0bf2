package textdiff

import (
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	a := "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n"
	b := "one\ntwo\nTHREE\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven"
	got, cut := Unified("/etc/x", "/etc/x", []byte(a), []byte(b), 4096)
	want := `--- a/etc/x
+++ b/etc/x
@@ -1,6 +1,6 @@
 one
 two
-three
+THREE
 four
 five
 six
@@ -8,3 +8,4 @@
 eight
 nine
 ten
+eleven
\ No newline at end of file
`
	if got != want || cut {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if d, _ := Unified("/a", "/a", []byte(a), []byte(a), 100); d != "" {
		t.Errorf("equal inputs: %q", d)
	}
	long := strings.Repeat("line\n", 2000)
	d, cut := Unified("/a", "/a", nil, []byte(long), 300)
	if !cut || len(d) > 300 || !strings.HasSuffix(d, "(diff truncated)\n") {
		t.Errorf("bounded diff: %d bytes, cut %v:\n%s", len(d), cut, d)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"password = hunter2":        "password = [REDACTED]",
		"  db_password: 's3cr3t'":   "  db_password: [REDACTED]",
		"api_key abc":               "api_key [REDACTED]",
		"listen = 80":               "listen = 80",
		"PermitRootLogin yes":       "PermitRootLogin yes",
		"export GITHUB_TOKEN=ghp_x": "export GITHUB_TOKEN=ghp_x", // the name is not at the line start
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSensitive(t *testing.T) {
	for p, want := range map[string]bool{
		"/etc/shadow": true, "/etc/gshadow-": true, "/root/.ssh/id_ed25519": true, "/root/.ssh/id_ed25519.pub": false,
		"/etc/ssh/ssh_host_rsa_key": true, "/etc/ssh/ssh_host_rsa_key.pub": false, "/etc/nginx/tls.key": true,
		"/etc/ssl/private/x": true, "/etc/passwd": false, "/root/.ssh/authorized_keys": false, "/home/a/.pgpass": true,
	} {
		if got := Sensitive(p); got != want {
			t.Errorf("Sensitive(%q) = %v, want %v", p, got, want)
		}
	}
	if !ContainsSecret([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\n")) || IsText([]byte("a\x00b")) || !IsText([]byte("é\n")) {
		t.Error("content checks")
	}
}

func FuzzUnified(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nB\nc\nd"), 200)
	f.Add([]byte(""), []byte("x"), 10)
	f.Add([]byte("password=1\n"), []byte("password=2\n"), 4096)
	f.Fuzz(func(t *testing.T, a, b []byte, max int) {
		if max < 0 || max > 1<<16 || len(a) > 1<<16 || len(b) > 1<<16 {
			return
		}
		d, _ := Unified("/f", "/f", a, b, max)
		if len(d) > max && max >= len(truncatedNote)+64 {
			t.Fatalf("diff of %d bytes over %d", len(d), max)
		}
		if string(a) == string(b) && d != "" {
			t.Fatal("diff of equal inputs")
		}
		_ = IsText(a)
	})
}
