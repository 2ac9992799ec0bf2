// Package pghba reads PostgreSQL's client authentication file
// (pg_hba.conf) and the server settings (postgresql.conf) that locate
// it, as the server does: quoted tokens, comma lists, comments, lines
// continued with a backslash, and the include, include_if_exists and
// include_dir directives of both files.
package pghba

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// ErrMalformed is wrapped by the errors of lines that cannot be read.
var ErrMalformed = errors.New("malformed line")

// Connection types of pg_hba.conf.
const (
	TypeLocal        = "local"
	TypeHost         = "host"
	TypeHostSSL      = "hostssl"
	TypeHostNoSSL    = "hostnossl"
	TypeHostGSSEnc   = "hostgssenc"
	TypeHostNoGSSEnc = "hostnogssenc"
)

var connTypes = map[string]bool{
	TypeLocal: true, TypeHost: true, TypeHostSSL: true, TypeHostNoSSL: true,
	TypeHostGSSEnc: true, TypeHostNoGSSEnc: true,
}

// Entry is one record of pg_hba.conf.
type Entry struct {
	// File and Line locate the record (its first physical line).
	File string
	Line int
	// Type is the connection type (Type* constants).
	Type string
	// Databases and Users are the lists as written, quotes removed.
	Databases, Users []string
	// Address is the client address as written ("all", "samenet",
	// "10.0.0.0/8", "10.0.0.1" with Mask, a host name); "" for local.
	Address string
	// Mask is the separate IP mask field, "" when none.
	Mask string
	// Method is the authentication method, lower-case ("trust",
	// "password", "scram-sha-256" ...).
	Method string
	// Options are the method's options ("map=x"), as written.
	Options []string
}

// Text returns the record's fields joined by single spaces.
func (e *Entry) Text() string {
	parts := []string{e.Type, strings.Join(e.Databases, ","), strings.Join(e.Users, ",")}
	if e.Address != "" {
		parts = append(parts, e.Address)
	}
	if e.Mask != "" {
		parts = append(parts, e.Mask)
	}
	parts = append(parts, e.Method)
	parts = append(parts, e.Options...)
	return strings.Join(parts, " ")
}

// Scope says from where a record lets clients in.
type Scope int

// Scopes of a record's address.
const (
	// ScopeRemote: clients on other hosts (all, samenet, a network or
	// host name other than the loopback).
	ScopeRemote Scope = iota
	// ScopeLocal: Unix-domain socket connections (type local).
	ScopeLocal
	// ScopeLoopback: TCP connections from this host only (127.0.0.0/8,
	// ::1, localhost, samehost).
	ScopeLoopback
)

// String implements fmt.Stringer.
func (s Scope) String() string {
	switch s {
	case ScopeLocal:
		return "local"
	case ScopeLoopback:
		return "loopback"
	}
	return "remote"
}

// Scope returns the record's scope. An address that cannot be read
// counts as remote: the server would refuse the file, and a broken line
// is no reason to hide one.
func (e *Entry) Scope() Scope {
	if e.Type == TypeLocal {
		return ScopeLocal
	}
	switch strings.ToLower(e.Address) {
	case "samehost", "localhost":
		return ScopeLoopback
	case "all", "samenet":
		return ScopeRemote
	}
	p, ok := e.Prefix()
	if !ok {
		return ScopeRemote
	}
	if isLoopbackPrefix(p) {
		return ScopeLoopback
	}
	return ScopeRemote
}

// Prefix returns the record's address as a network ("10.0.0.0/8", or
// the address and Mask); false for a keyword or a host name.
func (e *Entry) Prefix() (netip.Prefix, bool) {
	a := e.Address
	if strings.Contains(a, "/") {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	ip, err := netip.ParseAddr(a)
	if err != nil {
		return netip.Prefix{}, false
	}
	if e.Mask == "" {
		return netip.PrefixFrom(ip, ip.BitLen()), true
	}
	m, err := netip.ParseAddr(e.Mask)
	if err != nil || m.Is4() != ip.Is4() {
		return netip.Prefix{}, false
	}
	bits, ok := maskBits(m.AsSlice())
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(ip, bits).Masked(), true
}

// maskBits returns the length of a contiguous netmask.
func maskBits(m []byte) (int, bool) {
	n, done := 0, false
	for _, b := range m {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) != 0 {
				if done {
					return 0, false
				}
				n++
			} else {
				done = true
			}
		}
	}
	return n, true
}

