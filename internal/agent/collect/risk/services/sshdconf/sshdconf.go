// Package sshdconf reads OpenSSH's server configuration (sshd_config) as
// sshd does, without running it: keywords in any case, "keyword value"
// or "keyword=value", double-quoted arguments, '#' comments, Include
// with glob patterns (relative to /etc/ssh, missing files ignored, an
// Include inside a Match block conditional on it), and Match blocks
// (one ends at the next Match or at the end of the file it is in). Of a
// keyword given several times in one scope the first counts.
package sshdconf

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// ErrMalformed is wrapped by the errors of lines that cannot be read.
var ErrMalformed = errors.New("malformed line")

// Dir is the folder relative Include paths are taken from.
const Dir = "/etc/ssh"

// maxDepth bounds nested includes, as sshd does.
const maxDepth = 16

// maxFiles bounds the files one configuration reads.
const maxFiles = 256

// Defaults are OpenSSH's (9.x) values of the keywords the checks read,
// for a configuration that does not set them.
var Defaults = map[string]string{
	"permitrootlogin":                 "prohibit-password",
	"passwordauthentication":          "yes",
	"permitemptypasswords":            "no",
	"kbdinteractiveauthentication":    "yes",
	"pubkeyauthentication":            "yes",
	"usepam":                          "no",
	"port":                            "22",
	"challengeresponseauthentication": "yes",
}

// Directive is one keyword line.
type Directive struct {
	// Keyword is lower-case.
	Keyword string
	Args    []string
	File    string
	Line    int
}

// Block is a Match block: its criteria and the directives in it.
type Block struct {
	// Criteria are the Match arguments as written ("User alice"); for a
	// block inside an included file that an Include in another Match
	// block named, both, joined by " && ".
	Criteria string
	// All says the block matches every connection (Match all).
	All        bool
	File       string
	Line       int
	Directives []Directive
}

// first returns the block's first directive for keyword.
func (b *Block) first(keyword string) (Directive, bool) {
	for _, d := range b.Directives {
		if d.Keyword == keyword {
			return d, true
		}
	}
	return Directive{}, false
}

// Config is a server configuration as read.
type Config struct {
	// Global are the directives outside any Match block, in order.
	Global []Directive
	// Matches are the Match blocks, in order.
	Matches []Block
	// Files are the files read, the first the one asked for.
	Files []string
	// Malformed lists the skipped lines as "file:line: reason"; Skipped
	// counts them.
	Malformed []string
	Skipped   int
}

// Reader reads the files of the host: a file's content and the names
// in a folder.
type Reader interface {
	ReadFile(name string) ([]byte, error)
	ReadDir(name string) ([]string, error)
}

// Load reads the configuration at name and the files it includes. An
// error means name itself cannot be read.
func Load(r Reader, name string) (*Config, error) {
	data, err := r.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("sshd_config: %w", err)
	}
	c := &Config{}
	c.parse(r, name, data, nil, 0)
	return c, nil
}

// Parse reads a configuration from data alone: Include lines are
// recorded as directives and not followed.
func Parse(name string, data []byte) *Config {
	c := &Config{}
	c.parse(nil, name, data, nil, 0)
	return c
}

func (c *Config) skip(file string, line int, reason string) {
	c.Skipped++
	if len(c.Malformed) < 32 {
		c.Malformed = append(c.Malformed, fmt.Sprintf("%s:%d: %s", file, line, reason))
	}
}

// parse reads one file's lines. outer is the Match block the file was
// included from (nil at the top level): its directives go there until
// the file's own first Match, and the file's Match blocks end with it.
func (c *Config) parse(r Reader, name string, data []byte, outer *int, depth int) {
	c.Files = append(c.Files, name)
	cur := outer // index into c.Matches, nil for the global scope
	for n, line := range strings.Split(string(data), "\n") {
		kw, args, err := ParseLine(line)
		if err != nil {
			c.skip(name, n+1, err.Error())
			continue
		}
		if kw == "" {
			continue
		}
		switch kw {
		case "match":
			if len(args) == 0 {
				c.skip(name, n+1, "Match without criteria")
				continue
			}
			b := Block{Criteria: strings.Join(args, " "), File: name, Line: n + 1}
			b.All = len(args) == 1 && strings.EqualFold(args[0], "all")
			if outer != nil {
				o := c.Matches[*outer]
				b.All = b.All && o.All
				b.Criteria = o.Criteria + " && " + b.Criteria
			}
			c.Matches = append(c.Matches, b)
			i := len(c.Matches) - 1
			cur = &i
			continue
		case "include":
			if len(args) == 0 {
				c.skip(name, n+1, "Include without a file")
				continue
			}
			if r == nil {
				break // recorded as a directive
			}
			c.include(r, name, n+1, args, cur, depth)
			continue
		}
		d := Directive{Keyword: kw, Args: args, File: name, Line: n + 1}
		if cur == nil {
			c.Global = append(c.Global, d)
		} else {
			c.Matches[*cur].Directives = append(c.Matches[*cur].Directives, d)
		}
	}
}

// include reads the files an Include names, in the scope cur.
func (c *Config) include(r Reader, from string, line int, patterns []string, cur *int, depth int) {
	if depth+1 > maxDepth {
		c.skip(from, line, "includes nested too deep")
		return
	}
	for _, p := range patterns {
		if !path.IsAbs(p) {
			p = path.Join(Dir, p)
		}
		for _, f := range glob(r, path.Clean(p)) {
			if len(c.Files) >= maxFiles {
				c.skip(from, line, fmt.Sprintf("more than %d files", maxFiles))
				return
			}
			data, err := r.ReadFile(f)
			if err != nil {
				continue // sshd ignores what it cannot read
			}
			c.parse(r, f, data, cur, depth+1)
		}
	}
}

