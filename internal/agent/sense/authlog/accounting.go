package authlog

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog/utmp"
	"github.com/vigilsec/vigil/internal/event"
)

// Actions of the accounting events.
const (
	ActionLoginRecorded       = "login-recorded"
	ActionLogoutRecorded      = "logout-recorded"
	ActionFailedLoginRecorded = "failed-login-recorded"
	ActionSystemBoot          = "system-boot"
	ActionSystemShutdown      = "system-shutdown"
	ActionRunlevelChanged     = "runlevel-changed"
	ActionClockChanged        = "clock-changed"
)

// maxOpenLogins bounds the logins remembered to name the user of their
// logout.
const maxOpenLogins = 4096

// handleRecord decodes one accounting record and emits its event.
func (s *Sensor) handleRecord(b []byte, kind, file string, emit plugin.Emitter) {
	s.stats.records.Add(1)
	r, err := utmp.Native.Decode(b)
	if err != nil {
		s.stats.corruptRecords.Add(1)
		emit.Lost(1)
		s.log.Debug("corrupt accounting record skipped", "file", file, "err", err)
		return
	}
	if e := s.recordEvent(r, kind, file); e != nil {
		emit.Emit(e)
	}
}

// recordEvent builds the event of a wtmp or btmp record; nil for records
// of no interest (init and getty processes, empty slots).
func (s *Sensor) recordEvent(r utmp.Record, kind, file string) event.Event {
	var cat, typ, action, outcome, msg string
	var started time.Time
	if kind == "btmp" {
		if r.Type == utmp.Empty || r.User == "" && r.Line == "" {
			return nil
		}
		cat, typ, action, outcome = "authentication", "start", ActionFailedLoginRecorded, "failure"
		msg = fmt.Sprintf("failed login of %s on %s%s", orUnknown(r.User), orUnknown(r.Line), fromHost(r))
	} else {
		switch r.Type {
		case utmp.UserProcess:
			cat, typ, action, outcome = "session", "start", ActionLoginRecorded, "success"
			msg = fmt.Sprintf("%s logged in on %s%s", orUnknown(r.User), orUnknown(r.Line), fromHost(r))
			s.rememberLogin(r)
		case utmp.DeadProcess:
			cat, typ, action, outcome = "session", "end", ActionLogoutRecorded, "success"
			if login, ok := s.lastLogin[r.Line]; ok {
				delete(s.lastLogin, r.Line)
				if r.User == "" {
					r.User = login.User
				}
				if r.Host == "" && !r.Addr.IsValid() {
					r.Host, r.Addr = login.Host, login.Addr
				}
				started = login.Time
			}
			msg = fmt.Sprintf("%s logged out of %s", orUnknown(r.User), orUnknown(r.Line))
		case utmp.BootTime:
			cat, typ, action, outcome = "host", "start", ActionSystemBoot, "success"
			msg = "system boot (kernel " + orUnknown(r.Host) + ")"
		case utmp.RunLevel:
			if r.User == "shutdown" {
				cat, typ, action, outcome = "host", "end", ActionSystemShutdown, "success"
				msg = "system shutdown"
			} else {
				cat, typ, action, outcome = "host", "change", ActionRunlevelChanged, "success"
				msg = "runlevel changed to " + runlevel(r.PID)
			}
		case utmp.NewTime:
			cat, typ, action, outcome = "host", "change", ActionClockChanged, "success"
			msg = "system clock changed"
		default:
			return nil
		}
	}
	at := r.Time
	if at.IsZero() {
		at = s.now()
	}
	e := event.Event{
		"@timestamp": at.UTC().Format(time.RFC3339Nano),
		"message":    msg,
	}
	evt := map[string]any{
		"kind": "event", "category": cat, "type": []string{typ}, "action": action,
		"dataset": Name, "outcome": outcome, "provider": kind,
	}
	if !started.IsZero() && !r.Time.IsZero() && !r.Time.Before(started) {
		evt["start"] = started.UTC().Format(time.RFC3339Nano)
		evt["duration"] = r.Time.Sub(started).Nanoseconds()
	}
	e["event"] = evt
	vu := map[string]any{"type": r.Type.String()}
	if r.Line != "" {
		vu["line"] = r.Line
	}
	if r.ID != "" {
		vu["id"] = r.ID
	}
	if r.Host != "" {
		vu["host"] = r.Host
	}
	if r.Session != 0 {
		vu["session"] = r.Session
	}
	if r.Type == utmp.DeadProcess && (r.ExitStatus != 0 || r.ExitTermination != 0) {
		vu["exit"] = map[string]any{"termination": r.ExitTermination, "status": r.ExitStatus}
	}
	if r.Type == utmp.RunLevel {
		vu["runlevel"] = runlevel(r.PID)
	}
	e["vigil"] = map[string]any{"utmp": vu}
	e["log"] = map[string]any{"file": map[string]any{"path": file}}
	if cat != "host" {
		if r.User != "" {
			e["user"] = map[string]any{"name": r.User}
		}
		proc := map[string]any{}
		if r.PID > 0 {
			proc["pid"] = int(r.PID)
		}
		if tty := r.Terminal(); tty != "" {
			proc["tty"] = map[string]any{"name": tty}
		}
		if len(proc) > 0 {
			e["process"] = proc
		}
		rel := map[string]any{}
		if r.User != "" {
			rel["user"] = []string{r.User}
		}
		if src := sourceOf(r); src != nil {
			e["source"] = src
			if ip, ok := src["ip"].(string); ok {
				rel["ip"] = []string{ip}
			}
		}
		if len(rel) > 0 {
			e["related"] = rel
		}
	}
	return e
}

// rememberLogin keeps a login record until its logout, within a bound.
// Logins are keyed by terminal: one terminal has one session at a time,
// and logout records do not always repeat ut_id.
func (s *Sensor) rememberLogin(r utmp.Record) {
	if len(s.lastLogin) >= maxOpenLogins {
		for k := range s.lastLogin { // drop an arbitrary one: logouts are lost far more often than logins
			delete(s.lastLogin, k)
			break
		}
	}
	s.lastLogin[r.Line] = r
}

// sourceOf returns the source object of a record: its address, or its
// host as an address or a name.
func sourceOf(r utmp.Record) map[string]any {
	switch {
	case r.Addr.IsValid():
		src := map[string]any{"ip": r.Addr.String()}
		if r.Host != "" && r.Host != r.Addr.String() {
			src["domain"] = r.Host
		}
		return src
	case r.Host == "":
		return nil
	}
	if a, err := netip.ParseAddr(r.Host); err == nil {
		return map[string]any{"ip": a.Unmap().String()}
	}
	return map[string]any{"domain": r.Host}
}

// runlevel decodes a RUN_LVL record's pid: the new runlevel's character
// in the low byte.
func runlevel(pid int32) string {
	c := byte(pid & 0xff)
	if c < 0x21 || c > 0x7e {
		return fmt.Sprint(pid & 0xff)
	}
	return string(rune(c))
}

func fromHost(r utmp.Record) string {
	switch {
	case r.Host != "":
		return " from " + r.Host
	case r.Addr.IsValid():
		return " from " + r.Addr.String()
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