// isLoopbackPrefix reports whether every address of p is a loopback
// address.
func isLoopbackPrefix(p netip.Prefix) bool {
	a := p.Addr().Unmap()
	bits := p.Bits()
	if p.Addr().Is4In6() {
		bits -= 96
	}
	if a.Is4() {
		return bits >= 8 && a.IsLoopback()
	}
	return bits == 128 && a.IsLoopback()
}

// Token is one token of a line: its text, quotes removed, and whether
// it was quoted (a quoted keyword is a name, not the keyword).
type Token struct {
	Text   string
	Quoted bool
}

// Field is one whitespace-separated field: a comma list of tokens.
type Field []Token

// Tokenize splits a logical line into fields as the server does. '#'
// outside quotes starts a comment; a comma joins tokens into one field's
// list (blanks after it are skipped, and empty elements are dropped);
// double quotes keep blanks, commas and '#' in a token. An unterminated
// quote is an error.
func Tokenize(line string) ([]Field, error) {
	var fields []Field
	var cur Field
	var tok strings.Builder
	inTok, quoted, inQuote, afterComma := false, false, false, false
	endTok := func() {
		if inTok {
			cur = append(cur, Token{Text: tok.String(), Quoted: quoted})
		}
		tok.Reset()
		inTok, quoted = false, false
	}
	endField := func() {
		endTok()
		if len(cur) > 0 {
			fields = append(fields, cur)
		}
		cur = nil
		afterComma = false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if inQuote {
			if c == '"' {
				inQuote = false
				continue
			}
			tok.WriteByte(c)
			continue
		}
		switch c {
		case '#':
			endField()
			return fields, nil
		case ' ', '\t', '\r', '\n':
			if afterComma {
				continue // "a, b" is one list
			}
			endField()
		case ',':
			endTok()
			afterComma = true
		case '"':
			inTok, quoted, inQuote, afterComma = true, true, true, false
		default:
			tok.WriteByte(c)
			inTok, afterComma = true, false
		}
	}
	if inQuote {
		return nil, fmt.Errorf("%w: unterminated quote", ErrMalformed)
	}
	endField()
	return fields, nil
}

// ParseEntry reads one record from its fields; file and line locate it.
func ParseEntry(fields []Field, file string, line int) (Entry, error) {
	e := Entry{File: file, Line: line}
	next := 0
	take := func(what string) (Field, error) {
		if next >= len(fields) {
			return nil, fmt.Errorf("%w: no %s", ErrMalformed, what)
		}
		f := fields[next]
		next++
		return f, nil
	}
	single := func(f Field, what string) (string, error) {
		if len(f) != 1 {
			return "", fmt.Errorf("%w: %s is a list", ErrMalformed, what)
		}
		return f[0].Text, nil
	}
	f, err := take("connection type")
	if err != nil {
		return e, err
	}
	if e.Type, err = single(f, "the connection type"); err != nil {
		return e, err
	}
	e.Type = strings.ToLower(e.Type)
	if !connTypes[e.Type] {
		return e, fmt.Errorf("%w: unknown connection type %q", ErrMalformed, short(e.Type))
	}
	if f, err = take("database"); err != nil {
		return e, err
	}
	e.Databases = texts(f)
	if f, err = take("user"); err != nil {
		return e, err
	}
	e.Users = texts(f)
	if e.Type != TypeLocal {
		if f, err = take("address"); err != nil {
			return e, err
		}
		if e.Address, err = single(f, "the address"); err != nil {
			return e, err
		}
		if !strings.Contains(e.Address, "/") {
			if _, err := netip.ParseAddr(e.Address); err == nil {
				if f, err = take("IP mask"); err != nil {
					return e, err
				}
				if e.Mask, err = single(f, "the IP mask"); err != nil {
					return e, err
				}
			}
		}
	}
	if f, err = take("authentication method"); err != nil {
		return e, err
	}
	if e.Method, err = single(f, "the authentication method"); err != nil {
		return e, err
	}
	e.Method = strings.ToLower(e.Method)
	if e.Method == "" {
		return e, fmt.Errorf("%w: empty authentication method", ErrMalformed)
	}
	for _, f := range fields[next:] {
		e.Options = append(e.Options, strings.Join(texts(f), ","))
	}
	return e, nil
}

