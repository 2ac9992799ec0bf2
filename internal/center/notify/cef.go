package notify

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// cefSeverity maps a severity onto CEF's 0 to 10 scale (0-3 low, 4-6
// medium, 7-8 high, 9-10 very high).
func cefSeverity(s string) int {
	switch s {
	case "low":
		return 3
	case "medium":
		return 5
	case "high":
		return 8
	case "critical":
		return 10
	default:
		return 0
	}
}

// cefHeaderEscaper escapes a header field: '\' and '|' take a backslash;
// line breaks, which a header cannot hold, become spaces.
var cefHeaderEscaper = strings.NewReplacer(`\`, `\\`, `|`, `\|`, "\r\n", " ", "\r", " ", "\n", " ")

// cefExtEscaper escapes an extension value: '\' and '=' take a backslash
// and line breaks are written \n and \r.
var cefExtEscaper = strings.NewReplacer(`\`, `\\`, `=`, `\=`, "\n", `\n`, "\r", `\r`)

// escapeCEFHeader returns s as a CEF header field.
func escapeCEFHeader(s string) string {
	return cefHeaderEscaper.Replace(validUTF8(s))
}

// escapeCEFExtension returns s as a CEF extension value.
func escapeCEFExtension(s string) string {
	return cefExtEscaper.Replace(validUTF8(s))
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// cefRecord is one CEF event: the seven header fields after the version
// and the extension pairs, in order.
type cefRecord struct {
	vendor, product, version string
	classID, name            string
	severity                 int
	ext                      []sdParam
}

// String formats the record: CEF:0|vendor|product|version|class|name|sev|ext.
func (c cefRecord) String() string {
	var b strings.Builder
	b.WriteString("CEF:0")
	for _, f := range []string{c.vendor, c.product, c.version, c.classID, c.name} {
		b.WriteByte('|')
		b.WriteString(escapeCEFHeader(f))
	}
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(c.severity))
	b.WriteByte('|')
	for i, p := range c.ext {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(escapeCEFExtension(p.value))
	}
	return b.String()
}

// cefMillis formats a time as CEF's milliseconds since the epoch, or ""
// for the zero time.
func cefMillis(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}
