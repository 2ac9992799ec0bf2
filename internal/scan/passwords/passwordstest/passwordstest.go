// Package passwordstest builds throw-away host roots with accounts for the
// tests of the passwords scan and of the collector that runs it. Where
// the test runs as root and the shadow suite is installed, the accounts
// are made by the real tools (useradd, chpasswd, usermod and passwd with
// --root); elsewhere the account files are written directly, with hashes
// from mkpasswd. Either way every hash comes from the system's crypt(3).
package passwordstest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Account describes one account of a test root.
type Account struct {
	Name string
	// UID0 gives the account uid 0 and gid 0 (useradd -o -u 0 -g 0);
	// otherwise it gets the next free uid from 1000 and gid 100.
	UID0 bool
	// Shell is the login shell ("/bin/bash", "/usr/sbin/nologin").
	Shell string
	// Groups are supplementary groups; they must be in the skeleton
	// (sudo, wheel, adm).
	Groups []string
	// Password is set with Method; "" with Method "" leaves the field
	// as useradd does ("!": no password).
	Password string
	// Method is how the password is hashed: a chpasswd -c method (DES,
	// MD5, SHA256, SHA512, YESCRYPT) or a mkpasswd -m method (bcrypt,
	// bsdicrypt, scrypt ...); "empty" empties the field (passwd -d).
	Method string
	// Rounds is the cost (chpasswd -s, mkpasswd -R); 0: the default.
	Rounds int
	// Lock locks the password afterwards (usermod -L).
	Lock bool
}

// skeleton is the root's starting account files.
var skeleton = map[string]string{
	"passwd":  "root:x:0:0:root:/root:/bin/bash\n",
	"shadow":  "root:*:20000:0:99999:7:::\n",
	"group":   "root:x:0:\nadm:x:4:\nsudo:x:27:\nusers:x:100:\nwheel:x:10:\n",
	"gshadow": "root:*::\nadm:*::\nsudo:*::\nusers:*::\nwheel:*::\n",
}

// chpasswdMethods are the methods chpasswd -c takes, with the mkpasswd
// method that makes the same hashes.
var chpasswdMethods = map[string]string{
	"DES": "descrypt", "MD5": "md5crypt", "SHA256": "sha256crypt", "SHA512": "sha512crypt", "YESCRYPT": "yescrypt",
}