func texts(f Field) []string {
	out := make([]string, len(f))
	for i, t := range f {
		out[i] = t.Text
	}
	return out
}

// Reader reads the files of a server: the whole content of a file, and
// the names in a directory.
type Reader interface {
	ReadFile(name string) ([]byte, error)
	ReadDir(name string) ([]string, error)
}

// maxIncludeDepth bounds nested includes, as the server does.
const maxIncludeDepth = 10

// Result is what Load read.
type Result struct {
	Entries []Entry
	// Files are the files read, the first the one asked for.
	Files []string
	// Problems are the lines skipped.
	Problems textfile.Problems
	// Malformed lists the skipped lines as "file:line: reason".
	Malformed []string
}

// Load reads pg_hba.conf at name and the files it includes. An error
// means name itself cannot be read; a broken included file or line is
// skipped and recorded in the result.
func Load(r Reader, name string) (*Result, error) {
	res := &Result{}
	if err := res.load(r, name, 0, true); err != nil {
		return nil, err
	}
	return res, nil
}

func (res *Result) skip(file string, line int, reason string) {
	res.Problems.Skip(line, reason)
	if len(res.Malformed) < textfile.MaxMalformed {
		res.Malformed = append(res.Malformed, file+":"+strconv.Itoa(line)+": "+reason)
	}
}

func (res *Result) load(r Reader, name string, depth int, required bool) error {
	data, err := r.ReadFile(name)
	if err != nil {
		if required {
			return fmt.Errorf("pg_hba: %w", err)
		}
		return nil
	}
	res.Files = append(res.Files, name)
	Parse(data, func(line int, fields []Field, err error) {
		if err != nil {
			res.skip(name, line, err.Error())
			return
		}
		if len(fields) == 0 {
			return
		}
		if kw := fields[0]; len(kw) == 1 && !kw[0].Quoted {
			switch strings.ToLower(kw[0].Text) {
			case "include", "include_if_exists", "include_dir":
				res.include(r, name, line, strings.ToLower(kw[0].Text), fields, depth)
				return
			}
		}
		e, err := ParseEntry(fields, name, line)
		if err != nil {
			res.skip(name, line, err.Error())
			return
		}
		res.Entries = append(res.Entries, e)
	})
	return nil
}

func (res *Result) include(r Reader, from string, line int, kw string, fields []Field, depth int) {
	if len(fields) != 2 || len(fields[1]) != 1 {
		res.skip(from, line, kw+" takes one file name")
		return
	}
	if depth+1 > maxIncludeDepth {
		res.skip(from, line, "includes nested too deep")
		return
	}
	target := fields[1][0].Text
	if !path.IsAbs(target) {
		target = path.Join(path.Dir(from), target)
	}
	switch kw {
	case "include":
		if err := res.load(r, target, depth+1, true); err != nil {
			res.skip(from, line, err.Error())
		}
	case "include_if_exists":
		_ = res.load(r, target, depth+1, false)
	case "include_dir":
		names, err := r.ReadDir(target)
		if err != nil {
			res.skip(from, line, fmt.Sprintf("include_dir: %v", err))
			return
		}
		for _, n := range confFiles(names) {
			if err := res.load(r, path.Join(target, n), depth+1, true); err != nil {
				res.skip(from, line, err.Error())
			}
		}
	}
}

// Parse calls fn for each logical line of a pg_hba.conf with its fields,
// or the error that keeps it from being read; blank and comment lines
// give no fields. As the server does (PostgreSQL 16 and later; older
// ones have no continuations), a line ending in a backslash continues
// on the next, the backslash removed and nothing put in its place.
func Parse(data []byte, fn func(line int, fields []Field, err error)) {
	var cur []byte
	start := 0
	for n, line := range textfile.Lines(data) {
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if cur == nil {
			start = n
		}
		if l, ok := bytes.CutSuffix(line, []byte{'\\'}); ok {
			cur = append(cur, l...)
			if cur == nil {
				cur = []byte{}
			}
			continue
		}
		cur = append(cur, line...)
		fields, err := Tokenize(string(cur))
		fn(start, fields, err)
		cur = nil
	}
	if cur != nil {
		fields, err := Tokenize(string(cur))
		fn(start, fields, err)
	}
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
