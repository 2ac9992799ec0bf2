// Package shadow parses the shadow(5) and gshadow(5) password databases
// and classifies password fields without keeping them.
//
// A password field is reduced, as soon as it is read, to a Password: lock
// state, whether a usable hash is there, the name of its hashing scheme
// (yescrypt, sha512crypt ...) and a keyed digest that tells two values
// apart without revealing them. The hash itself, or any part of it (salt,
// parameters), is never stored.
//
// Malformed lines (wrong number of fields, empty name, a number field that
// is not a number) are skipped and listed with their line number only:
// the line holds a hash and is never quoted.
package shadow

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// States of a password field.
const (
	// StateHash: the field holds a password hash (possibly locked).
	StateHash = "hash"
	// StateEmpty: the field is empty; the account needs no password.
	StateEmpty = "empty"
	// StateNone: the field holds no usable hash ("*", "!", "!!" ...);
	// password logins are impossible.
	StateNone = "none"
	// StateShadow: passwd's field is "x", the password is in shadow.
	StateShadow = "shadow"
)

// Password describes a password field without holding it.
type Password struct {
	// State is one of the State constants.
	State string
	// Locked is true when the field starts with '!' (passwd -l,
	// usermod -L).
	Locked bool
	// Scheme names the hashing scheme when State is StateHash
	// ("yescrypt", "sha512crypt", "bcrypt" ... or "unknown").
	Scheme string
	// Digest is a keyed digest of the field without its lock marks: it
	// changes when the password does and cannot be turned back into the
	// hash. Empty when there is no hash.
	Digest string
}

// Classify reduces a password field to a Password; key keys the digest.
func Classify(field string, key []byte) Password {
	var p Password
	if field == "x" {
		p.State = StateShadow
		return p
	}
	rest := strings.TrimLeft(field, "!")
	p.Locked = len(rest) < len(field)
	switch {
	case field == "":
		p.State = StateEmpty
	case rest == "" || rest == "*" || strings.HasPrefix(rest, "*") || rest == "x":
		p.State = StateNone
	default:
		p.Scheme = Scheme(rest)
		if p.Scheme == "" {
			p.State = StateNone
			return p
		}
		p.State = StateHash
		m := hmac.New(sha256.New, key)
		m.Write([]byte(rest))
		p.Digest = base64.RawStdEncoding.EncodeToString(m.Sum(nil)[:12])
	}
	return p
}

// prefixes maps crypt(5) prefixes to scheme names, longest first where
// one prefix begins another.
var prefixes = []struct{ prefix, name string }{
	{"$y$", "yescrypt"},
	{"$gy$", "gost-yescrypt"},
	{"$7$", "scrypt"},
	{"$2b$", "bcrypt"},
	{"$2a$", "bcrypt"},
	{"$2x$", "bcrypt"},
	{"$2y$", "bcrypt"},
	{"$6$", "sha512crypt"},
	{"$5$", "sha256crypt"},
	{"$sha1$", "sha1crypt"},
	{"$md5$", "sunmd5"},
	{"$md5,", "sunmd5"},
	{"$1$", "md5crypt"},
	{"$3$", "nthash"},
	{"$argon2id$", "argon2id"},
	{"$argon2i$", "argon2i"},
	{"$argon2d$", "argon2d"},
}

// Scheme names the hashing scheme of a hash (without lock marks), or ""
// when the value cannot be a hash crypt(3) would accept (too short, or
// characters no scheme produces). Unrecognised "$id$" values are
// "unknown".
func Scheme(hash string) string {
	for _, p := range prefixes {
		if strings.HasPrefix(hash, p.prefix) {
			return p.name
		}
	}
	switch {
	case strings.HasPrefix(hash, "$"):
		if strings.Count(hash, "$") >= 2 {
			return "unknown"
		}
		return ""
	case len(hash) == 20 && hash[0] == '_' && cryptChars(hash[1:]):
		return "bsdicrypt"
	case len(hash) == 13 && cryptChars(hash):
		return "descrypt"
	case len(hash) == 24 && cryptChars(hash):
		return "bigcrypt"
	}
	return ""
}

