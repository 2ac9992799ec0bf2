package parse

import (
	"strings"
)

// parseSSHD parses the messages of OpenSSH's sshd (and of sshd-session
// and sshd-auth, which carry its messages since OpenSSH 9.8).
func parseSSHD(msg string) (Record, Status) {
	r := Record{Service: "sshd"}
	msg, r.Preauth = strings.CutSuffix(msg, " [preauth]")
	if m, ok := strings.CutPrefix(msg, "error: "); ok {
		msg = m
	} else if m, ok := strings.CutPrefix(msg, "fatal: "); ok {
		msg = m
	}
	switch msg[:min(len(msg), 4)] {
	case "Acce":
		if rest, ok := strings.CutPrefix(msg, "Accepted "); ok {
			r.Kind, r.Outcome = KindLoggedIn, OutcomeSuccess
			return r.authResult(rest)
		}
	case "Fail":
		if rest, ok := strings.CutPrefix(msg, "Failed "); ok {
			r.Kind, r.Outcome = KindLoginFailed, OutcomeFailure
			return r.authResult(rest)
		}
	case "Inva":
		if rest, ok := strings.CutPrefix(msg, "Invalid user "); ok {
			r.Kind, r.Outcome, r.InvalidUser = KindInvalidUser, OutcomeFailure, true
			return r.userFrom(rest)
		}
	case "Conn":
		if rest, ok := strings.CutPrefix(msg, "Connection closed by "); ok {
			return r.remoteID(rest, KindLoginAborted)
		}
		if rest, ok := strings.CutPrefix(msg, "Connection reset by "); ok {
			r.Reason = "connection reset"
			return r.remoteID(rest, KindLoginAborted)
		}
	case "Disc":
		if rest, ok := strings.CutPrefix(msg, "Disconnected from "); ok {
			r.Reason = "disconnected"
			return r.remoteID(rest, KindLoginAborted)
		}
		if rest, ok := strings.CutPrefix(msg, "Disconnecting "); ok {
			// "Disconnecting authenticating user root 1.2.3.4 port 5: Too many authentication failures"
			i := strings.LastIndex(rest, ": ")
			if i < 0 {
				return r, StatusMalformed
			}
			r.Reason = rest[i+2:]
			return r.remoteID(rest[:i], KindLoginAborted)
		}
	case "Rece":
		if rest, ok := strings.CutPrefix(msg, "Received disconnect from "); ok {
			if !r.Preauth {
				return Record{}, StatusUnknown // a logout; "Disconnected from user" reports it
			}
			host, port, tail, ok := hostPort(rest)
			if !ok {
				return r, StatusMalformed
			}
			r.setSource(host)
			r.SourcePort = port
			r.Kind, r.Outcome = KindPreauthDisconnect, OutcomeUnknown
			// ":11: Bye Bye"
			if _, reason, ok := strings.Cut(tail, ": "); ok {
				r.Reason = reason
			}
			return r, StatusOK
		}
	case "maxi":
		if rest, ok := strings.CutPrefix(msg, "maximum authentication attempts exceeded for "); ok {
			r.Kind, r.Outcome = KindMaxAttempts, OutcomeFailure
			r.Reason = "maximum authentication attempts exceeded"
			if u, ok := strings.CutPrefix(rest, "invalid user "); ok {
				r.InvalidUser, rest = true, u
			}
			return r.userFrom(rest)
		}
	case "User":
		if rest, ok := strings.CutPrefix(msg, "User "); ok {
			i := strings.LastIndex(rest, " not allowed because ")
			if i < 0 {
				return Record{}, StatusUnknown
			}
			r.Kind, r.Outcome = KindLoginDenied, OutcomeFailure
			r.Reason = "not allowed because " + rest[i+len(" not allowed because "):]
			who := rest[:i]
			if j := strings.LastIndex(who, " from "); j >= 0 {
				r.User = who[:j]
				r.setSource(who[j+len(" from "):])
			} else {
				r.User = who
			}
			return r, StatusOK
		}
	case "ROOT":
		if rest, ok := strings.CutPrefix(msg, "ROOT LOGIN REFUSED FROM "); ok {
			host, port, _, ok := hostPort(rest)
			if !ok {
				return r, StatusMalformed
			}
			r.Kind, r.Outcome, r.User, r.Reason = KindLoginDenied, OutcomeFailure, "root", "root login refused"
			r.setSource(host)
			r.SourcePort = port
			return r, StatusOK
		}
	case "PAM:":
		// "PAM: Authentication failure for [illegal user ]root from 1.2.3.4"
		rest, ok := strings.CutPrefix(msg, "PAM: ")
		if !ok {
			break
		}
		i := strings.Index(rest, " for ")
		j := strings.LastIndex(rest, " from ")
		if i < 0 || j < i+len(" for ") {
			return r, StatusMalformed
		}
		r.Kind, r.Outcome, r.Reason = KindAuthFailed, OutcomeFailure, rest[:i]
		user := rest[i+len(" for ") : j]
		if u, ok := strings.CutPrefix(user, "illegal user "); ok {
			r.InvalidUser, user = true, u
		} else if u, ok := strings.CutPrefix(user, "invalid user "); ok {
			r.InvalidUser, user = true, u
		}
		r.User = user
		r.setSource(rest[j+len(" from "):])
		return r, StatusOK
	case "PAM ":
		// "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root"
		rest := msg[len("PAM "):]
		n, tail, ok := strings.Cut(rest, " more authentication failure")
		if !ok {
			return Record{}, StatusUnknown
		}
		count := atoi(n)
		_, kv, ok := strings.Cut(tail, "; ")
		if count < 0 || !ok {
			return r, StatusMalformed
		}
		r.Kind, r.Outcome, r.Count = KindAuthFailed, OutcomeFailure, count
		r.Reason = "more authentication failures"
		r.pamFailureFields(kv)
		return r, StatusOK
	}
	return r.preauthDisconnect(msg)
}

