package authlog

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/agent/sense/authlog/parse"
	"github.com/vigilsec/vigil/internal/event"
)

// Bounds of the strings copied into events, which keep an event far
// below event.MaxSize whatever a line holds.
const (
	maxField   = 1 << 10
	maxMessage = 4 << 10
	maxCommand = 32 << 10
)

// source says where an entry was read.
type source struct {
	// provider is "syslog" (a log file) or "journal".
	provider string
	// file is the log file's path on the host.
	file string
}

// category returns the event category and type of a kind.
func category(k parse.Kind) (string, string) {
	switch k {
	case parse.KindLoggedIn, parse.KindLoginFailed, parse.KindInvalidUser, parse.KindLoginDenied, parse.KindMaxAttempts:
		return "authentication", "start"
	case parse.KindAuthFailed:
		return "authentication", "info"
	case parse.KindLoginAborted, parse.KindPreauthDisconnect, parse.KindLoggedOut:
		return "authentication", "end"
	case parse.KindSessionOpened, parse.KindSu:
		return "session", "start"
	case parse.KindSessionClosed:
		return "session", "end"
	case parse.KindSudo, parse.KindPkexec:
		return "iam", "admin"
	}
	return "authentication", "info"
}

// lineEvent builds the event of a parsed log line or journal entry.
func (s *Sensor) lineEvent(l *parse.Line, src source) event.Event {
	r := &l.Record
	cat, typ := category(r.Kind)
	// event.id is left out: the runtime stamps it, with agent.* and
	// host.*, for which the top level has room from the start.
	evt := map[string]any{
		"kind": "event", "category": cat, "type": []string{typ},
		"action": r.Kind.String(), "dataset": Name, "outcome": r.Outcome.String(), "provider": src.provider,
	}
	if r.Reason != "" {
		evt["reason"] = bound(r.Reason, maxField)
	}
	e := make(event.Event, 14)
	e["@timestamp"] = l.Time.UTC().Format(time.RFC3339Nano)
	e["event"] = evt
	e["message"] = bound(l.Message, maxMessage)

	var related []string
	if r.User != "" || r.UserID != "" || r.TargetUser != "" || r.TargetGroup != "" {
		user := map[string]any{}
		if r.User != "" {
			user["name"] = bound(r.User, maxField)
			related = append(related, bound(r.User, maxField))
		}
		if r.UserID != "" {
			user["id"] = r.UserID
		}
		if r.TargetUser != "" || r.TargetGroup != "" {
			target := map[string]any{}
			if r.TargetUser != "" {
				target["name"] = bound(r.TargetUser, maxField)
				if r.TargetUser != r.User {
					related = append(related, bound(r.TargetUser, maxField))
				}
			}
			if r.TargetGroup != "" {
				target["group"] = map[string]any{"name": bound(r.TargetGroup, maxField)}
			}
			user["target"] = target
		}
		e["user"] = user
	}

	rel := map[string]any{}
	if len(related) > 0 {
		rel["user"] = related
	}
	if r.SourceIP.IsValid() || r.SourceHost != "" {
		srcMap := map[string]any{}
		if r.SourceIP.IsValid() {
			ip := r.SourceIP.String()
			srcMap["ip"] = ip
			rel["ip"] = []string{ip}
		} else {
			srcMap["domain"] = bound(r.SourceHost, maxField)
		}
		if r.SourcePort > 0 {
			srcMap["port"] = r.SourcePort
		}
		e["source"] = srcMap
	}
	if len(rel) > 0 {
		e["related"] = rel
	}

	proc := map[string]any{"name": bound(l.Program, maxField)}
	if l.PID > 0 {
		proc["pid"] = l.PID
		s.addProcess(proc, l.PID, l.Program, l.Time)
	}
	if tty := ttyName(r.TTY); tty != "" {
		proc["tty"] = map[string]any{"name": bound(tty, maxField)}
	}
	if r.Cwd != "" {
		proc["working_directory"] = bound(r.Cwd, maxField)
	}
	if r.Command != "" {
		proc["command_line"] = bound(r.Command, maxCommand)
	}
	if r.PAM.UID != "" {
		proc["real_user"] = map[string]any{"id": r.PAM.UID}
	}
	if r.PAM.EUID != "" {
		proc["user"] = map[string]any{"id": r.PAM.EUID}
	}
	e["process"] = proc

	syslog := map[string]any{"appname": bound(l.Program, maxField)}
	if l.Host != "" {
		syslog["hostname"] = bound(l.Host, maxField)
	}
	logm := map[string]any{"syslog": syslog}
	if src.file != "" {
		logm["file"] = map[string]any{"path": src.file}
	}
	e["log"] = logm

	auth := map[string]any{"service": bound(r.Service, maxField)}
	if r.Method != "" {
		auth["method"] = bound(r.Method, maxField)
	}
	if r.Submethod != "" {
		auth["submethod"] = bound(r.Submethod, maxField)
	}
	if r.KeyType != "" || r.KeyFingerprint != "" {
		auth["key"] = map[string]any{"type": bound(r.KeyType, maxField), "fingerprint": bound(r.KeyFingerprint, maxField)}
	}
	if r.Count > 0 {
		auth["failures"] = r.Count
	}
	if r.InvalidUser {
		auth["invalid_user"] = true
	}
	if r.Preauth {
		auth["preauth"] = true
	}
	if r.SessionID != "" {
		auth["session_id"] = bound(r.SessionID, maxField)
	}
	if r.Suspicious {
		auth["suspicious"] = true
	}
	if l.Repeat > 0 {
		auth["repeat_count"] = l.Repeat
	}
	if r.PAM.Module != "" {
		pam := map[string]any{"module": bound(r.PAM.Module, maxField), "type": bound(r.PAM.Type, maxField)}
		if r.PAM.Logname != "" {
			pam["logname"] = bound(r.PAM.Logname, maxField)
		}
		if r.PAM.RUser != "" {
			pam["ruser"] = bound(r.PAM.RUser, maxField)
		}
		if r.PAM.By != "" {
			pam["by"] = bound(r.PAM.By, maxField)
		}
		auth["pam"] = pam
	}
	e["vigil"] = map[string]any{"auth": auth}
	return e
}

// ttyName returns a terminal without "/dev/"; PAM's pseudo terminal
// "ssh" and placeholders are no terminal.
func ttyName(t string) string {
	t = strings.TrimPrefix(t, "/dev/")
	switch t {
	case "ssh", "unknown", "none", "???":
		return ""
	}
	return t
}

// bound cuts s to at most n bytes, on a character boundary.
func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
