// Package nginxconf reads nginx configurations as nginx itself does: the
// main file with every include resolved, into a tree of directives that
// keep the file and line they were written at.
//
// The tokenizer follows nginx's own (ngx_conf_read_token): words end at
// white space, ';' or '{'; '#' starts a comment only at the start of a
// word; single and double quotes group, a backslash escapes the next
// character ("\t", "\r", "\n" give control characters, "\"", "\'" and
// "\\" the character, anything else is kept as written); "${" does not
// open a block. Blocks of any directive are parsed alike, so map, if,
// types and geo blocks need no special case; the Lua code of the
// *_by_lua_block directives (OpenResty) is skipped up to its closing brace.
//
// Include paths are taken relative to the configuration prefix (the
// folder of the main file), and their patterns expand as glob(3) does:
// sorted, with '*' and '?' not matching a leading dot. A file that does
// not parse adds a Problem and contributes the directives read before the
// error; nginx would refuse the whole configuration.
package nginxconf

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Errors of the package.
var (
	// ErrSyntax is wrapped by every syntax error.
	ErrSyntax = errors.New("syntax error")
	// ErrLimit is wrapped when a configuration goes beyond the Limits.
	ErrLimit = errors.New("configuration beyond the limits")
)

// Directive is one directive of a configuration.
type Directive struct {
	// Name is the directive's name ("server", "listen").
	Name string
	// Args are its arguments, unquoted and unescaped.
	Args []string
	// File and Line say where its name was written.
	File string
	Line int
	// Block holds the directives of its block, in order; HasBlock says
	// it has one (an empty block has a nil Block).
	Block    []*Directive
	HasBlock bool
	// Raw is set for a block whose content is not nginx syntax (Lua
	// code), which was skipped.
	Raw bool
}

// Arg returns argument i, or "" when there are fewer.
func (d *Directive) Arg(i int) string {
	if i < len(d.Args) {
		return d.Args[i]
	}
	return ""
}

// Source gives the parser the host's files. Paths are absolute host
// paths.
type Source interface {
	// ReadFile returns the content of a regular file.
	ReadFile(name string) ([]byte, error)
	// Glob returns the files matching pattern, sorted, as glob(3) with
	// no flags would.
	Glob(pattern string) ([]string, error)
}

// Limits bound what one configuration may make the parser do.
type Limits struct {
	// Files bounds the files read (the main file included).
	Files int
	// Bytes bounds the bytes read in all.
	Bytes int64
	// Depth bounds the nesting of blocks and includes.
	Depth int
}

// DefaultLimits are generous for any real configuration.
var DefaultLimits = Limits{Files: 2048, Bytes: 64 << 20, Depth: 48}

// Problem is something in a configuration that could not be read.
type Problem struct {
	// File and Line say where; Line is 0 when the file as a whole is
	// concerned.
	File string
	Line int
	Err  error
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", p.File, p.Line, p.Err)
	}
	return fmt.Sprintf("%s: %v", p.File, p.Err)
}

func (p Problem) Unwrap() error { return p.Err }

// Config is a configuration with its includes resolved.
type Config struct {
	// Main is the main file; ConfPrefix the folder relative paths of
	// include are taken from (with a trailing slash).
	Main, ConfPrefix string
	// Files lists the files read, in the order nginx reads them.
	Files []string
	// Directives are the main file's directives, includes replaced by
	// the directives of the files they name.
	Directives []*Directive
	// Problems lists what could not be read: missing files, syntax
	// errors, limits reached.
	Problems []Problem
}

// Load reads the configuration whose main file is main (an absolute
// path); confPrefix is where relative include paths start ("" means the
// main file's folder). The error is non-nil only when the main file
// cannot be read at all.
func Load(src Source, main string, confPrefix string, lim Limits) (*Config, error) {
	if confPrefix == "" {
		confPrefix = path.Dir(main)
	}
	if !strings.HasSuffix(confPrefix, "/") {
		confPrefix += "/"
	}
	l := &loader{src: src, lim: lim, cfg: &Config{Main: main, ConfPrefix: confPrefix}}
	data, err := src.ReadFile(main)
	if err != nil {
		return nil, fmt.Errorf("nginx configuration %s: %w", main, err)
	}
	l.bytes = int64(len(data))
	l.cfg.Files = append(l.cfg.Files, main)
	l.cfg.Directives = l.parseFile(main, data, 0)
	return l.cfg, nil
}

type loader struct {
	src   Source
	lim   Limits
	cfg   *Config
	bytes int64
}

func (l *loader) problem(file string, line int, err error) {
	if len(l.cfg.Problems) < 256 {
		l.cfg.Problems = append(l.cfg.Problems, Problem{File: file, Line: line, Err: err})
	}
}

