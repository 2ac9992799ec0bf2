// Package crontab parses crontab files in both formats: the system format
// of /etc/crontab and /etc/cron.d (a user field between the schedule and
// the command) and the user format of the spool (crontab -e: no user).
//
// A line is blank, a comment ('#' first), an environment setting
// ("NAME = value", quotes allowed around either, as cron's load_env reads
// it), or a job: five time fields or an @keyword (@reboot, @hourly ...),
// the user in the system format, and the command (the rest of the line,
// '%' and all, as written). A job whose time fields hold characters cron
// does not accept, with an unknown @keyword, or with no command is
// skipped and listed in File.Problems.
package crontab

import (
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// Format is a crontab's format.
type Format int

// Formats.
const (
	// System has a user field: /etc/crontab, /etc/cron.d/*.
	System Format = iota
	// User has none: /var/spool/cron/crontabs/NAME, /var/spool/cron/NAME.
	User
)

// Entry is a job or an environment setting.
type Entry struct {
	// Line is the 1-based line number.
	Line int
	// Env is true for an environment setting (Name, Value).
	Env         bool
	Name, Value string
	// Schedule is the time fields joined by single spaces
	// ("*/5 * * * *"), or the keyword ("@reboot").
	Schedule string
	// User is the job's user (system format only).
	User    string
	Command string
}

// File is a parsed crontab.
type File struct {
	Entries  []Entry
	Problems textfile.Problems
}

// keywords are the @schedules of Vixie cron and cronie.
var keywords = []string{"reboot", "yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly"}

// Parse parses a crontab of the given format.
func Parse(data []byte, format Format) File {
	var f File
	for n, raw := range textfile.Lines(data) {
		line := strings.TrimSpace(strings.TrimSuffix(string(raw), "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		if name, value, ok := env(line); ok {
			f.Entries = append(f.Entries, Entry{Line: n, Env: true, Name: name, Value: value})
			continue
		}
		e, reason := job(line, format)
		if reason != "" {
			f.Problems.Skip(n, reason)
			continue
		}
		e.Line = n
		f.Entries = append(f.Entries, e)
	}
	return f
}

// env reads "NAME=value" the way cron's load_env does: the name (quoted,
// or up to '=' or a blank), blanks, '=', blanks, the value (quotes
// around it removed).
func env(line string) (name, value string, ok bool) {
	rest := line
	if q := line[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(line[1:], q)
		if end < 0 {
			return "", "", false
		}
		name, rest = line[1:1+end], line[2+end:]
	} else {
		end := strings.IndexAny(line, "= \t")
		if end < 0 {
			return "", "", false
		}
		name, rest = line[:end], line[end:]
	}
	rest = strings.TrimLeft(rest, " \t")
	if name == "" || !strings.HasPrefix(rest, "=") {
		return "", "", false
	}
	value = strings.TrimSpace(rest[1:])
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		value = value[1 : len(value)-1]
	}
	return name, value, true
}

// job reads a job line; reason says why it is not one.
func job(line string, format Format) (Entry, string) {
	var e Entry
	field, rest := next(line)
	if kw, ok := strings.CutPrefix(field, "@"); ok {
		if !known(kw) {
			return e, "unknown @keyword"
		}
		e.Schedule = "@" + strings.ToLower(kw)
	} else {
		fields := []string{field}
		for len(fields) < 5 {
			field, rest = next(rest)
			if field == "" {
				return e, "fewer than five time fields"
			}
			fields = append(fields, field)
		}
		for i, f := range fields {
			if !timeField(f, i >= 3) {
				return e, "time field " + string(rune('1'+i)) + " is not valid"
			}
		}
		e.Schedule = strings.Join(fields, " ")
	}
	if format == System {
		e.User, rest = next(rest)
		if e.User == "" {
			return e, "no user"
		}
	}
	e.Command = strings.TrimSpace(rest)
	if e.Command == "" {
		return e, "no command"
	}
	return e, ""
}

// next returns the first blank-separated field of s and the rest.
func next(s string) (field, rest string) {
	s = strings.TrimLeft(s, " \t")
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

func known(kw string) bool {
	for _, k := range keywords {
		if strings.EqualFold(kw, k) {
			return true
		}
	}
	return false
}

// timeField accepts what cron's time fields are made of: numbers, '*',
// ranges, lists, steps, cronie's '~' random ranges, and names in the
// month and weekday fields.
func timeField(f string, names bool) bool {
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c >= '0' && c <= '9', c == '*', c == ',', c == '-', c == '/', c == '~':
		case names && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
		default:
			return false
		}
	}
	return f != ""
}