// Root builds a root in a new temporary folder with the skeleton's
// accounts (root with a "*" field), the given accounts in order (an
// account named "root" sets root's password), and /etc/hostname. The
// test skips when mkpasswd is missing.
func Root(t testing.TB, host string, accounts []Account) string {
	t.Helper()
	if _, err := exec.LookPath("mkpasswd"); err != nil {
		t.Skip("mkpasswd is not installed (Debian package whois)")
	}
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	if err := os.Mkdir(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range skeleton {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "shadow") {
			mode = 0o600
		}
		if err := os.WriteFile(filepath.Join(etc, name), []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(etc, "hostname"), []byte(host+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := builder{t: t, root: root, tools: UsesTools()}
	for _, a := range accounts {
		b.add(a)
	}
	return root
}

// UsesTools reports whether Root makes accounts with the shadow suite's
// tools: as root, with useradd, usermod, chpasswd and passwd installed.
func UsesTools() bool {
	if os.Geteuid() != 0 {
		return false
	}
	for _, tool := range []string{"useradd", "usermod", "chpasswd", "passwd"} {
		if _, err := exec.LookPath(tool); err != nil {
			return false
		}
	}
	return true
}

type builder struct {
	t     testing.TB
	root  string
	tools bool
	// nextUID is the next uid the direct writer gives.
	nextUID int
}

func (b *builder) add(a Account) {
	b.t.Helper()
	if a.Name != "root" {
		if b.tools {
			args := []string{"--root", b.root, "-s", a.Shell}
			if a.UID0 {
				args = append(args, "-o", "-u", "0", "-g", "0")
			}
			if len(a.Groups) > 0 {
				args = append(args, "-G", strings.Join(a.Groups, ","))
			}
			b.run(nil, "useradd", append(args, a.Name)...)
		} else {
			b.writeAccount(a)
		}
	}
	b.setPassword(a.Name, a.Password, a.Method, a.Rounds)
	if a.Lock {
		if b.tools {
			b.run(nil, "usermod", "--root", b.root, "-L", a.Name)
		} else {
			b.setField(a.Name, "!"+b.field(a.Name))
		}
	}
}

// setPassword sets an account's password with method (see Account).
func (b *builder) setPassword(name, password, method string, rounds int) {
	b.t.Helper()
	switch {
	case method == "empty":
		if b.tools {
			b.run(nil, "passwd", "--root", b.root, "-d", name)
		} else {
			b.setField(name, "")
		}
	case method == "":
	case b.tools && chpasswdMethods[method] != "":
		args := []string{"--root", b.root, "-c", method}
		if rounds > 0 {
			args = append(args, "-s", strconv.Itoa(rounds))
		}
		b.run([]byte(name+":"+password+"\n"), "chpasswd", args...)
	default:
		if m := chpasswdMethods[method]; m != "" {
			method = m
		}
		hash := Mkpasswd(b.t, password, method, rounds)
		if b.tools {
			b.run(nil, "usermod", "--root", b.root, "-p", hash, name)
		} else {
			b.setField(name, hash)
		}
	}
}

// run runs a shadow tool with stdin.
func (b *builder) run(stdin []byte, name string, args ...string) {
	b.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.t.Fatalf("%s %s: %v: %s", name, strings.Join(args[2:], " "), err, stderr.Bytes())
	}
}

// writeAccount appends an account as useradd would: the next uid from
// 1000 (or 0), gid 100 (or 0), home /home/NAME, "!" in shadow.
func (b *builder) writeAccount(a Account) {
	b.t.Helper()
	if b.nextUID == 0 {
		b.nextUID = 1000
	}
	uid, gid := b.nextUID, 100
	if a.UID0 {
		uid, gid = 0, 0
	} else {
		b.nextUID++
	}
	b.appendLine("passwd", fmt.Sprintf("%s:x:%d:%d::/home/%s:%s", a.Name, uid, gid, a.Name, a.Shell))
	b.appendLine("shadow", a.Name+":!:20000::::::")
	for _, g := range a.Groups {
		b.editLines("group", func(f []string) []string {
			if f[0] == g {
				if f[3] != "" {
					f[3] += ","
				}
				f[3] += a.Name
			}
			return f
		})
	}
}

func (b *builder) appendLine(file, line string) {
	b.t.Helper()
	path := filepath.Join(b.root, "etc", file)
	data, err := os.ReadFile(path)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, line+"\n"...), 0o600); err != nil {
		b.t.Fatal(err)
	}
}

// editLines rewrites each line of an account file through edit.
func (b *builder) editLines(file string, edit func([]string) []string) {
	b.t.Helper()
	path := filepath.Join(b.root, "etc", file)
	data, err := os.ReadFile(path)
	if err != nil {
		b.t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(edit(strings.Split(l, ":")), ":")
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		b.t.Fatal(err)
	}
}

func (b *builder) setField(name, value string) {
	b.editLines("shadow", func(f []string) []string {
		if f[0] == name {
			f[1] = value
		}
		return f
	})
}

func (b *builder) field(name string) string {
	for _, f := range ShadowFields(b.t, b.root) {
		if f[0] == name {
			return f[1]
		}
	}
	b.t.Fatalf("no shadow entry for %s", name)
	return ""
}

// ShadowFields returns the root's shadow lines split at ':'.
func ShadowFields(t testing.TB, root string) [][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "etc", "shadow"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		out = append(out, strings.Split(l, ":"))
	}
	return out
}

// SetPassword changes an account's password in root as Root sets it.
func SetPassword(t testing.TB, root, name, password, method string) {
	t.Helper()
	b := builder{t: t, root: root, tools: UsesTools()}
	b.setPassword(name, password, method, 0)
}

// Secrets returns what must never leave the host: every hash in root's
// shadow file and its salt and digest parts.
func Secrets(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	for _, f := range ShadowFields(t, root) {
		h := strings.TrimLeft(f[1], "!")
		if len(h) < 13 {
			continue
		}
		out = append(out, h)
		for _, part := range strings.Split(h, "$") {
			if len(part) >= 8 {
				out = append(out, part)
			}
		}
	}
	return out
}

// Mkpasswd hashes password with mkpasswd -m method [-R rounds].
func Mkpasswd(t testing.TB, password, method string, rounds int) string {
	t.Helper()
	args := []string{"-m", method, "--stdin"}
	if rounds > 0 {
		args = append(args, "-R", strconv.Itoa(rounds))
	}
	cmd := exec.Command("mkpasswd", args...)
	cmd.Stdin = strings.NewReader(password)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mkpasswd -m %s: %v: %s", method, err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}

// StrongPassword returns a random password of 24 characters that no
// dictionary holds.
func StrongPassword(t testing.TB) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
