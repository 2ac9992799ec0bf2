package pghba

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Setting is one parameter of postgresql.conf.
type Setting struct {
	// Name is lower-case; Value has its quotes and escapes removed.
	Name, Value string
	// File and Line locate it.
	File string
	Line int
}

// ParseConfLine reads one line of postgresql.conf: "name = value" or
// "name value", the value quoted ('...', a quote doubled or escaped
// with a backslash) or a bare word, then a comment or nothing. ok is false
// for a blank or comment line.
func ParseConfLine(line string) (name, value string, ok bool, err error) {
	s := strings.TrimLeft(line, " \t\r\f\v")
	if s == "" || s[0] == '#' {
		return "", "", false, nil
	}
	i := 0
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	if i == 0 {
		return "", "", false, fmt.Errorf("%w: no parameter name", ErrMalformed)
	}
	name, s = strings.ToLower(s[:i]), strings.TrimLeft(s[i:], " \t\r\f\v")
	if strings.HasPrefix(s, "=") {
		s = strings.TrimLeft(s[1:], " \t\r\f\v")
	}
	if s == "" || s[0] == '#' {
		return "", "", false, fmt.Errorf("%w: parameter %s has no value", ErrMalformed, short(name))
	}
	if s[0] == '\'' {
		v, rest, err := unquoteConf(s)
		if err != nil {
			return "", "", false, fmt.Errorf("parameter %s: %w", short(name), err)
		}
		value, s = v, rest
	} else {
		j := 0
		for j < len(s) && !strings.ContainsRune(" \t\r\f\v#'", rune(s[j])) {
			j++
		}
		value, s = s[:j], s[j:]
	}
	s = strings.TrimLeft(s, " \t\r\f\v")
	if s != "" && s[0] != '#' {
		return "", "", false, fmt.Errorf("%w: parameter %s: text after the value", ErrMalformed, short(name))
	}
	return name, value, true, nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '$' || c >= 0x80
}

// unquoteConf reads a quoted value at the start of s and returns it and
// what follows.
func unquoteConf(s string) (string, string, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == '\'':
			return b.String(), s[i+1:], nil
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				if e >= '0' && e <= '7' {
					v, j := 0, i
					for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
						v = v*8 + int(s[j]-'0')
						j++
					}
					b.WriteByte(byte(v))
					i = j - 1
				} else {
					b.WriteByte(e)
				}
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("%w: unterminated quoted value", ErrMalformed)
}

// Conf is what LoadConf read: the settings, the last of each name, and
// the lines skipped.
type Conf struct {
	Settings map[string]Setting
	// Files are the files read, the first the one asked for.
	Files []string
	// Malformed lists the skipped lines as "file:line: reason".
	Malformed []string
	// Skipped counts them.
	Skipped int
}

// Get returns the value of a setting.
func (c *Conf) Get(name string) (string, bool) {
	s, ok := c.Settings[strings.ToLower(name)]
	return s.Value, ok
}

// LoadConf reads postgresql.conf at name and the files it includes
// (include, include_if_exists, include_dir, relative to the including
// file). An error means name itself cannot be read.
func LoadConf(r Reader, name string) (*Conf, error) {
	c := &Conf{Settings: map[string]Setting{}}
	if err := c.load(r, name, 0, true); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Conf) skip(file string, line int, reason string) {
	c.Skipped++
	if len(c.Malformed) < 32 {
		c.Malformed = append(c.Malformed, fmt.Sprintf("%s:%d: %s", file, line, reason))
	}
}

func (c *Conf) load(r Reader, name string, depth int, required bool) error {
	data, err := r.ReadFile(name)
	if err != nil {
		if required {
			return fmt.Errorf("postgresql.conf: %w", err)
		}
		return nil
	}
	c.Files = append(c.Files, name)
	for n, line := range strings.Split(string(data), "\n") {
		key, val, ok, err := ParseConfLine(line)
		if err != nil {
			c.skip(name, n+1, err.Error())
			continue
		}
		if !ok {
			continue
		}
		switch key {
		case "include", "include_if_exists", "include_dir":
			if depth+1 > maxIncludeDepth {
				c.skip(name, n+1, "includes nested too deep")
				continue
			}
			target := val
			if !path.IsAbs(target) {
				target = path.Join(path.Dir(name), target)
			}
			switch key {
			case "include":
				if err := c.load(r, target, depth+1, true); err != nil {
					c.skip(name, n+1, err.Error())
				}
			case "include_if_exists":
				_ = c.load(r, target, depth+1, false)
			default:
				names, err := r.ReadDir(target)
				if err != nil {
					c.skip(name, n+1, fmt.Sprintf("include_dir: %v", err))
					continue
				}
				for _, f := range confFiles(names) {
					if err := c.load(r, path.Join(target, f), depth+1, true); err != nil {
						c.skip(name, n+1, err.Error())
					}
				}
			}
			continue
		}
		c.Settings[key] = Setting{Name: key, Value: val, File: name, Line: n + 1}
	}
	return nil
}

// confFiles returns the names include_dir reads: those ending in ".conf"
// and not starting with '.', sorted.
func confFiles(names []string) []string {
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, ".conf") && !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Locate finds the pg_hba.conf of a server from what its command line
// gives (any of them may be ""): the data directory (-D, or the working
// directory the server changes to), the configuration file
// (config_file) and an hba_file set on the command line. The
// configuration file, when one is found and can be read, is returned
// too; its data_directory and hba_file settings count when the command
// line sets neither.
func Locate(r Reader, dataDir, configFile, hbaFile string) (hba string, conf *Conf, err error) {
	if configFile == "" && dataDir != "" {
		configFile = path.Join(dataDir, "postgresql.conf")
	}
	if configFile != "" {
		conf, err = LoadConf(r, configFile)
		if err != nil && hbaFile == "" && dataDir == "" {
			return "", nil, err
		}
	}
	if hbaFile == "" && conf != nil {
		hbaFile, _ = conf.Get("hba_file")
	}
	if hbaFile == "" {
		dir := dataDir
		if conf != nil {
			if d, ok := conf.Get("data_directory"); ok && d != "" {
				dir = d
			}
		}
		if dir == "" {
			return "", conf, fmt.Errorf("no data directory and no hba_file for %s", configFile)
		}
		hbaFile = path.Join(dir, "pg_hba.conf")
	}
	if !path.IsAbs(hbaFile) {
		base := dataDir
		if base == "" && configFile != "" {
			base = path.Dir(configFile)
		}
		hbaFile = path.Join(base, hbaFile)
	}
	return path.Clean(hbaFile), conf, nil
}
