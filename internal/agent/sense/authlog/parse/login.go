package parse

import "strings"

// parseLogin parses login's messages, in the forms of shadow's login
// (Debian, Ubuntu) and util-linux's (RHEL family):
//
//	FAILED LOGIN (1) on '/dev/tty1' from 'host' FOR 'root', Authentication failure
//	FAILED LOGIN 1 FROM tty1 FOR root, Authentication failure
//	TOO MANY LOGIN TRIES (5) on '/dev/tty1' FOR 'root'
//	ROOT LOGIN  on '/dev/tty1'
//	ROOT LOGIN ON tty1 FROM host
//	LOGIN ON tty1 BY alice
func parseLogin(msg string) (Record, Status) {
	r := Record{Service: "login"}
	switch {
	case strings.HasPrefix(msg, "FAILED LOGIN "):
		r.Kind, r.Outcome = KindLoginFailed, OutcomeFailure
		return r.loginFailure(msg[len("FAILED LOGIN "):])
	case strings.HasPrefix(msg, "TOO MANY LOGIN TRIES "):
		r.Kind, r.Outcome = KindMaxAttempts, OutcomeFailure
		r, st := r.loginFailure(msg[len("TOO MANY LOGIN TRIES "):])
		if r.Reason == "" {
			r.Reason = "too many login tries"
		}
		return r, st
	case strings.HasPrefix(msg, "ROOT LOGIN "):
		r.Kind, r.Outcome, r.User = KindLoggedIn, OutcomeSuccess, "root"
		rest := msg[len("ROOT LOGIN "):]
		if on, ok := strings.CutPrefix(rest, "ON "); ok {
			return r.loginOn(on)
		}
		return r.shadowWhere(rest)
	case strings.HasPrefix(msg, "LOGIN ON "):
		// "LOGIN ON tty1 BY alice[ FROM host]"
		r.Kind, r.Outcome = KindLoggedIn, OutcomeSuccess
		rest := msg[len("LOGIN ON "):]
		i := strings.Index(rest, " BY ")
		if i <= 0 {
			return r, StatusMalformed
		}
		r.TTY, rest = rest[:i], rest[i+len(" BY "):]
		if j := strings.LastIndex(rest, " FROM "); j >= 0 {
			r.setSource(rest[j+len(" FROM "):])
			rest = rest[:j]
		}
		r.User = rest
		return r, StatusOK
	}
	return Record{}, StatusUnknown
}

// loginFailure parses what follows "FAILED LOGIN " or "TOO MANY LOGIN
// TRIES ": "(N) on 'TTY'[ from 'HOST'] FOR 'USER'[, REASON]" or "N FROM
// WHERE FOR USER, REASON".
func (r Record) loginFailure(s string) (Record, Status) {
	var rest string
	if strings.HasPrefix(s, "(") {
		i := strings.IndexByte(s, ')')
		if i < 0 {
			return r, StatusMalformed
		}
		r.Count, rest = atoi(s[1:i]), s[i+1:]
	} else {
		n, tail, _ := strings.Cut(s, " ")
		r.Count, rest = atoi(n), " "+tail
	}
	if r.Count < 0 {
		return r, StatusMalformed
	}
	if from, ok := strings.CutPrefix(rest, " FROM "); ok {
		// util-linux: "FROM tty1 FOR root, Authentication failure"
		where, who, ok := strings.Cut(from, " FOR ")
		if !ok {
			return r, StatusMalformed
		}
		if i := strings.LastIndex(who, ", "); i >= 0 {
			r.User, r.Reason = who[:i], who[i+2:]
		} else {
			r.User = who
		}
		if isTTY(where) {
			r.TTY = where
		} else {
			r.setSource(where)
		}
		return r, StatusOK
	}
	// shadow: " on 'TTY'[ from 'HOST'] FOR 'USER'[, REASON]"
	j := strings.Index(rest, " FOR '")
	if j < 0 {
		return r, StatusMalformed
	}
	who := rest[j+len(" FOR '"):]
	k := strings.LastIndex(who, "', ")
	switch {
	case k >= 0:
		r.User, r.Reason = who[:k], who[k+len("', "):]
	case strings.HasSuffix(who, "'"):
		r.User = who[:len(who)-1]
	default:
		return r, StatusMalformed
	}
	return r.shadowWhere(rest[:j])
}

// shadowWhere parses shadow's " on 'TTY'[ from 'HOST']".
func (r Record) shadowWhere(s string) (Record, Status) {
	s = strings.TrimLeft(s, " ")
	if s == "" {
		return r, StatusOK
	}
	rest, ok := strings.CutPrefix(s, "on '")
	if !ok {
		return r, StatusMalformed
	}
	tty, from, found := strings.Cut(rest, "' from '")
	if found {
		if !strings.HasSuffix(from, "'") {
			return r, StatusMalformed
		}
		r.setSource(from[:len(from)-1])
	} else {
		if !strings.HasSuffix(tty, "'") {
			return r, StatusMalformed
		}
		tty = tty[:len(tty)-1]
	}
	r.TTY = tty
	return r, StatusOK
}

// loginOn parses util-linux's "TTY[ FROM HOST]".
func (r Record) loginOn(s string) (Record, Status) {
	tty, from, found := strings.Cut(s, " FROM ")
	if tty == "" {
		return r, StatusMalformed
	}
	r.TTY = tty
	if found {
		r.setSource(from)
	}
	return r, StatusOK
}

func isTTY(s string) bool {
	return strings.HasPrefix(s, "/dev/") || strings.HasPrefix(s, "tty") || strings.HasPrefix(s, "pts/") ||
		strings.HasPrefix(s, "console") || strings.HasPrefix(s, "hvc") || strings.HasPrefix(s, "ttyS")
}
