package vulndbcmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// Bounds of a source name, as the center checks them.
const maxSourceName = 64

// kevSource is the source a known exploited catalogue is imported under.
const kevSource = "kev"

// osvExport is the name osv.dev gives an ecosystem's export, in a folder
// named after the ecosystem (Debian/all.zip).
const osvExport = "all.zip"

// SourceName is the source a file is imported under when none is given:
// "kev" for a known exploited catalogue; the folder's name for an
// osv.dev export (/data/osv/Debian/all.zip is Debian); else the file's
// name without its extension. path should be absolute, so that an export
// in the working folder is named after it. Characters a source name
// cannot hold become '-'; a name that keeps nothing usable is an error.
func SourceName(path string, kev bool) (string, error) {
	if kev {
		return kevSource, nil
	}
	base := filepath.Base(path)
	raw := strings.TrimSuffix(base, filepath.Ext(base))
	if strings.EqualFold(base, osvExport) {
		if dir := filepath.Base(filepath.Dir(path)); dir != "." && dir != string(filepath.Separator) {
			raw = dir
		}
	}
	name := sanitizeSource(raw)
	if name == "" {
		return "", fmt.Errorf("%s: no source name can be made of its name; give one with --source", path)
	}
	return name, nil
}

// sanitizeSource makes s a source name: letters, digits and . _ : + -
// and blanks, starting with a letter or digit, at most maxSourceName
// bytes. Runs of other characters become one '-'; "" when nothing is left.
func sanitizeSource(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
			dash = false
		case r == '.' || r == '_' || r == ':' || r == '+' || r == '-' || r == ' ':
			b.WriteRune(r)
			dash = r == '-'
		default:
			if !dash {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	out := strings.TrimLeftFunc(b.String(), func(r rune) bool { return !isAlnum(r) })
	if len(out) > maxSourceName {
		out = out[:maxSourceName]
	}
	return strings.TrimRight(out, " -")
}

// isAlnum reports whether r is an ASCII letter or digit.
func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// kevHead is how much of a JSON file is read to tell a known exploited
// catalogue from OSV records.
const kevHead = 64 << 10

// IsKEV reports whether head, the start of a JSON file, is a known
// exploited vulnerabilities catalogue (CISA's): an object with
// "vulnerabilities" and one of "catalogVersion", "dateReleased" or
// "count". Only the keys seen before head ends count, so a catalogue of
// any size is recognised from its first bytes.
func IsKEV(head []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimLeft(head, " \t\r\n\ufeff")))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	var vulns, catalog bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, ok := tok.(string)
		if !ok {
			break
		}
		switch key {
		case "vulnerabilities":
			vulns = true
		case "catalogVersion", "dateReleased", "count":
			catalog = true
		}
		if vulns && catalog {
			return true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			break
		}
	}
	return vulns && catalog
}
