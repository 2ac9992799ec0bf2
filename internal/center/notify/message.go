package notify

import (
	"net/url"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// MessageKind is what a notification is about.
type MessageKind string

// Message kinds. Incidents will add their own kind.
const (
	KindAlert MessageKind = "alert"
)

// Message is one notification, independent of the channel that renders
// it. Build it with FromAlert; the Dispatcher fills NotificationID and
// Link.
type Message struct {
	Kind MessageKind
	// NotificationID is unique per notification and the same across the
	// retries of one delivery, so that receivers can drop duplicates.
	NotificationID string
	// ID is the id of the subject (the alert id).
	ID          string
	Title       string
	Description string
	Severity    store.Severity
	State       string
	Hostname    string
	AgentID     string
	RuleID      string
	Techniques  []string
	Count       int
	FirstSeen   time.Time
	LastSeen    time.Time
	Evidence    map[string]any
	// Link points to the subject in the console; empty when the center's
	// console URL is not configured.
	Link string
	// Alert is the alert as stored, sent whole by webhooks; set for
	// KindAlert.
	Alert *store.Alert
}

// FromAlert builds the message of an alert.
func FromAlert(a store.Alert) Message {
	alert := a
	return Message{
		Kind:        KindAlert,
		ID:          a.ID,
		Title:       a.Title,
		Description: a.Description,
		Severity:    a.Severity,
		State:       string(a.State),
		Hostname:    a.Hostname,
		AgentID:     a.AgentID,
		RuleID:      a.RuleID,
		Techniques:  append([]string(nil), a.Techniques...),
		Count:       a.Count,
		FirstSeen:   a.CreatedAt,
		LastSeen:    a.LastSeen,
		Evidence:    a.Evidence,
		Alert:       &alert,
	}
}

// consolePath is the console's path of the message's subject.
func (m Message) consolePath() string {
	switch m.Kind {
	case KindAlert:
		return "/alerts/" + url.PathEscape(m.ID)
	default:
		return ""
	}
}

// linkFor returns the console link of m under the console's base URL, or
// "" when either is missing.
func (m Message) linkFor(consoleURL string) string {
	p := m.consolePath()
	if consoleURL == "" || p == "" || m.ID == "" {
		return ""
	}
	return strings.TrimRight(consoleURL, "/") + p
}

// severityRank orders severities, lowest first; 0 for an unknown one.
func severityRank(s store.Severity) int {
	switch s {
	case store.SeverityLow:
		return 1
	case store.SeverityMedium:
		return 2
	case store.SeverityHigh:
		return 3
	case store.SeverityCritical:
		return 4
	default:
		return 0
	}
}

// SampleMessage is the message a channel test sends.
func SampleMessage(lang Language) Message {
	now := time.Now().UTC().Truncate(time.Second)
	t := texts(lang)
	return Message{
		Kind:        KindAlert,
		ID:          "test",
		Title:       t.testTitle,
		Description: t.testBody,
		Severity:    store.SeverityLow,
		State:       string(store.AlertNew),
		Hostname:    "vigil-center",
		RuleID:      "vigil.notify.test",
		Count:       1,
		FirstSeen:   now,
		LastSeen:    now,
	}
}