// preauthDisconnect parses the messages of connections that end before a
// user is named.
func (r Record) preauthDisconnect(msg string) (Record, Status) {
	prefixes := [...]struct{ prefix, reason string }{
		{"Did not receive identification string from ", "no identification string"},
		{"Timeout before authentication for ", "timeout before authentication"},
		{"Unable to negotiate with ", ""},
		{"banner exchange: Connection from ", ""},
	}
	for _, p := range prefixes {
		rest, ok := strings.CutPrefix(msg, p.prefix)
		if !ok {
			continue
		}
		host, port, tail, ok := hostPort(rest)
		if !ok {
			return r, StatusMalformed
		}
		r.Kind, r.Outcome = KindPreauthDisconnect, OutcomeUnknown
		r.setSource(host)
		r.SourcePort = port
		r.Reason = p.reason
		if r.Reason == "" {
			r.Reason = strings.TrimPrefix(tail, ": ")
			r.Reason = strings.TrimPrefix(r.Reason, ":")
		}
		return r, StatusOK
	}
	if rest, ok := strings.CutPrefix(msg, "Bad protocol version identification "); ok {
		i := strings.LastIndex(rest, " from ")
		if i < 0 {
			return r, StatusMalformed
		}
		host, port, _, ok := hostPort(rest[i+len(" from "):])
		if !ok {
			return r, StatusMalformed
		}
		r.Kind, r.Outcome, r.Reason = KindPreauthDisconnect, OutcomeUnknown, "bad protocol version identification"
		r.setSource(host)
		r.SourcePort = port
		return r, StatusOK
	}
	return Record{}, StatusUnknown
}

