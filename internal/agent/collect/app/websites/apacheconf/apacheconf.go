// Package apacheconf reads Apache httpd configurations as httpd reads
// them at start: the main file (apache2.conf, httpd.conf) with Include
// and IncludeOptional resolved relative to the ServerRoot, Define'd and
// environment variables substituted ("${APACHE_LOG_DIR}"), into a tree of
// directives and sections that keep the file and line they were written
// at.
//
// Lines are read as ap_cfg_getline does (a trailing backslash continues
// a line, '#' starts a comment only as a line's first non-blank
// character) and split into words as ap_getword_conf does (single or
// double quotes group, a backslash escapes the quote inside them).
//
// The conditional sections (IfModule, IfDefine, IfFile, IfVersion,
// IfDirective, IfSection) are evaluated conservatively: their content is
// always kept, and the section carries its Condition with the state the
// reader could determine: modules from the LoadModule lines read before
// it and the modules compiled in, names from Define and the -D options
// when the caller knows them, files from the host. Macros (mod_macro)
// are expanded where Use names them.
package apacheconf

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Errors of the package.
var (
	// ErrSyntax is wrapped by every syntax error.
	ErrSyntax = errors.New("syntax error")
	// ErrLimit is wrapped when a configuration goes beyond the Limits.
	ErrLimit = errors.New("configuration beyond the limits")
)

// State is what the reader knows of a condition.
type State string

// States of a condition.
const (
	Met     State = "met"
	Unmet   State = "unmet"
	Unknown State = "unknown"
)

// Condition is the test of a conditional section.
type Condition struct {
	// Section is the section's name as written ("IfModule"), Test its
	// argument ("!mod_ssl.c").
	Section string `json:"section"`
	Test    string `json:"test"`
	// State is the reader's evaluation when it met the section.
	State State `json:"state"`
}

func (c Condition) String() string { return "<" + c.Section + " " + c.Test + ">" }

// Directive is a directive or a section.
type Directive struct {
	// Name is the name as written, without '<' for a section
	// ("VirtualHost", "ServerName"); names are case-insensitive.
	Name string
	// Args are the arguments, unquoted; a section's without the '>'.
	Args []string
	// File and Line say where it starts.
	File string
	Line int
	// Section says it is a section (<Name ...> ... </Name>); Children
	// are its content.
	Section  bool
	Children []*Directive
	// Cond is the condition of a conditional section, nil otherwise.
	Cond *Condition
}

// Is reports whether the directive is named name (case-insensitive).
func (d *Directive) Is(name string) bool { return strings.EqualFold(d.Name, name) }

// Arg returns argument i, or "" when there are fewer.
func (d *Directive) Arg(i int) string {
	if i < len(d.Args) {
		return d.Args[i]
	}
	return ""
}

// Source gives the reader the host's files; paths are absolute host
// paths.
type Source interface {
	// ReadFile returns the content of a regular file.
	ReadFile(name string) ([]byte, error)
	// Glob returns the paths matching pattern, sorted; '*' and '?' do
	// not match a leading dot.
	Glob(pattern string) ([]string, error)
	// ReadDir returns the names in a folder, sorted.
	ReadDir(name string) ([]string, error)
	// Stat says whether name exists and is a folder.
	Stat(name string) (isDir bool, err error)
}

// Limits bound what one configuration may make the reader do.
type Limits struct {
	// Files bounds the files read (the main file included).
	Files int
	// Bytes bounds the bytes read in all.
	Bytes int64
	// Depth bounds the nesting of sections, includes and macros.
	Depth int
}

// DefaultLimits are generous for any real configuration.
var DefaultLimits = Limits{Files: 4096, Bytes: 64 << 20, Depth: 48}

// Options say what the reader knows of the server beyond its files.
type Options struct {
	// ServerRoot is where relative paths start until a ServerRoot
	// directive says otherwise (httpd's -d, else its compiled-in root).
	ServerRoot string
	// Defines are the names given with -D; DefinesKnown says the
	// server's command line was read (else an IfDefine of a name not
	// Define'd is Unknown rather than Unmet).
	Defines      []string
	DefinesKnown bool
	// Env are environment variables for ${VAR} (Debian's envvars).
	Env map[string]string
	// StaticModules are the modules compiled in, as identifiers
	// ("so_module") or source files ("mod_so.c").
	StaticModules []string
	// Limits; the zero value means DefaultLimits.
	Limits Limits
}

