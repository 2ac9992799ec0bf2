// Package tomcatusers reads Tomcat's user database (tomcat-users.xml)
// and the part of server.xml that says where that file is and how its
// passwords are stored (the UserDatabase resource and the
// CredentialHandler of the realm that uses it), and tells whether a
// candidate password matches a stored credential as Tomcat's
// credential handlers do.
package tomcatusers

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is wrapped by the errors of documents that cannot be
// read.
var ErrMalformed = errors.New("malformed XML")

// maxElements bounds the elements of one document.
const maxElements = 100000

// User is one <user> of tomcat-users.xml.
type User struct {
	// Name is the username attribute (name in Tomcat 6 and before).
	Name string
	// Password is the stored credential, as written; HasPassword says
	// the attribute is there (an absent password never matches).
	Password    string
	HasPassword bool
	// Roles are the user's roles, its groups' included, sorted and
	// without duplicates.
	Roles []string
	// Line is the line of the element.
	Line int
}

// HasRole reports whether the user has one of roles.
func (u *User) HasRole(roles ...string) bool {
	for _, r := range u.Roles {
		for _, want := range roles {
			if r == want {
				return true
			}
		}
	}
	return false
}

// newDecoder returns a strict decoder that accepts the encodings Tomcat's
// files are written in: UTF-8, US-ASCII and ISO-8859-1.
func newDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		case "iso-8859-1", "latin1", "iso8859-1", "latin-1":
			b, err := io.ReadAll(io.LimitReader(in, int64(len(data))+1))
			if err != nil {
				return nil, err
			}
			out := make([]byte, 0, len(b))
			for _, c := range b {
				out = utf8.AppendRune(out, rune(c))
			}
			return bytes.NewReader(out), nil
		}
		return nil, fmt.Errorf("encoding %q is not supported", charset)
	}
	return d
}

// walk calls fn for every start element of data with its line and the
// names of the elements it is in (local names).
func walk(data []byte, fn func(el xml.StartElement, line int, parents []string)) error {
	d := newDecoder(data)
	var stack []string
	n := 0
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) > 0 {
				return fmt.Errorf("%w: element %s not closed", ErrMalformed, stack[len(stack)-1])
			}
			return nil
		}
		if err != nil {
			// The decoder's message may quote the document, and the
			// document holds passwords: only the line is told.
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return fmt.Errorf("%w: syntax error at line %d", ErrMalformed, se.Line)
			}
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n++
			if n > maxElements {
				return fmt.Errorf("%w: more than %d elements", ErrMalformed, maxElements)
			}
			fn(t, line, stack)
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}

func attr(el xml.StartElement, name string) (string, bool) {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// list splits a comma-separated role or group list.
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseUsers reads tomcat-users.xml: its users, each with the roles it
// has directly and through its groups. Elements inside comments are not
// read (XML comments are not elements).
func ParseUsers(data []byte) ([]User, error) {
	type rawUser struct {
		User
		groups []string
	}
	var users []rawUser
	groups := map[string][]string{}
	root := ""
	err := walk(data, func(el xml.StartElement, line int, parents []string) {
		if len(parents) == 0 {
			root = el.Name.Local
			return
		}
		if len(parents) != 1 {
			return
		}
		switch el.Name.Local {
		case "user":
			u := rawUser{User: User{Line: line}}
			if v, ok := attr(el, "username"); ok {
				u.Name = v
			} else if v, ok := attr(el, "name"); ok {
				u.Name = v
			}
			u.Password, u.HasPassword = attr(el, "password")
			if v, ok := attr(el, "roles"); ok {
				u.Roles = list(v)
			}
			if v, ok := attr(el, "groups"); ok {
				u.groups = list(v)
			}
			users = append(users, u)
		case "group":
			name, _ := attr(el, "groupname")
			if name == "" {
				name, _ = attr(el, "name")
			}
			if v, ok := attr(el, "roles"); ok && name != "" {
				groups[name] = append(groups[name], list(v)...)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if root != "tomcat-users" {
		return nil, fmt.Errorf("%w: root element is %q, not tomcat-users", ErrMalformed, root)
	}
	out := make([]User, 0, len(users))
	for _, u := range users {
		roles := append([]string(nil), u.Roles...)
		for _, g := range u.groups {
			roles = append(roles, groups[g]...)
		}
		u.User.Roles = sortedUnique(roles)
		out = append(out, u.User)
	}
	return out, nil
}

func sortedUnique(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	return slices.Compact(s)
}