// authResult parses what follows "Accepted " or "Failed ":
// "METHOD[/SUB] for [invalid user ]USER from HOST port N ssh2[: KEYTYPE FP]".
func (r Record) authResult(s string) (Record, Status) {
	i := strings.Index(s, " for ")
	if i <= 0 {
		return r, StatusMalformed
	}
	method := s[:i]
	if strings.IndexByte(method, ' ') >= 0 {
		return r, StatusMalformed
	}
	r.Method, r.Submethod, _ = strings.Cut(method, "/")
	rest := s[i+len(" for "):]
	if u, ok := strings.CutPrefix(rest, "invalid user "); ok {
		r.InvalidUser, rest = true, u
	}
	j := strings.LastIndex(rest, " from ")
	if j < 0 {
		return r, StatusMalformed
	}
	r.User = rest[:j]
	host, port, tail, ok := hostPort(rest[j+len(" from "):])
	if !ok || port == 0 {
		return r, StatusMalformed
	}
	r.setSource(host)
	r.SourcePort = port
	// "ssh2" or "ssh2: RSA SHA256:..."
	if _, extra, ok := strings.Cut(tail, ": "); ok {
		keyType, fp, ok := strings.Cut(extra, " ")
		if ok && strings.IndexByte(fp, ':') > 0 {
			r.KeyType, r.KeyFingerprint = keyType, fp
		}
	}
	return r, StatusOK
}

// userFrom parses "USER from HOST[ port N][ ssh2]".
func (r Record) userFrom(s string) (Record, Status) {
	j := strings.LastIndex(s, " from ")
	if j < 0 {
		return r, StatusMalformed
	}
	r.User = s[:j]
	host, port, _, ok := hostPort(s[j+len(" from "):])
	if !ok {
		return r, StatusMalformed
	}
	r.setSource(host)
	r.SourcePort = port
	return r, StatusOK
}

// remoteID parses sshd's remote identification, "authenticating user
// USER HOST port N", "invalid user USER HOST port N", "user USER HOST
// port N" or "HOST port N": the first two are the given kind (a login
// given up), the third a logout and the last a disconnect before any
// user.
func (r Record) remoteID(s string, kind Kind) (Record, Status) {
	var rest string
	var ok bool
	switch {
	case strings.HasPrefix(s, "authenticating user "):
		r.Kind, r.Outcome = kind, OutcomeFailure
		r.User, rest, r.SourcePort, _, ok = userHostPort(s[len("authenticating user "):])
	case strings.HasPrefix(s, "invalid user "):
		r.Kind, r.Outcome, r.InvalidUser = kind, OutcomeFailure, true
		r.User, rest, r.SourcePort, _, ok = userHostPort(s[len("invalid user "):])
	case strings.HasPrefix(s, "user "):
		r.Kind, r.Outcome, r.Reason = KindLoggedOut, OutcomeSuccess, ""
		r.User, rest, r.SourcePort, _, ok = userHostPort(s[len("user "):])
	default:
		r.Kind, r.Outcome = KindPreauthDisconnect, OutcomeUnknown
		rest, r.SourcePort, _, ok = hostPort(s)
		if r.Reason == "" {
			r.Reason = "connection closed"
		}
	}
	if !ok {
		return r, StatusMalformed
	}
	r.setSource(rest)
	return r, StatusOK
}

// pamFailureFields parses the key=value list of a PAM "authentication
// failure" message: "logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4
// user=root". user= comes last and may hold spaces.
func (r *Record) pamFailureFields(kv string) {
	if rest, ok := strings.CutPrefix(kv, "user="); ok {
		r.User, kv = rest, ""
	} else if i := strings.Index(kv, " user="); i >= 0 {
		r.User, kv = kv[i+len(" user="):], kv[:i]
	}
	for kv != "" {
		var field string
		field, kv, _ = strings.Cut(kv, " ")
		key, value, ok := strings.Cut(field, "=")
		if !ok {
			continue
		}
		switch key {
		case "logname":
			r.PAM.Logname = value
		case "uid":
			r.PAM.UID = value
		case "euid":
			r.PAM.EUID = value
		case "tty":
			r.TTY = value
		case "ruser":
			r.PAM.RUser = value
		case "rhost":
			if value != "" {
				r.setSource(value)
			}
		}
	}
}
