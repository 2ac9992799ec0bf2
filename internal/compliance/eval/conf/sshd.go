package conf

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// SSHDConfigDir is the folder relative Include paths are taken from.
const SSHDConfigDir = "/etc/ssh"

// sshdDefaults maps a lower-case keyword to its default value.
var sshdDefaults = func() map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(sshdDefaultsText, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), " "); ok {
			m[k] = v
		}
	}
	return m
}()

// sshdAliases maps deprecated keywords to the one sshd -T prints.
var sshdAliases = map[string]string{
	"challengeresponseauthentication": "kbdinteractiveauthentication",
	"pubkeyacceptedkeytypes":          "pubkeyacceptedalgorithms",
	"hostbasedacceptedkeytypes":       "hostbasedacceptedalgorithms",
}

// sshdMulti are keywords whose every occurrence counts (their values
// are joined with a blank) instead of the first.
var sshdMulti = map[string]bool{
	"allowusers": true, "allowgroups": true, "denyusers": true, "denygroups": true,
	"acceptenv": true, "hostkey": true, "port": true, "listenaddress": true,
	"hostcertificate": true, "subsystem": true, "setenv": true,
}

// SSHDKey returns the keyword sshd uses for key: lower case, aliases
// resolved.
func SSHDKey(key string) string {
	k := strings.ToLower(key)
	if a, ok := sshdAliases[k]; ok {
		return a
	}
	return k
}

// SSHDDefault returns OpenSSH's default value of a keyword.
func SSHDDefault(key string) (string, bool) {
	v, ok := sshdDefaults[SSHDKey(key)]
	return v, ok
}

// SSHD is an sshd_config as sshd reads it for the global settings.
type SSHD struct {
	// Settings maps the keyword (SSHDKey) to the setting that counts;
	// for the keywords that accumulate, Value holds every value.
	Settings map[string]Entry
	// Files lists the files read, in order.
	Files []string
}

// ParseSSHD reads the sshd_config at path and the files it includes.
// Only an unreadable main file is an error; an Include that matches
// nothing is left out, as sshd does.
func ParseSSHD(src Source, file string) (*SSHD, error) {
	cfg := &SSHD{Settings: map[string]Entry{}}
	data, err := src.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if err := cfg.parse(src, file, data, false, 0); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ParseSSHDData reads one sshd_config from data without following
// Include (for tests and fuzzing).
func ParseSSHDData(file string, data []byte) *SSHD {
	cfg := &SSHD{Settings: map[string]Entry{}}
	_ = cfg.parse(nil, file, data, false, maxDepth)
	return cfg
}

func (c *SSHD) parse(src Source, file string, data []byte, inMatch bool, depth int) error {
	c.Files = append(c.Files, file)
	var err error
	lines(data, func(n int, line string) {
		if err != nil {
			return
		}
		key, args := sshdWords(line)
		if key == "" {
			return
		}
		lk := SSHDKey(key)
		switch lk {
		case "match":
			// A Match block lasts to the next Match or the end of this
			// file; sshd -T without -C leaves it out.
			inMatch = true
			return
		case "include":
			if src == nil || depth >= maxDepth {
				if src != nil {
					err = fmt.Errorf("%s:%d: Include nested more than %d deep", file, n, maxDepth)
				}
				return
			}
			for _, pat := range args {
				if !strings.HasPrefix(pat, "/") {
					pat = path.Join(SSHDConfigDir, pat)
				}
				matches, gerr := src.Glob(pat)
				if gerr != nil {
					err = fmt.Errorf("%s:%d: Include %s: %w", file, n, pat, gerr)
					return
				}
				for _, m := range matches {
					d, rerr := src.ReadFile(m)
					if rerr != nil {
						err = fmt.Errorf("%s:%d: Include %s: %w", file, n, m, rerr)
						return
					}
					if perr := c.parse(src, m, d, inMatch, depth+1); perr != nil {
						err = perr
						return
					}
				}
			}
			return
		}
		if inMatch {
			return
		}
		val := strings.Join(args, " ")
		if prev, ok := c.Settings[lk]; ok {
			if sshdMulti[lk] {
				prev.Value += " " + val
				c.Settings[lk] = prev
			}
			return
		}
		c.Settings[lk] = Entry{Key: key, Value: val, File: file, Line: n}
	})
	return err
}

// sshdWords splits a line into its keyword and arguments: blanks or
// one "=" separate the keyword, "double quotes" group an argument, and
// a word starting with # starts a comment.
func sshdWords(line string) (string, []string) {
	s := strings.TrimLeftFunc(line, unicode.IsSpace)
	if s == "" || s[0] == '#' {
		return "", nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '=' })
	if i < 0 {
		return s, nil
	}
	key, rest := s[:i], strings.TrimLeftFunc(s[i:], unicode.IsSpace)
	rest = strings.TrimPrefix(rest, "=")
	var args []string
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" || rest[0] == '#' {
			break
		}
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				args = append(args, rest[1:])
				break
			}
			args = append(args, rest[1:1+end])
			rest = rest[2+end:]
			continue
		}
		j := strings.IndexFunc(rest, unicode.IsSpace)
		if j < 0 {
			args = append(args, rest)
			break
		}
		args = append(args, rest[:j])
		rest = rest[j:]
	}
	return key, args
}

// Get returns the setting of key and whether a file sets it.
func (c *SSHD) Get(key string) (Entry, bool) {
	e, ok := c.Settings[SSHDKey(key)]
	return e, ok
}

// SSHDNumber reads an sshd number, accepting time values ("1m30s",
// "2h") as seconds.
func SSHDNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, true
	}
	total, num := 0.0, ""
	if s == "" {
		return 0, false
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= '0' && r <= '9':
			num += string(r)
			continue
		}
		mult := map[rune]float64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}[r]
		if mult == 0 || num == "" {
			return 0, false
		}
		n, _ := strconv.ParseFloat(num, 64)
		total += n * mult
		num = ""
	}
	if num != "" {
		n, _ := strconv.ParseFloat(num, 64)
		total += n
	}
	return total, true
}
