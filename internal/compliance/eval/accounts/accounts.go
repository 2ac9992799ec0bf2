// Package accounts reads /etc/passwd, /etc/shadow and /etc/group and
// tells a password's state and scheme without keeping the hash.
package accounts

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Account is one line of /etc/passwd with its shadow entry. The
// password hash itself is never kept: only its state and scheme.
type Account struct {
	Name  string
	UID   int
	GID   int
	Home  string
	Shell string
	Line  int
	// Shadowed reports whether /etc/shadow has a line for the account.
	Shadowed bool
	// Password is hash, empty, locked or disabled.
	Password string
	// Scheme is the hash's scheme (yescrypt, sha512crypt ...), "" if none.
	Scheme string
	// The shadow ages in days; -1 when the field is empty.
	LastChange, MinDays, MaxDays, WarnDays, InactiveDays, Expire int
}

// Login reports whether the account's shell lets one in (not nologin
// or false).
func (a Account) Login() bool {
	switch path.Base(a.Shell) {
	case "nologin", "false":
		return false
	}
	return true
}

// ParsePasswd reads /etc/passwd.
func ParsePasswd(data []byte) ([]Account, error) {
	var out []Account
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 7 {
			return nil, fmt.Errorf("passwd line %d: %d fields, want 7", i+1, len(f))
		}
		uid, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("passwd line %d: uid %q: %w", i+1, f[2], err)
		}
		gid, err := strconv.Atoi(f[3])
		if err != nil {
			return nil, fmt.Errorf("passwd line %d: gid %q: %w", i+1, f[3], err)
		}
		a := Account{Name: f[0], UID: uid, GID: gid, Home: f[5], Shell: f[6], Line: i + 1,
			LastChange: -1, MinDays: -1, MaxDays: -1, WarnDays: -1, InactiveDays: -1, Expire: -1}
		// A passwd password field other than "x" is the hash itself.
		if f[1] != "x" {
			a.Password, a.Scheme = State(f[1])
		}
		out = append(out, a)
	}
	return out, nil
}

// ApplyShadow adds the shadow entries of data to accounts.
func ApplyShadow(accounts []Account, data []byte) error {
	idx := map[string]int{}
	for i, a := range accounts {
		idx[a.Name] = i
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 9 {
			return fmt.Errorf("shadow line %d: %d fields, want 9", i+1, len(f))
		}
		j, ok := idx[f[0]]
		if !ok {
			continue
		}
		a := &accounts[j]
		a.Shadowed = true
		a.Password, a.Scheme = State(f[1])
		nums := []*int{&a.LastChange, &a.MinDays, &a.MaxDays, &a.WarnDays, &a.InactiveDays, &a.Expire}
		for k, p := range nums {
			s := f[2+k]
			if s == "" {
				*p = -1
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("shadow line %d: field %d %q is not a number", i+1, 3+k, s)
			}
			*p = n
		}
	}
	return nil
}

// schemes maps a crypt prefix to its scheme's name.
var schemes = []struct{ prefix, name string }{
	{"$y$", "yescrypt"}, {"$gy$", "gost-yescrypt"}, {"$7$", "scrypt"},
	{"$6$", "sha512crypt"}, {"$5$", "sha256crypt"}, {"$1$", "md5crypt"},
	{"$2a$", "bcrypt"}, {"$2b$", "bcrypt"}, {"$2y$", "bcrypt"}, {"$sha1$", "sha1crypt"},
	{"$md5", "sunmd5"}, {"_", "bsdicrypt"},
}

// State tells a password field's state (hash, empty, locked or
// disabled) and its hash's scheme. A field starting with ! is locked
// (its hash's scheme is still told); * and other non-hashes are
// disabled.
func State(field string) (state, scheme string) {
	switch {
	case field == "":
		return "empty", ""
	case strings.HasPrefix(field, "!"):
		_, sc := State(strings.TrimLeft(field, "!"))
		return "locked", sc
	}
	for _, s := range schemes {
		if strings.HasPrefix(field, s.prefix) {
			return "hash", s.name
		}
	}
	if len(field) == 13 && isCryptChars(field) {
		return "hash", "descrypt"
	}
	return "disabled", ""
}

func isCryptChars(s string) bool {
	for _, c := range s {
		if !(c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// Group is one line of /etc/group.
type Group struct {
	Name    string
	GID     int
	Members []string
	Line    int
}

// ParseGroup reads /etc/group.
func ParseGroup(data []byte) ([]Group, error) {
	var out []Group
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 4 {
			return nil, fmt.Errorf("group line %d: %d fields, want 4", i+1, len(f))
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("group line %d: gid %q: %w", i+1, f[2], err)
		}
		g := Group{Name: f[0], GID: gid, Line: i + 1}
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				g.Members = append(g.Members, m)
			}
		}
		out = append(out, g)
	}
	return out, nil
}
