package framework

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Unknown is the version of a framework whose files do not say it.
const Unknown = "unknown"

// maxVersion bounds a version string.
const maxVersion = 64

// CleanVersion returns v when it looks like a version (starts with a
// digit; letters, digits, ".-+_~" and spaces; at most 64 bytes), else
// Unknown.
func CleanVersion(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > maxVersion || v[0] < '0' || v[0] > '9' {
		return Unknown
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c == '.' || c == '-' || c == '+' || c == '_' || c == '~' || c == ' ':
		default:
			return Unknown
		}
	}
	return v
}

var (
	wpVersionRE = regexp.MustCompile(`\$wp_version\s*=\s*['"]([^'"\n]{1,64})['"]`)
	pmaRE       = regexp.MustCompile(`['"]PMA_VERSION['"]\s*,\s*['"]([^'"\n]{1,64})['"]`)
	joomlaNumRE = regexp.MustCompile(`const\s+(MAJOR|MINOR|PATCH)_VERSION\s*=\s*(\d{1,6})\s*;`)
	joomlaOldRE = regexp.MustCompile(`(?:const\s+|public\s+\$|var\s+\$)(RELEASE|DEV_LEVEL)\s*=\s*['"]([^'"\n]{1,32})['"]`)
	djangoRE    = regexp.MustCompile(`(?m)^VERSION\s*=\s*\(\s*(\d{1,6})\s*,\s*(\d{1,6})\s*,\s*(\d{1,6})\s*,\s*['"](\w{1,16})['"]\s*,\s*(\d{1,6})\s*\)`)
)

// WordPressVersion returns $wp_version of wp-includes/version.php.
func WordPressVersion(data []byte) string {
	if m := wpVersionRE.FindSubmatch(data); m != nil {
		return CleanVersion(string(m[1]))
	}
	return Unknown
}

// patterns caches the expressions of PHPDefine and PHPConst by name.
var patterns sync.Map

func pattern(format, name string) *regexp.Regexp {
	key := format + "\x00" + name
	if re, ok := patterns.Load(key); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(strings.Replace(format, "NAME", regexp.QuoteMeta(name), 1))
	patterns.Store(key, re)
	return re
}

// PHPDefine returns the value of define('name', 'value') in PHP
// source.
func PHPDefine(data []byte, name string) string {
	if m := pattern(`define\(\s*['"]NAME['"]\s*,\s*['"]([^'"\n]{1,64})['"]`, name).FindSubmatch(data); m != nil {
		return CleanVersion(string(m[1]))
	}
	return Unknown
}

// PHPConst returns the string value of a class constant ("const
// VERSION = '10.48.4';", with any visibility).
func PHPConst(data []byte, name string) string {
	if m := pattern(`const\s+NAME\s*=\s*['"]([^'"\n]{1,64})['"]`, name).FindSubmatch(data); m != nil {
		return CleanVersion(string(m[1]))
	}
	return Unknown
}

// JoomlaVersion reads Joomla's Version class: MAJOR_VERSION,
// MINOR_VERSION and PATCH_VERSION (3.8 and later), or RELEASE and
// DEV_LEVEL (earlier).
func JoomlaVersion(data []byte) string {
	parts := map[string]string{}
	for _, m := range joomlaNumRE.FindAllSubmatch(data, 8) {
		if _, ok := parts[string(m[1])]; !ok {
			parts[string(m[1])] = string(m[2])
		}
	}
	if parts["MAJOR"] != "" && parts["MINOR"] != "" {
		v := parts["MAJOR"] + "." + parts["MINOR"]
		if parts["PATCH"] != "" {
			v += "." + parts["PATCH"]
		}
		return CleanVersion(v)
	}
	for _, m := range joomlaOldRE.FindAllSubmatch(data, 8) {
		if _, ok := parts[string(m[1])]; !ok {
			parts[string(m[1])] = string(m[2])
		}
	}
	if r := parts["RELEASE"]; r != "" {
		if d := parts["DEV_LEVEL"]; d != "" {
			return CleanVersion(r + "." + d)
		}
		return CleanVersion(r)
	}
	return Unknown
}

// PMAVersion reads the version of phpMyAdmin from its Version class
// (const VERSION) or its Config class (PMA_VERSION).
func PMAVersion(data []byte) string {
	if m := pmaRE.FindSubmatch(data); m != nil {
		return CleanVersion(string(m[1]))
	}
	return PHPConst(data, "VERSION")
}

// DjangoVersion reads VERSION = (4, 2, 7, "final", 0) of
// django/__init__.py and writes it as Django's get_version does.
func DjangoVersion(data []byte) string {
	m := djangoRE.FindSubmatch(data)
	if m == nil {
		return Unknown
	}
	v := string(m[1]) + "." + string(m[2])
	if string(m[3]) != "0" {
		v += "." + string(m[3])
	}
	switch string(m[4]) {
	case "final":
	case "alpha":
		if string(m[5]) == "0" {
			return CleanVersion(v + ".dev")
		}
		v += "a" + string(m[5])
	case "beta":
		v += "b" + string(m[5])
	case "rc":
		v += "rc" + string(m[5])
	default:
		return Unknown
	}
	return CleanVersion(v)
}

// MetadataField returns a field of Python package metadata (METADATA,
// PKG-INFO: RFC 822 headers up to the first blank line).
func MetadataField(data []byte, field string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), field) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Manifest parses the main section of a JAR manifest: "Name: value"
// lines, a line starting with one space continuing the previous value.
func Manifest(data []byte) map[string]string {
	out := map[string]string{}
	var last string
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break // end of the main section
		}
		if line[0] == ' ' {
			if last != "" && len(out[last]) < 4096 {
				out[last] += line[1:]
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || len(out) >= 256 {
			last = ""
			continue
		}
		last = strings.TrimSpace(k)
		out[last] = strings.TrimSpace(v)
	}
	return out
}

// JarVersion returns the version in the name of artifact's JAR
// ("struts2-core-2.5.30.jar" for artifact "struts2-core"): the rest of
// the name must start with a digit, so "spring-boot-autoconfigure-3.1.5.jar"
// is not "spring-boot".
func JarVersion(name, artifact string) (string, bool) {
	rest, ok := strings.CutPrefix(name, artifact+"-")
	if !ok {
		return "", false
	}
	rest, ok = strings.CutSuffix(rest, ".jar")
	if !ok || rest == "" || rest[0] < '0' || rest[0] > '9' {
		return "", false
	}
	return CleanVersion(rest), true
}

// SpringBootPort returns server.port of an application.properties or
// application.yml, 0 when it sets none.
func SpringBootPort(data []byte, yaml bool) int {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	inServer := false
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if !yaml {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				k, v, ok = strings.Cut(line, ":")
			}
			if ok && strings.TrimSpace(k) == "server.port" {
				return port(v)
			}
			continue
		}
		trimmed := strings.TrimSpace(line)
		indented := line[0] == ' ' || line[0] == '\t'
		if !indented {
			inServer = false
			if k, v, ok := strings.Cut(trimmed, ":"); ok {
				if strings.TrimSpace(k) == "server.port" {
					return port(v)
				}
				inServer = strings.TrimSpace(k) == "server" && strings.TrimSpace(v) == ""
			}
			continue
		}
		if inServer {
			if k, v, ok := strings.Cut(trimmed, ":"); ok && strings.TrimSpace(k) == "port" {
				return port(v)
			}
		}
	}
	return 0
}

func port(v string) int {
	n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(v), `"'`))
	if err != nil || n < 1 || n > 65535 {
		return 0
	}
	return n
}
