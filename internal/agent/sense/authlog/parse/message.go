package parse

import (
	"net/netip"
	"strconv"
	"strings"
)

// programs maps the programs whose messages the package knows (the
// syslog tag's name, or the journal's SYSLOG_IDENTIFIER) to their parser.
var programs = map[string]func(string) (Record, Status){
	"sshd":                  parseSSHD,
	"sshd-session":          parseSSHD,
	"sshd-auth":             parseSSHD,
	"su":                    parseSu,
	"runuser":               parseRunuser,
	"sudo":                  parseSudo,
	"login":                 parseLogin,
	"pkexec":                parsePkexec,
	"polkitd":               parsePolkit,
	"polkit-agent-helper-1": parsePolkit,
	"systemd-logind":        parseLogind,
	"unix_chkpwd":           parseChkpwd,
}

// ParseMessage parses the message of one log entry, given the program
// that logged it (the syslog tag's name or the journal's
// SYSLOG_IDENTIFIER). Messages of PAM modules ("pam_unix(...): ...") are
// parsed whichever program logs them.
func ParseMessage(program, msg string) (Record, Status) {
	if strings.HasPrefix(msg, "pam_") {
		return parsePAM(msg)
	}
	if parse, ok := programs[program]; ok {
		return parse(msg)
	}
	return Record{}, StatusUnknown
}

// KnownProgram reports whether the package knows messages of program
// besides those of PAM modules: a StatusUnknown line of a known program
// is a message of no interest, that of another program a line the
// package does not read at all.
func KnownProgram(program string) bool {
	_, ok := programs[program]
	return ok
}

// setSource stores a remote host, an address or a name.
func (r *Record) setSource(host string) {
	if a, err := netip.ParseAddr(host); err == nil {
		r.SourceIP = a.Unmap()
		return
	}
	r.SourceHost = host
}

// hostPort splits "HOST port N REST" into the host, the port and REST
// (without its leading space). A missing " port N" gives port 0 and the
// host up to the first space. ok is false when the host is empty or the
// port is not a number in range.
func hostPort(s string) (host string, port int, rest string, ok bool) {
	if i := strings.Index(s, " port "); i >= 0 {
		host = s[:i]
		p := s[i+len(" port "):]
		j := 0
		for j < len(p) && isDigit(p[j]) {
			j++
		}
		if j == 0 || j > 5 {
			return "", 0, "", false
		}
		n, _ := strconv.Atoi(p[:j])
		if n > 65535 {
			return "", 0, "", false
		}
		rest = strings.TrimLeft(p[j:], " ")
		return host, n, rest, host != "" && strings.IndexByte(host, ' ') < 0
	}
	host, rest, _ = strings.Cut(s, " ")
	return host, 0, rest, host != ""
}

// userHostPort splits "USER HOST port N" (the user may hold spaces, or
// be empty) from the right.
func userHostPort(s string) (user, host string, port int, rest string, ok bool) {
	i := strings.LastIndex(s, " port ")
	if i < 0 {
		return "", "", 0, "", false
	}
	j := strings.LastIndexByte(s[:i], ' ')
	if j < 0 {
		return "", "", 0, "", false
	}
	user = s[:j]
	host, port, rest, ok = hostPort(s[j+1:])
	return user, host, port, rest, ok
}

// atoi parses a small non-negative decimal number; -1 when s is not one.
func atoi(s string) int {
	if s == "" || len(s) > 9 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}
