package users

import (
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/sudoers"
)

// aliasMaxDepth bounds aliases naming aliases.
const aliasMaxDepth = 16

// sudoLine is one entry of the policy with the file it is in.
type sudoLine struct {
	File  string
	Entry sudoers.Entry
}

// sudoPolicy is what sudo reads: /etc/sudoers and the files it
// includes, in order.
type sudoPolicy struct {
	// Specs are the user specifications, Defaults the Defaults lines
	// that turn authentication off.
	Specs, Defaults []sudoLine
	// Aliases are the User_Alias definitions by name.
	Aliases map[string][]string
	// Malformed counts the lines the parser skipped.
	Malformed int
}

// readSudoers reads file and what it includes as sudo does
// (sudoers.Walk).
func readSudoers(fsys *rootfs.FS, file, host string, maxBytes int64) (sudoPolicy, error) {
	pol := sudoPolicy{Aliases: map[string][]string{}}
	skipped, err := sudoers.Walk(fsys, file, host, maxBytes, func(v sudoers.Visit) {
		switch v.Kind {
		case sudoers.KindUserSpec:
			pol.Specs = append(pol.Specs, sudoLine{File: v.File, Entry: v.Entry})
		case sudoers.KindDefaults:
			if v.NoPasswd {
				pol.Defaults = append(pol.Defaults, sudoLine{File: v.File, Entry: v.Entry})
			}
		case sudoers.KindAlias:
			if v.AliasType == "User_Alias" {
				for _, a := range v.Aliases {
					pol.Aliases[a.Name] = a.Members
				}
			}
		}
	})
	if err != nil {
		return sudoPolicy{}, err
	}
	pol.Malformed = skipped.Count
	return pol, nil
}

// principal is an account as sudo matches it: name, uid and groups
// (primary and supplementary, by name and by gid).
type principal struct {
	Name   string
	UID    int64
	Groups map[string]bool
	GIDs   map[int64]bool
}

// SudoRule is one sudo rule that applies to an account.
type SudoRule struct {
	// File is the sudoers file holding the rule.
	File string
	// Rule is the rule as written (comment removed, blanks collapsed).
	Rule string
	// Via is the item of the user list that matched: the account's
	// name, "#uid", "%group", "%#gid", a User_Alias name or "ALL".
	Via string
	// NoPasswd is true for a NOPASSWD rule and for accounts for which
	// a Defaults line turns authentication off.
	NoPasswd bool
}

// rulesFor returns the rules that apply to p, in policy order. A user
// list is read as sudo reads it: the last item that matches decides, a
// '!' before it denies.
func (pol *sudoPolicy) rulesFor(p principal) []SudoRule {
	noAuth := false
	for _, d := range pol.Defaults {
		switch binding, list := defaultsBinding(d.Entry.Text); binding {
		case "":
			noAuth = true
		case ":":
			if ok, _ := pol.matchList(list, p, 0); ok {
				noAuth = true
			}
		}
	}
	var out []SudoRule
	for _, s := range pol.Specs {
		ok, via := pol.matchList(s.Entry.Principals, p, 0)
		if !ok {
			continue
		}
		out = append(out, SudoRule{File: s.File, Rule: s.Entry.Text, Via: via, NoPasswd: s.Entry.NoPasswd || noAuth})
	}
	return out
}

// matchList matches a user list; via is the item that decided.
func (pol *sudoPolicy) matchList(list []string, p principal, depth int) (matched bool, via string) {
	for _, item := range list {
		neg := false
		for strings.HasPrefix(item, "!") {
			neg = !neg
			item = strings.TrimSpace(item[1:])
		}
		if ok, v := pol.matchItem(item, p, depth); ok {
			matched, via = !neg, v
		}
	}
	if !matched {
		via = ""
	}
	return matched, via
}

// matchItem matches one item of a user list.
func (pol *sudoPolicy) matchItem(item string, p principal, depth int) (bool, string) {
	switch {
	case item == "ALL":
		return true, item
	case strings.HasPrefix(item, "%#"):
		gid, err := strconv.ParseInt(item[2:], 10, 64)
		return err == nil && p.GIDs[gid], item
	case strings.HasPrefix(item, "%:"), strings.HasPrefix(item, "+"):
		// Non-Unix groups and netgroups need a plugin or NIS to resolve.
		return false, item
	case strings.HasPrefix(item, "%"):
		return p.Groups[sudoers.Unquote(item[1:])], item
	case strings.HasPrefix(item, "#"):
		uid, err := strconv.ParseInt(item[1:], 10, 64)
		return err == nil && uid == p.UID, item
	}
	if members, ok := pol.Aliases[item]; ok {
		if depth >= aliasMaxDepth {
			return false, item
		}
		m, _ := pol.matchList(members, p, depth+1)
		return m, item
	}
	return sudoers.Unquote(item) == p.Name, item
}

// mentionsGroup reports whether a user list grants group g (by name or
// gid, directly or through a User_Alias), not counting denied items;
// via is the item of the list that does.
func (pol *sudoPolicy) mentionsGroup(list []string, name string, gid int64, depth int) (bool, string) {
	for _, item := range list {
		if strings.HasPrefix(item, "!") {
			continue
		}
		switch {
		case strings.HasPrefix(item, "%#"):
			if id, err := strconv.ParseInt(item[2:], 10, 64); err == nil && id == gid {
				return true, item
			}
		case strings.HasPrefix(item, "%"):
			if sudoers.Unquote(item[1:]) == name {
				return true, item
			}
		default:
			if members, ok := pol.Aliases[item]; ok && depth < aliasMaxDepth {
				if found, _ := pol.mentionsGroup(members, name, gid, depth+1); found {
					return true, item
				}
			}
		}
	}
	return false, ""
}

// rulesForGroup returns the rules that name group g.
func (pol *sudoPolicy) rulesForGroup(name string, gid int64) []SudoRule {
	var out []SudoRule
	for _, s := range pol.Specs {
		if ok, via := pol.mentionsGroup(s.Entry.Principals, name, gid, 0); ok {
			out = append(out, SudoRule{File: s.File, Rule: s.Entry.Text, Via: via, NoPasswd: s.Entry.NoPasswd})
		}
	}
	return out
}

// defaultsBinding returns the binding of a Defaults line ("" for a
// global one, ":" user, "@" host, ">" runas, "!" command) and, for a
// user binding, its user list.
func defaultsBinding(text string) (string, []string) {
	rest, ok := strings.CutPrefix(text, "Defaults")
	if !ok || rest == "" || rest[0] == ' ' {
		return "", nil
	}
	binding := rest[:1]
	if binding != ":" {
		return binding, nil
	}
	words := strings.Fields(rest[1:])
	if len(words) == 0 {
		return binding, nil
	}
	list := words[0]
	for _, w := range words[1:] {
		if !strings.HasSuffix(list, ",") && !strings.HasPrefix(w, ",") {
			break
		}
		list += w
	}
	var out []string
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return binding, out
}