// parseFile parses one file at include depth depth.
func (l *loader) parseFile(name string, data []byte, depth int) []*Directive {
	p := &parser{lex: lexer{data: data, line: 1}, file: name, include: func(d *Directive, level int) []*Directive {
		return l.include(d, depth+level)
	}, maxDepth: l.lim.Depth}
	out, err := p.block(0, false)
	if err != nil {
		l.problem(name, p.errLine, err)
	}
	return out
}

// include reads the files an include directive names.
func (l *loader) include(d *Directive, depth int) []*Directive {
	if len(d.Args) != 1 {
		l.problem(d.File, d.Line, fmt.Errorf("%w: include takes one argument, not %d", ErrSyntax, len(d.Args)))
		return nil
	}
	if depth >= l.lim.Depth {
		l.problem(d.File, d.Line, fmt.Errorf("%w: includes nested deeper than %d", ErrLimit, l.lim.Depth))
		return nil
	}
	name := d.Args[0]
	if !strings.HasPrefix(name, "/") {
		name = l.cfg.ConfPrefix + name
	}
	name = path.Clean(name)
	files := []string{name}
	if strings.ContainsAny(name, "*?[") {
		var err error
		if files, err = l.src.Glob(name); err != nil {
			l.problem(d.File, d.Line, fmt.Errorf("include %s: %w", name, err))
			return nil
		}
	}
	var out []*Directive
	for _, f := range files {
		if len(l.cfg.Files) >= l.lim.Files {
			l.problem(d.File, d.Line, fmt.Errorf("%w: more than %d files", ErrLimit, l.lim.Files))
			return out
		}
		data, err := l.src.ReadFile(f)
		if err != nil {
			l.problem(d.File, d.Line, fmt.Errorf("include %s: %w", f, err))
			continue
		}
		if l.bytes += int64(len(data)); l.bytes > l.lim.Bytes {
			l.problem(d.File, d.Line, fmt.Errorf("%w: more than %d bytes", ErrLimit, l.lim.Bytes))
			return out
		}
		l.cfg.Files = append(l.cfg.Files, f)
		out = append(out, l.parseFile(f, data, depth+1)...)
	}
	return out
}

// Parse parses one file's content, leaving include directives as they
// are.
func Parse(name string, data []byte) ([]*Directive, error) {
	p := &parser{lex: lexer{data: data, line: 1}, file: name, maxDepth: DefaultLimits.Depth}
	out, err := p.block(0, false)
	if err != nil {
		return out, fmt.Errorf("%s:%d: %w", name, p.errLine, err)
	}
	return out, nil
}

// parser builds the directive tree of one file.
type parser struct {
	lex  lexer
	file string
	// include, when set, returns the directives an include directive
	// stands for; level is the block nesting it is found at.
	include  func(d *Directive, level int) []*Directive
	maxDepth int
	errLine  int
}

// block parses directives up to the end of the current block (inBlock)
// or of the file.
func (p *parser) block(depth int, inBlock bool) ([]*Directive, error) {
	var out []*Directive
	for {
		args, line, end, err := p.lex.statement()
		if err != nil {
			p.errLine = p.lex.line
			return out, err
		}
		switch end {
		case endEOF:
			if inBlock {
				p.errLine = p.lex.line
				return out, fmt.Errorf("%w: unexpected end of file, expecting \"}\"", ErrSyntax)
			}
			return out, nil
		case '}':
			if !inBlock {
				p.errLine = p.lex.line
				return out, fmt.Errorf("%w: unexpected \"}\"", ErrSyntax)
			}
			return out, nil
		}
		d := &Directive{Name: args[0], Args: args[1:], File: p.file, Line: line}
		if end == ';' {
			if d.Name == "include" && p.include != nil {
				out = append(out, p.include(d, depth)...)
				continue
			}
			out = append(out, d)
			continue
		}
		d.HasBlock = true
		if depth+1 >= p.maxDepth {
			p.errLine = line
			return out, fmt.Errorf("%w: blocks nested deeper than %d", ErrLimit, p.maxDepth)
		}
		if strings.HasSuffix(d.Name, "_by_lua_block") {
			d.Raw = true
			if err := p.lex.skipLua(); err != nil {
				p.errLine = p.lex.line
				return append(out, d), err
			}
			out = append(out, d)
			continue
		}
		d.Block, err = p.block(depth+1, true)
		out = append(out, d)
		if err != nil {
			return out, err
		}
	}
}

// endEOF is what statement returns at the end of the input.
const endEOF = 0

