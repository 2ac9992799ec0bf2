package notify

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// syslogRecord is one RFC 5424 message.
type syslogRecord struct {
	facility, severity int
	timestamp          time.Time
	hostname           string
	appName            string
	procID             string
	msgID              string
	sd                 []sdElement
	msg                string
	// bom marks MSG as UTF-8 with the byte order mark RFC 5424 asks for.
	bom bool
}

// sdElement is one structured data element.
type sdElement struct {
	id     string
	params []sdParam
}

// sdParam is one PARAM-NAME="PARAM-VALUE"; names may repeat.
type sdParam struct {
	name, value string
}

// utf8BOM starts an MSG encoded in UTF-8.
const utf8BOM = "\xef\xbb\xbf"

// Header field lengths (RFC 5424 section 6).
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
)

// appendTo appends the message to b:
// <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [SP MSG].
func (r syslogRecord) appendTo(b []byte) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(r.facility*8+r.severity), 10)
	b = append(b, ">1 "...)
	if r.timestamp.IsZero() {
		b = append(b, '-')
	} else {
		b = r.timestamp.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
	}
	for _, f := range []struct {
		v   string
		max int
	}{{r.hostname, maxHostname}, {r.appName, maxAppName}, {r.procID, maxProcID}, {r.msgID, maxMsgID}} {
		b = append(b, ' ')
		b = append(b, headerField(f.v, f.max)...)
	}
	b = append(b, ' ')
	if len(r.sd) == 0 {
		b = append(b, '-')
	}
	for _, e := range r.sd {
		b = append(b, '[')
		b = append(b, e.id...)
		for _, p := range e.params {
			b = append(b, ' ')
			b = append(b, p.name...)
			b = append(b, '=', '"')
			b = append(b, escapeSDValue(p.value)...)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	if r.msg != "" {
		b = append(b, ' ')
		if r.bom {
			b = append(b, utf8BOM...)
		}
		b = append(b, strings.ToValidUTF8(r.msg, "\uFFFD")...)
	}
	return b
}

// headerField makes s a valid header field: PRINTUSASCII only (others
// become '_'), at most max bytes, "-" (the NILVALUE) when empty.
func headerField(s string, max int) string {
	if s == "" {
		return "-"
	}
	b := []byte(s)
	if len(b) > max {
		b = b[:max]
	}
	for i, c := range b {
		if c < 33 || c > 126 {
			b[i] = '_'
		}
	}
	return string(b)
}

// sdValueEscaper escapes the three characters RFC 5424 section 6.3.3
// requires in a PARAM-VALUE: '"', '\' and ']'.
var sdValueEscaper = strings.NewReplacer(`"`, `\"`, `\`, `\\`, `]`, `\]`)

// escapeSDValue returns s as a PARAM-VALUE: valid UTF-8, with '"', '\'
// and ']' escaped by a backslash.
func escapeSDValue(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return sdValueEscaper.Replace(s)
}