// Problem is something in a configuration that could not be read.
type Problem struct {
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

// Config is a configuration with its includes and macros resolved.
type Config struct {
	// Main is the main file.
	Main string
	// ServerRoot is the last ServerRoot in effect.
	ServerRoot string
	// Files lists the files read, in order.
	Files []string
	// Directives are the main file's, includes replaced by the content
	// of the files they name.
	Directives []*Directive
	// Modules are the modules loaded (LoadModule identifiers) and
	// compiled in.
	Modules []string
	// Defines are the names defined (-D and Define) at the end.
	Defines []string
	// Problems lists what could not be read.
	Problems []Problem
}

// Load reads the configuration whose main file is main. The error is
// non-nil only when the main file cannot be read at all.
func Load(src Source, main string, opt Options) (*Config, error) {
	if opt.Limits == (Limits{}) {
		opt.Limits = DefaultLimits
	}
	if opt.ServerRoot == "" {
		opt.ServerRoot = path.Dir(main)
	}
	data, err := src.ReadFile(main)
	if err != nil {
		return nil, fmt.Errorf("apache configuration %s: %w", main, err)
	}
	r := &reader{src: src, opt: opt, root: path.Clean(opt.ServerRoot), vars: map[string]string{},
		defines: map[string]bool{}, macros: map[string]*macro{}, bytes: int64(len(data)),
		cfg: &Config{Main: main}}
	for _, d := range opt.Defines {
		r.defines[d] = true
	}
	for _, m := range opt.StaticModules {
		r.modules = append(r.modules, moduleID(m))
	}
	r.static = len(r.modules)
	r.cfg.Files = append(r.cfg.Files, main)
	r.cfg.Directives = r.parseFile(main, data, 0)
	r.cfg.ServerRoot = r.root
	r.cfg.Modules = slices.Clone(r.modules)
	for d := range r.defines {
		r.cfg.Defines = append(r.cfg.Defines, d)
	}
	slices.Sort(r.cfg.Defines)
	return r.cfg, nil
}

// moduleID turns "mod_ssl.c" into "ssl_module"; identifiers stay.
func moduleID(m string) string {
	if s, ok := strings.CutSuffix(m, ".c"); ok {
		s = strings.TrimPrefix(s, "mod_")
		if s == "http_core" {
			return "http_module"
		}
		if s == "core" {
			return "core_module"
		}
		return s + "_module"
	}
	return m
}

// macro is a mod_macro definition.
type macro struct {
	name   string
	params []string
	file   string
	line   int // of the first body line
	body   []rawLine
}

// rawLine is one logical line of a file.
type rawLine struct {
	text string
	line int
}

type reader struct {
	src     Source
	opt     Options
	cfg     *Config
	root    string
	vars    map[string]string
	defines map[string]bool
	modules []string
	static  int // how many of modules are compiled in
	macros  map[string]*macro
	uses    int // macro expansions so far
	// unmet counts the open sections whose condition is known false:
	// inside them, directives are kept but take no effect on reading.
	unmet int
	bytes int64
}

func (r *reader) problem(file string, line int, err error) {
	if len(r.cfg.Problems) < 256 {
		r.cfg.Problems = append(r.cfg.Problems, Problem{File: file, Line: line, Err: err})
	}
}

// blanks are the characters httpd trims.
const blanks = " \t\r\f\v"

// lines splits a file into logical lines: continuations joined,
// comments and blank lines dropped, blanks trimmed. A comment line that
// ends with a backslash continues too, as in httpd.
func lines(data []byte) []rawLine {
	var out []rawLine
	phys := strings.Split(string(data), "\n")
	for i := 0; i < len(phys); i++ {
		start := i + 1
		l := strings.TrimRight(phys[i], blanks)
		var sb strings.Builder
		for strings.HasSuffix(l, `\`) && i+1 < len(phys) {
			sb.WriteString(l[:len(l)-1])
			i++
			l = strings.TrimRight(phys[i], blanks)
		}
		sb.WriteString(l)
		full := strings.TrimLeft(sb.String(), blanks)
		if full == "" || full[0] == '#' {
			continue
		}
		out = append(out, rawLine{text: full, line: start})
	}
	return out
}

// Words splits a line into words as ap_getword_conf does.
func Words(s string) []string {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t\r\n\f\v")
		if s == "" {
			return out
		}
		if q := s[0]; q == '"' || q == '\'' {
			var sb strings.Builder
			i := 1
			for ; i < len(s) && s[i] != q; i++ {
				if s[i] == '\\' && i+1 < len(s) && s[i+1] == q {
					i++
				}
				sb.WriteByte(s[i])
			}
			out = append(out, sb.String())
			if i < len(s) {
				i++
			}
			s = s[i:]
			continue
		}
		i := strings.IndexAny(s, " \t\r\n\f\v")
		if i < 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
}

// frame is an open section while a file is read.
type frame struct {
	d     *Directive
	name  string
	unmet bool
}

// parseFile reads one file at include depth depth.
func (r *reader) parseFile(name string, data []byte, depth int) []*Directive {
	return r.parseLines(name, lines(data), depth, nil)
}

// parseLines builds the tree of a file's lines (or a macro's body);
// subst replaces macro parameters.
func (r *reader) parseLines(file string, ls []rawLine, depth int, subst *strings.Replacer) []*Directive {
	var top []*Directive
	var stack []frame
	defer func() {
		for _, f := range stack {
			if f.unmet {
				r.unmet--
			}
		}
	}()
	add := func(d ...*Directive) {
		if len(stack) > 0 {
			p := stack[len(stack)-1].d
			p.Children = append(p.Children, d...)
		} else {
			top = append(top, d...)
		}
	}
	for i := 0; i < len(ls); i++ {
		text, line := ls[i].text, ls[i].line
		if subst != nil {
			text = subst.Replace(text)
		}
		if text = strings.TrimSpace(r.expand(text)); text == "" {
			continue
		}
		if strings.HasPrefix(text, "</") {
			name := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text[2:]), ">"))
			if len(stack) == 0 {
				r.problem(file, line, fmt.Errorf("%w: </%s> without matching section", ErrSyntax, name))
				return top
			}
			if open := stack[len(stack)-1]; !strings.EqualFold(open.name, name) {
				r.problem(file, line, fmt.Errorf("%w: expected </%s> but saw </%s>", ErrSyntax, open.d.Name, name))
				return top
			}
			if stack[len(stack)-1].unmet {
				r.unmet--
			}
			stack = stack[:len(stack)-1]
			continue
		}
		if text[0] == '<' {
			body, ok := strings.CutSuffix(text, ">")
			if !ok {
				r.problem(file, line, fmt.Errorf("%w: %s directive missing closing '>'", ErrSyntax, firstWord(text)))
				return top
			}
			w := Words(body[1:])
			if len(w) == 0 {
				r.problem(file, line, fmt.Errorf("%w: empty section", ErrSyntax))
				return top
			}
			if strings.EqualFold(w[0], "Macro") {
				j, err := r.defineMacro(file, ls, i, w[1:])
				if err != nil {
					r.problem(file, line, err)
					return top
				}
				i = j
				continue
			}
			if depth+len(stack)+1 >= r.opt.Limits.Depth {
				r.problem(file, line, fmt.Errorf("%w: sections nested deeper than %d", ErrLimit, r.opt.Limits.Depth))
				return top
			}
			d := &Directive{Name: w[0], Args: w[1:], File: file, Line: line, Section: true}
			d.Cond = r.condition(d)
			add(d)
			f := frame{d: d, name: w[0], unmet: d.Cond != nil && d.Cond.State == Unmet}
			if f.unmet {
				r.unmet++
			}
			stack = append(stack, f)
			continue
		}
		w := Words(text)
		d := &Directive{Name: w[0], Args: w[1:], File: file, Line: line}
		switch strings.ToLower(d.Name) {
		case "include", "includeoptional":
			add(r.include(d, depth+len(stack))...)
			continue
		case "use":
			add(r.use(d, depth+len(stack))...)
			continue
		}
		r.execOnRead(d)
		add(d)
	}
	if len(stack) > 0 {
		open := stack[len(stack)-1].d
		r.problem(file, open.Line, fmt.Errorf("%w: <%s> was not closed", ErrSyntax, open.Name))
	}
	return top
}

func firstWord(s string) string {
	if w := Words(s); len(w) > 0 {
		return w[0]
	}
	return ""
}

// execOnRead does what httpd does while it reads: ServerRoot, Define,
// UnDefine and LoadModule take effect for the lines that follow.
func (r *reader) execOnRead(d *Directive) {
	if r.unmet > 0 {
		return
	}
	switch strings.ToLower(d.Name) {
	case "serverroot":
		if len(d.Args) == 1 && strings.HasPrefix(d.Args[0], "/") {
			r.root = path.Clean(d.Args[0])
		}
	case "define":
		if len(d.Args) >= 1 {
			r.defines[d.Args[0]] = true
			if len(d.Args) >= 2 {
				r.vars[d.Args[0]] = d.Args[1]
			} else {
				r.vars[d.Args[0]] = ""
			}
		}
	case "undefine":
		if len(d.Args) == 1 {
			delete(r.defines, d.Args[0])
			delete(r.vars, d.Args[0])
		}
	case "loadmodule":
		if len(d.Args) >= 1 && !slices.Contains(r.modules, d.Args[0]) {
			r.modules = append(r.modules, d.Args[0])
		}
	}
}

// expand replaces ${VAR} with Define'd then environment variables; an
// unknown variable is kept as written, as httpd does.
func (r *reader) expand(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var sb strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			sb.WriteString(s)
			return sb.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			sb.WriteString(s)
			return sb.String()
		}
		name := s[i+2 : i+j]
		sb.WriteString(s[:i])
		if v, ok := r.vars[name]; ok {
			sb.WriteString(v)
		} else if v, ok := r.opt.Env[name]; ok {
			sb.WriteString(v)
		} else {
			sb.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

// full makes a path absolute relative to the ServerRoot.
func (r *reader) full(p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Join(r.root, p)
}

// include reads the files an Include or IncludeOptional names: a file,
// a folder (every file below it, sorted) or a pattern.
func (r *reader) include(d *Directive, depth int) []*Directive {
	optional := strings.EqualFold(d.Name, "IncludeOptional")
	if len(d.Args) != 1 {
		r.problem(d.File, d.Line, fmt.Errorf("%w: %s takes one argument, not %d", ErrSyntax, d.Name, len(d.Args)))
		return nil
	}
	if depth >= r.opt.Limits.Depth {
		r.problem(d.File, d.Line, fmt.Errorf("%w: includes nested deeper than %d", ErrLimit, r.opt.Limits.Depth))
		return nil
	}
	name := r.full(d.Args[0])
	var files []string
	if strings.ContainsAny(name, "*?[") {
		matches, err := r.src.Glob(name)
		if err != nil {
			r.problem(d.File, d.Line, fmt.Errorf("%s %s: %w", d.Name, name, err))
			return nil
		}
		if len(matches) == 0 && !optional {
			r.problem(d.File, d.Line, fmt.Errorf("%s %s: no file matches: %w", d.Name, name, fs.ErrNotExist))
		}
		files = matches
	} else {
		files = []string{name}
	}
	var out []*Directive
	for _, f := range files {
		out = append(out, r.includePath(d, f, optional, depth, 0)...)
	}
	return out
}

// includePath reads file or folder f.
func (r *reader) includePath(d *Directive, f string, optional bool, depth, dirDepth int) []*Directive {
	isDir, err := r.src.Stat(f)
	if err != nil {
		if !optional || !errors.Is(err, fs.ErrNotExist) {
			r.problem(d.File, d.Line, fmt.Errorf("%s %s: %w", d.Name, f, err))
		}
		return nil
	}
	if isDir {
		if dirDepth >= 16 {
			r.problem(d.File, d.Line, fmt.Errorf("%w: %s: folders nested too deep", ErrLimit, f))
			return nil
		}
		names, err := r.src.ReadDir(f)
		if err != nil {
			r.problem(d.File, d.Line, fmt.Errorf("%s %s: %w", d.Name, f, err))
			return nil
		}
		var out []*Directive
		for _, n := range names {
			out = append(out, r.includePath(d, path.Join(f, n), optional, depth, dirDepth+1)...)
		}
		return out
	}
	if len(r.cfg.Files) >= r.opt.Limits.Files {
		r.problem(d.File, d.Line, fmt.Errorf("%w: more than %d files", ErrLimit, r.opt.Limits.Files))
		return nil
	}
	data, err := r.src.ReadFile(f)
	if err != nil {
		r.problem(d.File, d.Line, fmt.Errorf("%s %s: %w", d.Name, f, err))
		return nil
	}
	if r.bytes += int64(len(data)); r.bytes > r.opt.Limits.Bytes {
		r.problem(d.File, d.Line, fmt.Errorf("%w: more than %d bytes", ErrLimit, r.opt.Limits.Bytes))
		return nil
	}
	r.cfg.Files = append(r.cfg.Files, f)
	return r.parseFile(f, data, depth+1)
}

// condition evaluates a conditional section when the reader meets it.
func (r *reader) condition(d *Directive) *Condition {
	name := strings.ToLower(d.Name)
	switch name {
	case "ifmodule", "ifdefine", "iffile", "ifversion", "ifdirective", "ifsection":
	default:
		return nil
	}
	test := strings.Join(d.Args, " ")
	c := &Condition{Section: d.Name, Test: test, State: Unknown}
	neg := false
	arg := test
	if s, ok := strings.CutPrefix(arg, "!"); ok {
		neg, arg = true, strings.TrimSpace(s)
	}
	switch name {
	case "ifmodule":
		switch {
		case slices.Contains(r.modules, moduleID(arg)):
			c.State = Met
		case len(r.modules) > r.static:
			// Modules are loaded with LoadModule here: one not loaded
			// by now is absent.
			c.State = Unmet
		}
	case "ifdefine":
		switch {
		case r.defines[arg]:
			c.State = Met
		case r.opt.DefinesKnown:
			c.State = Unmet
		}
	case "iffile":
		p := strings.Trim(arg, `"'`)
		if _, err := r.src.Stat(r.full(p)); err == nil {
			c.State = Met
		} else if errors.Is(err, fs.ErrNotExist) {
			c.State = Unmet
		}
	}
	if neg {
		switch c.State {
		case Met:
			c.State = Unmet
		case Unmet:
			c.State = Met
		}
	}
	return c
}

// defineMacro reads a <Macro> section starting at ls[i] and returns the
// index of its closing line.
func (r *reader) defineMacro(file string, ls []rawLine, i int, args []string) (int, error) {
	if len(args) == 0 {
		return i, fmt.Errorf("%w: macro without a name", ErrSyntax)
	}
	m := &macro{name: strings.ToLower(args[0]), params: args[1:], file: file, line: ls[i].line}
	depth := 1
	for j := i + 1; j < len(ls); j++ {
		t := ls[j].text
		switch {
		case len(t) > 6 && strings.EqualFold(t[:6], "<Macro") && (t[6] == ' ' || t[6] == '\t'):
			depth++
		case strings.HasPrefix(t, "</") && strings.EqualFold(strings.TrimSpace(strings.TrimSuffix(t[2:], ">")), "Macro"):
			if depth--; depth == 0 {
				if len(r.macros) < 1024 {
					r.macros[m.name] = m
				}
				return j, nil
			}
		}
		m.body = append(m.body, ls[j])
	}
	return len(ls), fmt.Errorf("%w: <Macro %s> was not closed", ErrSyntax, args[0])
}

// use expands a Use directive.
func (r *reader) use(d *Directive, depth int) []*Directive {
	if len(d.Args) == 0 {
		r.problem(d.File, d.Line, fmt.Errorf("%w: Use without a macro name", ErrSyntax))
		return nil
	}
	m, ok := r.macros[strings.ToLower(d.Args[0])]
	if !ok {
		r.problem(d.File, d.Line, fmt.Errorf("%w: Use of undefined macro %q", ErrSyntax, d.Args[0]))
		return nil
	}
	vals := d.Args[1:]
	if len(vals) != len(m.params) {
		r.problem(d.File, d.Line, fmt.Errorf("%w: macro %q takes %d arguments, not %d", ErrSyntax, m.name, len(m.params), len(vals)))
		return nil
	}
	if depth >= r.opt.Limits.Depth {
		r.problem(d.File, d.Line, fmt.Errorf("%w: macros nested deeper than %d", ErrLimit, r.opt.Limits.Depth))
		return nil
	}
	if r.uses++; r.uses > r.opt.Limits.Files {
		r.problem(d.File, d.Line, fmt.Errorf("%w: more than %d macro expansions", ErrLimit, r.opt.Limits.Files))
		return nil
	}
	// Longer parameter names first, so that $ab is not taken for $a.
	idx := make([]int, len(m.params))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return len(m.params[b]) - len(m.params[a]) })
	var pairs []string
	for _, i := range idx {
		pairs = append(pairs, m.params[i], vals[i])
	}
	return r.parseLines(m.file, m.body, depth+1, strings.NewReplacer(pairs...))
}

// Parse reads one file's content with no includes, variables or
// macros from elsewhere (for tests and fuzzing).
func Parse(name string, data []byte) (*Config, error) {
	return Load(memSource{name: name, data: data}, name, Options{})
}

// memSource is a Source holding one file.
type memSource struct {
	name string
	data []byte
}

func (m memSource) ReadFile(name string) ([]byte, error) {
	if name == m.name {
		return m.data, nil
	}
	return nil, fs.ErrNotExist
}
func (memSource) Glob(string) ([]string, error)    { return nil, nil }
func (memSource) ReadDir(string) ([]string, error) { return nil, fs.ErrNotExist }
func (m memSource) Stat(name string) (bool, error) {
	if name == m.name {
		return false, nil
	}
	return false, fs.ErrNotExist
}