// lexer splits a file into statements.
type lexer struct {
	data []byte
	pos  int
	line int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// statement reads the words of one statement and what ended it: ';',
// '{' (a block starts), '}' (the block ends; no words) or endEOF.
func (l *lexer) statement() (args []string, line int, end byte, err error) {
	var (
		found, needSpace, sharpComment, variable, quoted, sQuoted, dQuoted bool
		lastSpace                                                          = true
		start                                                              int
	)
	for {
		if l.pos >= len(l.data) {
			if len(args) > 0 || !lastSpace {
				return nil, 0, 0, fmt.Errorf("%w: unexpected end of file, expecting \";\" or \"}\"", ErrSyntax)
			}
			return nil, 0, endEOF, nil
		}
		ch := l.data[l.pos]
		l.pos++
		if ch == '\n' {
			l.line++
			sharpComment = false
		}
		if sharpComment {
			continue
		}
		if quoted {
			quoted = false
			continue
		}
		if needSpace {
			switch {
			case isSpace(ch):
				lastSpace, needSpace = true, false
				continue
			case ch == ';' || ch == '{':
				return args, line, ch, nil
			case ch == ')':
				lastSpace, needSpace = true, false
			default:
				return nil, 0, 0, fmt.Errorf("%w: unexpected %q", ErrSyntax, ch)
			}
		}
		if lastSpace {
			start = l.pos - 1
			if isSpace(ch) {
				continue
			}
			if len(args) == 0 {
				line = l.line
			}
			switch ch {
			case ';', '{':
				if len(args) == 0 {
					return nil, 0, 0, fmt.Errorf("%w: unexpected %q", ErrSyntax, ch)
				}
				return args, line, ch, nil
			case '}':
				if len(args) != 0 {
					return nil, 0, 0, fmt.Errorf("%w: unexpected \"}\"", ErrSyntax)
				}
				return nil, l.line, '}', nil
			case '#':
				sharpComment = true
				continue
			case '\\':
				quoted, lastSpace = true, false
				continue
			case '"':
				start++
				dQuoted, lastSpace = true, false
				continue
			case '\'':
				start++
				sQuoted, lastSpace = true, false
				continue
			case '$':
				variable, lastSpace = true, false
				continue
			default:
				lastSpace = false
			}
			continue
		}
		if ch == '{' && variable {
			continue
		}
		variable = false
		if ch == '\\' {
			quoted = true
			continue
		}
		if ch == '$' {
			variable = true
			continue
		}
		switch {
		case dQuoted:
			if ch == '"' {
				dQuoted, needSpace, found = false, true, true
			}
		case sQuoted:
			if ch == '\'' {
				sQuoted, needSpace, found = false, true, true
			}
		case isSpace(ch) || ch == ';' || ch == '{':
			lastSpace, found = true, true
		}
		if !found {
			continue
		}
		args = append(args, unescape(l.data[start:l.pos-1]))
		if ch == ';' || ch == '{' {
			return args, line, ch, nil
		}
		found = false
	}
}

// unescape undoes the escapes nginx undoes in a word.
func unescape(b []byte) string {
	if !strings.Contains(string(b), `\`) {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			switch b[i+1] {
			case '"', '\'', '\\':
				i++
			case 't':
				sb.WriteByte('\t')
				i++
				continue
			case 'r':
				sb.WriteByte('\r')
				i++
				continue
			case 'n':
				sb.WriteByte('\n')
				i++
				continue
			}
		}
		sb.WriteByte(b[i])
	}
	return sb.String()
}

// skipLua skips the Lua code of a *_by_lua_block up to its closing
// brace: strings ('...', "...", [[...]], [=[...]=]) and comments (--
// to the end of the line, --[[ ... ]]) may hold braces.
func (l *lexer) skipLua() error {
	depth := 1
	for l.pos < len(l.data) {
		ch := l.data[l.pos]
		l.pos++
		switch ch {
		case '\n':
			l.line++
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return nil
			}
		case '"', '\'':
			for l.pos < len(l.data) {
				c := l.data[l.pos]
				l.pos++
				if c == '\n' {
					l.line++
				}
				if c == '\\' && l.pos < len(l.data) {
					if l.data[l.pos] == '\n' {
						l.line++
					}
					l.pos++
					continue
				}
				if c == ch || c == '\n' {
					break
				}
			}
		case '[':
			l.pos--
			if !l.skipLongBracket() {
				l.pos++
			}
		case '-':
			if l.pos < len(l.data) && l.data[l.pos] == '-' {
				l.pos++
				if l.pos < len(l.data) && l.data[l.pos] == '[' && l.skipLongBracket() {
					continue
				}
				for l.pos < len(l.data) && l.data[l.pos] != '\n' {
					l.pos++
				}
			}
		}
	}
	return fmt.Errorf("%w: unexpected end of file in a Lua block", ErrSyntax)
}

// skipLongBracket skips a Lua long bracket ([[ ... ]], [==[ ... ]==])
// starting at l.pos; false (and nothing consumed) when there is none.
func (l *lexer) skipLongBracket() bool {
	i := l.pos + 1
	level := 0
	for i < len(l.data) && l.data[i] == '=' {
		level++
		i++
	}
	if i >= len(l.data) || l.data[i] != '[' {
		return false
	}
	closing := "]" + strings.Repeat("=", level) + "]"
	rest := string(l.data[i+1:])
	j := strings.Index(rest, closing)
	if j < 0 {
		j = len(rest)
	} else {
		j += len(closing)
	}
	l.line += strings.Count(rest[:j], "\n")
	l.pos = i + 1 + j
	return true
}
