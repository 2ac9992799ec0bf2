package services

import "strings"

// Kinds of unit names (systemd.unit(5)).
const (
	namePlain    = iota + 1 // "sshd.service"
	nameTemplate            // "getty@.service"
	nameInstance            // "getty@tty1.service"
)

// unitTypes are the unit types systemd knows, by suffix.
var unitTypes = map[string]bool{
	"service": true, "socket": true, "timer": true, "path": true, "target": true, "mount": true,
	"automount": true, "swap": true, "slice": true, "scope": true, "device": true,
}

// maxUnitName is systemd's UNIT_NAME_MAX.
const maxUnitName = 255

// UnitName is a parsed unit name.
type UnitName struct {
	// Prefix is the part before '@', or the whole name without the
	// type for a plain name.
	Prefix string
	// Instance is the part between '@' and the type ("" for a template).
	Instance string
	// Type is the suffix without the dot ("service").
	Type string
	kind int
}

// ParseUnitName parses a unit name as systemd validates it: a prefix of
// letters, digits and ":-_.\", optionally "@" and an instance (which may
// also hold '@'), a dot and a known type; at most 255 bytes. ok is false
// for anything else.
func ParseUnitName(s string) (UnitName, bool) {
	var n UnitName
	if len(s) == 0 || len(s) > maxUnitName {
		return n, false
	}
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 || !unitTypes[s[dot+1:]] {
		return n, false
	}
	n.Type = s[dot+1:]
	body := s[:dot]
	at := strings.IndexByte(body, '@')
	if at < 0 {
		if !validChars(body, false) {
			return n, false
		}
		n.Prefix, n.kind = body, namePlain
		return n, true
	}
	n.Prefix, n.Instance = body[:at], body[at+1:]
	if n.Prefix == "" || !validChars(n.Prefix, false) || !validChars(n.Instance, true) {
		return n, false
	}
	n.kind = nameTemplate
	if n.Instance != "" {
		n.kind = nameInstance
	}
	return n, true
}

// validChars checks the characters systemd allows in a unit name's
// prefix (and, with '@', in an instance).
func validChars(s string, instance bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == ':' || c == '-' || c == '_' || c == '.' || c == '\\':
		case c == '@' && instance:
		default:
			return false
		}
	}
	return true
}

// IsTemplate reports whether n is a template ("getty@.service").
func (n UnitName) IsTemplate() bool { return n.kind == nameTemplate }

// IsInstance reports whether n is an instance ("getty@tty1.service").
func (n UnitName) IsInstance() bool { return n.kind == nameInstance }

// Template returns the template of an instance name ("getty@.service"),
// "" for other names.
func (n UnitName) Template() string {
	if n.kind != nameInstance {
		return ""
	}
	return n.Prefix + "@." + n.Type
}

// templateOf returns the template of name when it is an instance.
func templateOf(name string) string {
	n, ok := ParseUnitName(name)
	if !ok {
		return ""
	}
	return n.Template()
}

// isInstance reports whether name is a valid instance name.
func isInstance(name string) bool {
	n, ok := ParseUnitName(name)
	return ok && n.IsInstance()
}

// validAlias reports whether a link named src may point to the unit dst
// (systemd's unit_validate_alias_symlink): the same type, and a template
// only for a template (an instance may point to a template or instance).
func validAlias(src, dst string) bool {
	s, ok1 := ParseUnitName(src)
	d, ok2 := ParseUnitName(dst)
	if !ok1 || !ok2 || s.Type != d.Type {
		return false
	}
	switch s.kind {
	case namePlain:
		return d.kind == namePlain
	case nameTemplate:
		return d.kind == nameTemplate
	default:
		return d.kind != namePlain
	}
}
