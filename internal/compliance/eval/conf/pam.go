package conf

import (
	"fmt"
	"path"
	"strings"
)

// PAMDir is the folder of PAM service files.
const PAMDir = "/etc/pam.d"

// PAMLine is one line of a PAM stack.
type PAMLine struct {
	Type    string // account, auth, password, session
	Control string // required, [success=1 default=ignore] ...
	Module  string // the module as written (pam_unix.so or a full path)
	Args    []string
	File    string
	Line    int
}

// ModuleName is the module's file name without its folder.
func (l PAMLine) ModuleName() string { return path.Base(l.Module) }

// Arg returns the value of argument name: "3" for retry=3, "" for a
// bare flag, and whether the argument is there.
func (l PAMLine) Arg(name string) (string, bool) {
	for _, a := range l.Args {
		k, v, hasValue := strings.Cut(a, "=")
		if k == name {
			if !hasValue {
				return "", true
			}
			return v, true
		}
	}
	return "", false
}

// String shows the line as written.
func (l PAMLine) String() string {
	s := l.Type + " " + l.Control + " " + l.Module
	if len(l.Args) > 0 {
		s += " " + strings.Join(l.Args, " ")
	}
	return s
}

// PAM is the lines of a PAM service with its includes followed.
type PAM struct {
	Lines []PAMLine
	Files []string
}

// ParsePAM reads the PAM service file at file, following `@include
// FILE` and the include and substack controls (of the same type).
func ParsePAM(src Source, file string) (*PAM, error) {
	p := &PAM{}
	if err := p.read(src, file, "", 0); err != nil {
		return nil, err
	}
	return p, nil
}

// ParsePAMData reads one PAM file from data without following includes.
func ParsePAMData(file string, data []byte) *PAM {
	p := &PAM{}
	_ = p.parse(nil, file, data, "", maxDepth)
	return p
}

func pamPath(name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	return path.Join(PAMDir, name)
}

func (p *PAM) read(src Source, file, onlyType string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: includes nested more than %d deep", file, maxDepth)
	}
	data, err := src.ReadFile(file)
	if err != nil {
		return err
	}
	return p.parse(src, file, data, onlyType, depth)
}

func (p *PAM) parse(src Source, file string, data []byte, onlyType string, depth int) error {
	p.Files = append(p.Files, file)
	var err error
	joined, start := "", 0
	lines(data, func(n int, line string) {
		if err != nil {
			return
		}
		// A line ending in \ goes on in the next one.
		if strings.HasSuffix(line, "\\") {
			if joined == "" {
				start = n
			}
			joined += strings.TrimSuffix(line, "\\") + " "
			return
		}
		if joined != "" {
			line, joined = joined+line, ""
		} else {
			start = n
		}
		err = p.line(src, file, start, line, onlyType, depth)
	})
	return err
}

func (p *PAM) line(src Source, file string, n int, line, onlyType string, depth int) error {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	words := pamWords(line)
	if len(words) == 0 {
		return nil
	}
	if words[0] == "@include" {
		if len(words) < 2 || src == nil {
			return nil
		}
		if err := p.read(src, pamPath(words[1]), onlyType, depth+1); err != nil {
			return fmt.Errorf("%s:%d: @include %s: %w", file, n, words[1], err)
		}
		return nil
	}
	if len(words) < 3 {
		return nil
	}
	typ := strings.ToLower(strings.TrimPrefix(words[0], "-"))
	if onlyType != "" && typ != onlyType {
		return nil
	}
	control := words[1]
	if control == "include" || control == "substack" {
		if src == nil {
			return nil
		}
		if err := p.read(src, pamPath(words[2]), typ, depth+1); err != nil {
			return fmt.Errorf("%s:%d: %s %s: %w", file, n, control, words[2], err)
		}
		return nil
	}
	p.Lines = append(p.Lines, PAMLine{Type: typ, Control: control, Module: words[2], Args: words[3:], File: file, Line: n})
	return nil
}

// pamWords splits a PAM line into words; [brackets] group one word
// (the control, or an argument like [a b]).
func pamWords(line string) []string {
	var words []string
	s := strings.TrimSpace(line)
	for s != "" {
		if s[0] == '[' {
			end := strings.IndexByte(s, ']')
			if end < 0 {
				words = append(words, s)
				break
			}
			words = append(words, s[:end+1])
			s = strings.TrimSpace(s[end+1:])
			continue
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			words = append(words, s)
			break
		}
		words = append(words, s[:i])
		s = strings.TrimSpace(s[i:])
	}
	return words
}

// Select returns the lines of type whose module's file name is module.
func (p *PAM) Select(typ, module string) []PAMLine {
	var out []PAMLine
	for _, l := range p.Lines {
		if l.Type == typ && l.ModuleName() == path.Base(module) {
			out = append(out, l)
		}
	}
	return out
}