// glob expands a pattern as glob(3) does, over r: each component may
// hold *, ? and [...]; the matches are sorted; a pattern without
// wildcards gives itself.
func glob(r Reader, pattern string) []string {
	if !hasMeta(pattern) {
		return []string{pattern}
	}
	parts := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	cands := []string{"/"}
	for i, part := range parts {
		var next []string
		for _, dir := range cands {
			if !hasMeta(part) {
				next = append(next, path.Join(dir, part))
				continue
			}
			names, err := r.ReadDir(dir)
			if err != nil {
				continue
			}
			slices.Sort(names)
			for _, n := range names {
				if strings.HasPrefix(n, ".") && !strings.HasPrefix(part, ".") {
					continue
				}
				if ok, err := path.Match(part, n); err == nil && ok {
					next = append(next, path.Join(dir, n))
				}
			}
		}
		cands = next
		if len(cands) == 0 || i == len(parts)-1 {
			break
		}
	}
	return cands
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// ParseLine splits one line into its keyword (lower-case) and arguments;
// "" for a blank or comment line. An argument may be double-quoted; a
// token starting with '#' outside quotes ends the line.
func ParseLine(line string) (keyword string, args []string, err error) {
	line = strings.TrimRight(line, "\r")
	s := strings.TrimLeft(line, " \t")
	if s == "" || s[0] == '#' {
		return "", nil, nil
	}
	// The keyword ends at a blank or '='.
	i := strings.IndexAny(s, " \t=")
	if i < 0 {
		i = len(s)
	}
	keyword, s = strings.ToLower(s[:i]), s[i:]
	s = strings.TrimLeft(s, " \t")
	if strings.HasPrefix(s, "=") {
		s = strings.TrimLeft(s[1:], " \t")
	}
	for s != "" {
		if s[0] == '#' {
			break
		}
		var tok string
		if s[0] == '"' {
			j := strings.IndexByte(s[1:], '"')
			if j < 0 {
				return "", nil, fmt.Errorf("%w: keyword %s: unterminated quote", ErrMalformed, short(keyword))
			}
			tok, s = s[1:1+j], s[2+j:]
			if s != "" && s[0] != ' ' && s[0] != '\t' {
				return "", nil, fmt.Errorf("%w: keyword %s: text right after a quote", ErrMalformed, short(keyword))
			}
		} else {
			j := strings.IndexAny(s, " \t")
			if j < 0 {
				j = len(s)
			}
			tok, s = s[:j], s[j:]
		}
		args = append(args, tok)
		s = strings.TrimLeft(s, " \t")
	}
	if keyword == "" {
		return "", nil, fmt.Errorf("%w: no keyword", ErrMalformed)
	}
	return keyword, args, nil
}

// Setting is the value of a keyword in one scope and where it comes
// from.
type Setting struct {
	// Value is the first argument, lower-case for the yes/no keywords
	// (as sshd reads them); "" when the keyword has no argument.
	Value string
	// File and Line locate the directive; Default says no directive
	// sets it and Value is OpenSSH's default.
	File    string
	Line    int
	Default bool
	// Match is the criteria of the Match block that sets it, "" in the
	// global scope (or for a "Match all" block, which is global in
	// effect: All is true then).
	Match string
	All   bool
}

// Where returns "file:line", or "OpenSSH default".
func (s Setting) Where() string {
	if s.Default {
		return "OpenSSH default"
	}
	return fmt.Sprintf("%s:%d", s.File, s.Line)
}

func settingOf(d Directive) Setting {
	v := ""
	if len(d.Args) > 0 {
		v = d.Args[0]
	}
	if _, ok := Defaults[d.Keyword]; ok && d.Keyword != "port" {
		v = strings.ToLower(v)
	}
	return Setting{Value: v, File: d.File, Line: d.Line}
}

// Effective returns the value of keyword (lower-case) for a connection
// that matches no conditional Match block: the first "Match all" block
// that sets it, else the first global directive, else the default.
func (c *Config) Effective(keyword string) Setting {
	for i := range c.Matches {
		b := &c.Matches[i]
		if !b.All {
			continue
		}
		if d, ok := b.first(keyword); ok {
			s := settingOf(d)
			s.Match, s.All = b.Criteria, true
			return s
		}
	}
	for _, d := range c.Global {
		if d.Keyword == keyword {
			return settingOf(d)
		}
	}
	return Setting{Value: Defaults[keyword], Default: true}
}

// Conditional returns the values conditional Match blocks give keyword,
// in order; a block after a "Match all" block that sets the keyword is
// left out, since the first matching block that sets a keyword wins and
// that one matches every connection.
func (c *Config) Conditional(keyword string) []Setting {
	var out []Setting
	for i := range c.Matches {
		b := &c.Matches[i]
		d, ok := b.first(keyword)
		if !ok {
			continue
		}
		if b.All {
			break
		}
		s := settingOf(d)
		s.Match = b.Criteria
		out = append(out, s)
	}
	return out
}

// ForMatch returns the value of keyword for connections that match the
// conditional block with the given criteria (and, of the blocks before
// it, only those that match every connection): the block's own
// directive, else what Effective gives.
func (c *Config) ForMatch(criteria, keyword string) Setting {
	for i := range c.Matches {
		b := &c.Matches[i]
		if b.All || b.Criteria == criteria {
			if d, ok := b.first(keyword); ok {
				s := settingOf(d)
				s.Match, s.All = b.Criteria, b.All
				return s
			}
		}
		if b.Criteria == criteria {
			break
		}
	}
	return c.Effective(keyword)
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
