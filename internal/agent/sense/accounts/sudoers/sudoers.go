// Package sudoers parses sudoers(5) files far enough to list their rules
// and the files they include.
//
// Each logical line (physical lines joined at a trailing backslash, the
// comment removed, blanks collapsed) that is not blank becomes an Entry of
// one of four kinds: a user specification ("alice ALL=(ALL) NOPASSWD:
// ALL"), a Defaults line, an alias definition (kept as text, with the
// members of User_Alias lists so that group grants through aliases can be
// found), or an include (#include, #includedir, @include, @includedir).
// '#' starts a comment except at the start of an include and before a
// digit ("#1000" is a uid, "%#27" a gid), as in sudo itself.
//
// A line that is none of these (a user specification without '=') is
// skipped and listed in File.Problems.
//
// Walk reads a policy and the files it includes, in the order sudo
// reads them.
package sudoers

import (
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// Kinds of entries.
const (
	KindUserSpec = "user_spec"
	KindDefaults = "defaults"
	KindAlias    = "alias"
	KindInclude  = "include"
)

// Entry is one rule, Defaults line, alias or include.
type Entry struct {
	// Line is the number of the first physical line.
	Line int
	Kind string
	// Text is the logical line, comment removed and blanks collapsed.
	Text string
	// NoPasswd is true for a user specification with a NOPASSWD tag and
	// for Defaults that turn authentication off (!authenticate).
	NoPasswd bool
	// Principals lists the user list of a user specification: user
	// names, "#uid", "%group", "%#gid", "%:nonunix", aliases, "ALL",
	// possibly negated with '!'.
	Principals []string
	// AliasType and Aliases describe an alias line ("User_Alias" ...):
	// each name defined there with its members.
	AliasType string
	Aliases   []Alias
	// Include is the path of an include, IncludeDir true for a directory
	// include; a relative path is relative to the including file's
	// directory.
	Include    string
	IncludeDir bool
}

// Alias is one alias definition.
type Alias struct {
	Name    string
	Members []string
}

// File is a parsed sudoers file.
type File struct {
	Entries  []Entry
	Problems textfile.Problems
}

// aliasTypes are the alias keywords.
var aliasTypes = []string{"User_Alias", "Runas_Alias", "Host_Alias", "Cmnd_Alias", "Cmd_Alias"}

// Parse parses sudoers data.
func Parse(data []byte) File {
	var f File
	for n, raw := range textfile.Logical(data, nil) {
		line := strings.TrimSpace(string(raw))
		if inc, dir, ok := include(line); ok {
			if inc == "" {
				f.Problems.Skip(n, "include without a path")
				continue
			}
			f.Entries = append(f.Entries, Entry{Line: n, Kind: KindInclude, Text: collapse(line), Include: inc, IncludeDir: dir})
			continue
		}
		text := collapse(stripComment(line))
		if text == "" {
			continue
		}
		e := Entry{Line: n, Text: text}
		first, rest, _ := strings.Cut(text, " ")
		switch {
		case first == "Defaults" || strings.HasPrefix(first, "Defaults") && strings.ContainsAny(first[len("Defaults"):len("Defaults")+1], ":@>!"):
			e.Kind = KindDefaults
			e.NoPasswd = strings.Contains(rest, "!authenticate")
		case isAliasType(first):
			e.Kind, e.AliasType = KindAlias, first
			e.Aliases = aliases(rest)
			if len(e.Aliases) == 0 {
				f.Problems.Skip(n, first+" without a definition")
				continue
			}
		default:
			left, right, ok := strings.Cut(text, "=")
			if !ok || strings.TrimSpace(right) == "" {
				f.Problems.Skip(n, "not a user specification, Defaults, alias or include")
				continue
			}
			e.Kind = KindUserSpec
			e.Principals = principals(left)
			if len(e.Principals) == 0 {
				f.Problems.Skip(n, "user specification without users")
				continue
			}
			e.NoPasswd = hasTag(right, "NOPASSWD:")
		}
		f.Entries = append(f.Entries, e)
	}
	return f
}

// include recognises an include line and returns its path.
func include(line string) (path string, dir, ok bool) {
	for _, kw := range []string{"#includedir", "@includedir", "#include", "@include"} {
		rest, found := strings.CutPrefix(line, kw)
		if !found || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			continue
		}
		return Unquote(strings.TrimSpace(rest)), strings.HasSuffix(kw, "dir"), true
	}
	return "", false, false
}

// stripComment cuts line at a '#' that starts a comment: outside double
// quotes, not escaped, and not followed by a digit.
func stripComment(line string) string {
	quoted := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case c == '#' && !quoted:
			if i+1 < len(line) && line[i+1] >= '0' && line[i+1] <= '9' {
				continue
			}
			return line[:i]
		}
	}
	return line
}

// collapse trims s and turns runs of blanks into one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func isAliasType(s string) bool {
	for _, t := range aliasTypes {
		if s == t {
			return true
		}
	}
	return false
}

// aliases parses "NAME = a, b : NAME2 = c".
func aliases(rest string) []Alias {
	var out []Alias
	for def := range strings.SplitSeq(rest, ":") {
		name, members, ok := strings.Cut(def, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			continue
		}
		out = append(out, Alias{Name: name, Members: splitList(members)})
	}
	return out
}

// principals returns the user list at the start of the left side of a
// user specification ("alice, %ops ALL" gives alice and %ops).
func principals(left string) []string {
	words := strings.Fields(left)
	if len(words) == 0 {
		return nil
	}
	// Items of a list may be separated by ", " or " ,": glue them.
	list := words[0]
	for _, w := range words[1:] {
		if strings.HasSuffix(list, ",") || strings.HasPrefix(w, ",") {
			list += w
			continue
		}
		break
	}
	return splitList(list)
}

// splitList splits a comma-separated list, trimming items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// hasTag reports whether the command part of a user specification has
// the tag ("NOPASSWD:"), as a word of its own.
func hasTag(cmds, tag string) bool {
	for i := 0; ; {
		j := strings.Index(cmds[i:], tag)
		if j < 0 {
			return false
		}
		at := i + j
		if at == 0 || strings.ContainsRune(" \t,():", rune(cmds[at-1])) {
			return true
		}
		i = at + len(tag)
	}
}
