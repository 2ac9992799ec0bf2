package parse

import "strings"

// parseSu parses su's messages: util-linux's "(to root) alice on pts/0"
// and "FAILED SU (to root) alice on pts/0", and shadow's "Successful su
// for root by alice" and "FAILED su for root by alice".
func parseSu(msg string) (Record, Status) {
	r := Record{Kind: KindSu, Service: "su"}
	switch {
	case strings.HasPrefix(msg, "(to "):
		r.Outcome = OutcomeSuccess
		return r.suTo(msg)
	case strings.HasPrefix(msg, "FAILED SU (to "):
		r.Outcome = OutcomeFailure
		return r.suTo(msg[len("FAILED SU "):])
	case strings.HasPrefix(msg, "Successful su for "):
		r.Outcome = OutcomeSuccess
		return r.suFor(msg[len("Successful su for "):])
	case strings.HasPrefix(msg, "FAILED su for "):
		r.Outcome = OutcomeFailure
		return r.suFor(msg[len("FAILED su for "):])
	}
	return Record{}, StatusUnknown
}

// parseRunuser parses runuser's "FAILED RUNUSER (to alice) root on none".
func parseRunuser(msg string) (Record, Status) {
	r := Record{Kind: KindSu, Service: "runuser"}
	switch {
	case strings.HasPrefix(msg, "(to "):
		r.Outcome = OutcomeSuccess
		return r.suTo(msg)
	case strings.HasPrefix(msg, "FAILED RUNUSER (to "):
		r.Outcome = OutcomeFailure
		return r.suTo(msg[len("FAILED RUNUSER "):])
	}
	return Record{}, StatusUnknown
}

// suTo parses "(to TARGET) USER on TTY".
func (r Record) suTo(s string) (Record, Status) {
	rest := s[len("(to "):]
	i := strings.Index(rest, ") ")
	j := strings.LastIndex(rest, " on ")
	if i < 0 || j < i+1 {
		return r, StatusMalformed
	}
	r.TargetUser, r.User, r.TTY = rest[:i], rest[min(i+2, j):j], rest[j+len(" on "):]
	if r.TTY == "none" {
		r.TTY = ""
	}
	return r, StatusOK
}

// suFor parses "TARGET by USER".
func (r Record) suFor(s string) (Record, Status) {
	i := strings.LastIndex(s, " by ")
	if i < 0 {
		return r, StatusMalformed
	}
	r.TargetUser, r.User = s[:i], s[i+len(" by "):]
	return r, StatusOK
}

// parseSudo parses sudo's "alice : TTY=pts/0 ; PWD=/home/alice ;
// USER=root ; COMMAND=/usr/bin/id", with a failure before the fields
// ("3 incorrect password attempts ; ", "user NOT in sudoers ; ").
func parseSudo(msg string) (Record, Status) {
	s := strings.TrimLeft(msg, " ")
	i := strings.Index(s, " : ")
	if i <= 0 || strings.IndexByte(s[:i], ' ') >= 0 {
		return Record{}, StatusUnknown
	}
	r := Record{Kind: KindSudo, Service: "sudo", User: s[:i]}
	rest := s[i+len(" : "):]
	if strings.HasPrefix(rest, "(command continued)") {
		return Record{}, StatusUnknown
	}
	var reasons []string
	hasCommand := false
	for rest != "" {
		if cmd, ok := strings.CutPrefix(rest, "COMMAND="); ok {
			r.Command, hasCommand = cmd, true
			break
		}
		var field string
		field, rest, _ = strings.Cut(rest, " ; ")
		key, value, ok := strings.Cut(field, "=")
		if !ok || !isUpperWord(key) {
			reasons = append(reasons, strings.TrimSpace(field))
			continue
		}
		switch key {
		case "TTY":
			if value != "unknown" {
				r.TTY = value
			}
		case "PWD":
			r.Cwd = value
		case "USER":
			r.TargetUser = value
		case "GROUP":
			r.TargetGroup = value
		}
	}
	if !hasCommand {
		if r.TTY == "" && r.Cwd == "" && r.TargetUser == "" {
			return Record{}, StatusUnknown
		}
		return r, StatusMalformed
	}
	if len(reasons) == 0 {
		r.Outcome = OutcomeSuccess
		return r, StatusOK
	}
	r.Outcome = OutcomeFailure
	r.Reason = strings.Join(reasons, "; ")
	// "3 incorrect password attempts", "1 incorrect password attempt"
	if n, tail, ok := strings.Cut(reasons[0], " incorrect password attempt"); ok && (tail == "" || tail == "s") {
		r.Count = max(atoi(n), 0)
	}
	return r, StatusOK
}

func isUpperWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && c != '_' {
			return false
		}
	}
	return true
}

// parsePkexec parses pkexec's "alice: Executing command [USER=root]
// [TTY=/dev/pts/0] [CWD=/home/alice] [COMMAND=/usr/bin/id]" and its
// refusals, among which the environment checks that CVE-2021-4034
// exploits trigger.
func parsePkexec(msg string) (Record, Status) {
	i := strings.Index(msg, ": ")
	if i <= 0 {
		return Record{}, StatusUnknown
	}
	rest := msg[i+2:]
	j := strings.Index(rest, " [USER=")
	if j < 0 {
		return Record{}, StatusUnknown
	}
	r := Record{Kind: KindPkexec, Service: "pkexec", User: msg[:i]}
	text := rest[:j]
	fields := rest[j+1:]
	for fields != "" {
		if cmd, ok := strings.CutPrefix(fields, "[COMMAND="); ok {
			k := strings.LastIndexByte(cmd, ']')
			if k < 0 {
				return r, StatusMalformed
			}
			r.Command = cmd[:k]
			break
		}
		if fields[0] != '[' {
			return r, StatusMalformed
		}
		k := strings.IndexByte(fields, ']')
		if k < 0 {
			return r, StatusMalformed
		}
		key, value, _ := strings.Cut(fields[1:k], "=")
		switch key {
		case "USER":
			r.TargetUser = value
		case "TTY":
			if value != "unknown" {
				r.TTY = value
			}
		case "CWD":
			r.Cwd = value
		}
		fields = strings.TrimPrefix(fields[k+1:], " ")
	}
	switch {
	case text == "Executing command":
		r.Outcome = OutcomeSuccess
	case strings.HasPrefix(text, "Error executing command as another user: "):
		r.Outcome, r.Reason = OutcomeFailure, text[len("Error executing command as another user: "):]
	case strings.HasPrefix(text, "The value for the SHELL variable was not found"),
		strings.HasPrefix(text, "The value for environment variable ") && strings.Contains(text, " content"):
		r.Outcome, r.Reason, r.Suspicious = OutcomeFailure, text, true
	default:
		r.Reason = text
	}
	if strings.Contains(r.Command, "GCONV_PATH=") {
		r.Suspicious = true
	}
	return r, StatusOK
}

// parsePolkit parses polkitd's "Operator of unix-session:2 FAILED to
// authenticate to gain authorization for action ACTION for
// unix-process:4321:1234 [bash] (owned by unix-user:alice)".
func parsePolkit(msg string) (Record, Status) {
	rest, ok := strings.CutPrefix(msg, "Operator of ")
	if !ok || !strings.Contains(rest, " FAILED to authenticate ") {
		return Record{}, StatusUnknown
	}
	r := Record{Kind: KindAuthFailed, Outcome: OutcomeFailure, Service: "polkit"}
	i := strings.LastIndex(rest, "(owned by unix-user:")
	if i < 0 || !strings.HasSuffix(rest, ")") {
		return r, StatusMalformed
	}
	r.User = rest[i+len("(owned by unix-user:") : len(rest)-1]
	r.Reason = "authentication failed"
	if _, action, ok := strings.Cut(rest, " for action "); ok {
		action, _, _ = strings.Cut(action, " ")
		r.Reason = "authentication failed for action " + action
	}
	return r, StatusOK
}

// parseLogind parses systemd-logind's "New session 5 of user alice." and
// "Removed session 5." (with or without quotes around the values, as
// newer versions write them).
func parseLogind(msg string) (Record, Status) {
	r := Record{Service: "systemd-logind"}
	if rest, ok := strings.CutPrefix(msg, "New session "); ok {
		i := strings.Index(rest, " of user ")
		if i <= 0 {
			return r, StatusMalformed
		}
		user := rest[i+len(" of user "):]
		if j := strings.Index(user, " with class "); j >= 0 {
			user = user[:j]
		}
		user = strings.TrimSuffix(user, ".")
		r.Kind, r.Outcome = KindSessionOpened, OutcomeSuccess
		r.SessionID, r.User = unquote(rest[:i]), unquote(user)
		return r, StatusOK
	}
	if rest, ok := strings.CutPrefix(msg, "Removed session "); ok {
		id := unquote(strings.TrimSuffix(rest, "."))
		if id == "" || strings.IndexByte(id, ' ') >= 0 {
			return r, StatusMalformed
		}
		r.Kind, r.Outcome, r.SessionID = KindSessionClosed, OutcomeSuccess, id
		return r, StatusOK
	}
	return Record{}, StatusUnknown
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return s[1 : len(s)-1]
	}
	return s
}
