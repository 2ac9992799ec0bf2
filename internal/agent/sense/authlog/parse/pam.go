package parse

import "strings"

// parsePAM parses the messages of PAM modules, whichever program logs
// them: "pam_unix(sshd:auth): authentication failure; ...",
// "pam_unix(su:session): session opened for user root(uid=0) by
// alice(uid=1000)", "... session closed for user root".
func parsePAM(msg string) (Record, Status) {
	open := strings.IndexByte(msg, '(')
	if open < 0 || strings.IndexByte(msg[:open], ' ') >= 0 {
		return Record{}, StatusUnknown
	}
	end := strings.Index(msg, "): ")
	if end < open {
		return Record{}, StatusMalformed
	}
	service, typ, ok := strings.Cut(msg[open+1:end], ":")
	if !ok || service == "" {
		return Record{}, StatusMalformed
	}
	r := Record{Service: service, PAM: PAM{Module: msg[:open], Type: typ}}
	rest := msg[end+len("): "):]
	switch {
	case strings.HasPrefix(rest, "authentication failure;"):
		r.Kind, r.Outcome, r.Reason = KindAuthFailed, OutcomeFailure, "authentication failure"
		r.pamFailureFields(strings.TrimPrefix(rest[len("authentication failure;"):], " "))
		return r, StatusOK
	case strings.HasPrefix(rest, "session opened for user "):
		// "root(uid=0) by alice(uid=1000)", "root by (uid=0)".
		r.Kind, r.Outcome = KindSessionOpened, OutcomeSuccess
		who := rest[len("session opened for user "):]
		i := strings.LastIndex(who, " by ")
		if i < 0 {
			return r, StatusMalformed
		}
		r.User, r.UserID = userAndID(who[:i])
		r.PAM.By, _ = userAndID(who[i+len(" by "):])
		return r, StatusOK
	case strings.HasPrefix(rest, "session closed for user "):
		r.Kind, r.Outcome = KindSessionClosed, OutcomeSuccess
		r.User, r.UserID = userAndID(rest[len("session closed for user "):])
		return r, StatusOK
	case strings.HasPrefix(rest, "Consecutive login failures for user "):
		// pam_faillock: "... for user root account temporarily locked"
		who := rest[len("Consecutive login failures for user "):]
		i := strings.LastIndex(who, " account ")
		if i < 0 {
			return r, StatusMalformed
		}
		r.Kind, r.Outcome = KindAuthFailed, OutcomeFailure
		r.User, r.Reason = who[:i], "account "+who[i+len(" account "):]
		return r, StatusOK
	}
	return Record{}, StatusUnknown
}

// userAndID splits "root(uid=0)" into "root" and "0"; "(uid=0)" gives an
// empty name.
func userAndID(s string) (string, string) {
	i := strings.LastIndex(s, "(uid=")
	if i < 0 || !strings.HasSuffix(s, ")") {
		return s, ""
	}
	id := s[i+len("(uid=") : len(s)-1]
	if atoi(id) < 0 {
		return s, ""
	}
	return s[:i], id
}

// parseChkpwd parses unix_chkpwd's "password check failed for user
// (alice)".
func parseChkpwd(msg string) (Record, Status) {
	rest, ok := strings.CutPrefix(msg, "password check failed for user ")
	if !ok {
		return Record{}, StatusUnknown
	}
	if len(rest) < 2 || rest[0] != '(' || rest[len(rest)-1] != ')' {
		return Record{}, StatusMalformed
	}
	return Record{Kind: KindAuthFailed, Outcome: OutcomeFailure, Service: "unix_chkpwd",
		User: rest[1 : len(rest)-1], Reason: "password check failed"}, StatusOK
}
