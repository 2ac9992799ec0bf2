package eventcmd

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// valueOf is the string at path; lists of strings (event.category) are
// joined with commas.
func valueOf(e event.Event, path string) string {
	v, ok := e.Get(path)
	if !ok {
		return ""
	}
	if list, ok := v.([]any); ok {
		var parts []string
		for _, item := range list {
			if s, ok := item.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ",")
	}
	return e.String(path)
}

// kindOf is "category/action".
func kindOf(e event.Event) string {
	return valueOf(e, event.FieldCategory) + "/" + valueOf(e, event.FieldAction)
}

// hostOfEvent is host.name, or the agent id.
func hostOfEvent(e event.Event) string {
	if h := e.String(event.FieldHostName); h != "" {
		return h
	}
	return e.AgentID()
}

// summary is the most telling field of an event: its message, command
// line, executable or file, else its addresses or user.
func summary(e event.Event) string {
	for _, f := range []string{event.FieldMessage, event.FieldProcessCmd, event.FieldProcessExe, event.FieldFilePath} {
		if s := e.String(f); s != "" {
			return s
		}
	}
	src, dst := e.String(event.FieldSourceIP), e.String(event.FieldDestIP)
	if src != "" || dst != "" {
		s := src + " -> " + dst
		if p := e.String(event.FieldDestPort); p != "" {
			s += ":" + p
		}
		return s
	}
	if u := e.String(event.FieldUserName); u != "" {
		return "user " + u
	}
	return ""
}