// cryptChars reports whether s uses only crypt's base-64 alphabet.
func cryptChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// Entry is one line of shadow(5). Day counts are -1 when empty.
type Entry struct {
	Line     int
	Name     string
	Password Password
	// LastChange is the day of the last password change, in days since
	// 1970-01-01 (0 forces a change at next login).
	LastChange int64
	// MinDays, MaxDays, WarnDays, InactiveDays: password ageing.
	MinDays, MaxDays, WarnDays, InactiveDays int64
	// Expire is the day the account expires, in days since 1970-01-01.
	Expire int64
}

// File is a parsed shadow file.
type File struct {
	Entries  []Entry
	Problems textfile.Problems
}

// Parse parses shadow data. Lines have nine fields (the last reserved);
// the old five-field form is accepted too.
func Parse(data []byte, key []byte) File {
	var f File
	for n, line := range textfile.Lines(data) {
		if textfile.Blank(line) || textfile.Comment(line, '#') {
			continue
		}
		fields := strings.Split(string(line), ":")
		if len(fields) != 9 && len(fields) != 5 {
			f.Problems.Skip(n, "want 9 colon-separated fields, have "+strconv.Itoa(len(fields)))
			continue
		}
		for len(fields) < 9 {
			fields = append(fields, "")
		}
		e := Entry{Line: n, Name: fields[0]}
		if e.Name == "" {
			f.Problems.Skip(n, "empty account name")
			continue
		}
		nums := []*int64{&e.LastChange, &e.MinDays, &e.MaxDays, &e.WarnDays, &e.InactiveDays, &e.Expire}
		ok := true
		for i, dst := range nums {
			if *dst, ok = days(fields[2+i]); !ok {
				f.Problems.Skip(n, "field "+strconv.Itoa(3+i)+" is not a number")
				break
			}
		}
		if !ok {
			continue
		}
		e.Password = Classify(fields[1], key)
		f.Entries = append(f.Entries, e)
	}
	return f
}

// days parses a day count; empty is -1.
func days(s string) (int64, bool) {
	if s == "" {
		return -1, true
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < -1 || v > 1<<31 {
		return 0, false
	}
	return v, true
}

// Date formats a day count since 1970-01-01 as YYYY-MM-DD, "" when unset.
func Date(days int64) string {
	if days < 0 {
		return ""
	}
	return time.Unix(days*86400, 0).UTC().Format(time.DateOnly)
}

// GroupEntry is one line of gshadow(5).
type GroupEntry struct {
	Line     int
	Name     string
	Password Password
	// Admins may change the group's password and members (gpasswd).
	Admins []string
	// Members may use newgrp without the group's password.
	Members []string
}

// GroupFile is a parsed gshadow file.
type GroupFile struct {
	Entries  []GroupEntry
	Problems textfile.Problems
}

// ParseGroups parses gshadow data: four fields a line.
func ParseGroups(data []byte, key []byte) GroupFile {
	var f GroupFile
	for n, line := range textfile.Lines(data) {
		if textfile.Blank(line) || textfile.Comment(line, '#') {
			continue
		}
		fields := strings.Split(string(line), ":")
		if len(fields) != 4 {
			f.Problems.Skip(n, "want 4 colon-separated fields, have "+strconv.Itoa(len(fields)))
			continue
		}
		if fields[0] == "" {
			f.Problems.Skip(n, "empty group name")
			continue
		}
		f.Entries = append(f.Entries, GroupEntry{
			Line: n, Name: fields[0], Password: Classify(fields[1], key),
			Admins: List(fields[2]), Members: List(fields[3]),
		})
	}
	return f
}

// List splits a comma-separated list of names, dropping empty items.
func List(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
