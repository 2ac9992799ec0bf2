package detect

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/center/incident"
	"github.com/vigilsec/vigil/internal/detect/engine"
	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// matchBuffer is a worker's reusable room for an event's matches.
type matchBuffer struct {
	rules      []*engine.Rule
	detections []ruleset.Detection
}

// evaluate adds what intelligence and the login baseline say of one
// event, runs the rules over it and raises an alert for each detection.
func (s *Service) evaluate(ctx context.Context, rs *ruleset.RuleSet, ev event.Event, buf *matchBuffer) {
	if s.cfg.Intel != nil {
		s.cfg.Intel.Enrich(ev)
	}
	if s.cfg.Baseline != nil {
		s.cfg.Baseline.Observe(ev)
	}
	buf.rules, buf.detections = rs.Evaluate(ev, buf.rules, buf.detections[:0])
	for _, d := range buf.detections {
		s.raise(ctx, d)
	}
}

// raise stores the alert of one detection, unless an exception
// suppresses it, puts it into an incident and tells the notifier when it
// is new.
func (s *Service) raise(ctx context.Context, d ruleset.Detection) {
	r := d.Rule
	ev := d.Event
	s.stats.match()
	var agentID string
	var entities []store.Entity
	if ev != nil {
		agentID = ev.AgentID()
		if e := s.exc.match(r.ID, agentID, ev); e != "" {
			s.exc.hit(ctx, e)
			s.stats.suppressed()
			return
		}
		entities = incident.Entities(agentID, ev)
	}
	now := s.cfg.Now()
	a := store.Alert{
		AgentID:     agentID,
		Hostname:    s.hostname(ctx, agentID),
		RuleID:      r.ID,
		Title:       r.Title,
		Description: r.Description,
		Severity:    Severity(r.Level),
		State:       store.AlertNew,
		Techniques:  r.Techniques,
		Count:       1,
		CreatedAt:   now,
		LastSeen:    now,
		Evidence:    map[string]any{"rule": ruleEvidence(r)},
	}
	if a.Techniques == nil {
		a.Techniques = []string{}
	}
	if ev != nil {
		a.Evidence["event"] = map[string]any(ev)
		a.EventIDs = []string{ev.ID()}
	}
	if h := d.Hit; h != nil {
		s.stats.correlation()
		group := make(map[string]any, len(h.Group))
		keys := make([]string, 0, len(h.Group))
		for k, v := range h.Group {
			group[k] = v
			keys = append(keys, k+"="+v)
		}
		slices.Sort(keys)
		c := map[string]any{
			"type": string(h.Spec.Type), "group": group, "count": h.Count,
			"first":    h.First.UTC().Format(time.RFC3339Nano),
			"last":     h.Last.UTC().Format(time.RFC3339Nano),
			"timespan": h.Spec.Timespan.String(),
		}
		if len(h.Values) > 0 {
			c["values"] = slices.Clone(h.Values)
		}
		a.Evidence["correlation"] = c
		a.EventIDs = slices.Clone(h.EventIDs)
		a.DedupKey = r.ID + "|" + agentID + "|" + strings.Join(keys, ",")
	} else {
		a.DedupKey = dedupKey(r.ID, agentID, ev)
	}
	s.store(ctx, a, entities)
}

// Severity is the alert severity of a Sigma level: informational and low
// are low.
func Severity(level string) store.Severity {
	switch level {
	case "critical":
		return store.SeverityCritical
	case "high":
		return store.SeverityHigh
	case "medium":
		return store.SeverityMedium
	}
	return store.SeverityLow
}

// ruleEvidence is what an alert keeps of its rule.
func ruleEvidence(r *ruleset.Rule) map[string]any {
	m := map[string]any{"kind": r.Kind, "level": r.Level, "status": r.Status, "source": r.Source,
		"file": r.File, "line": r.Line}
	if len(r.Tags) > 0 {
		m["tags"] = slices.Clone(r.Tags)
	}
	if len(r.FalsePositives) > 0 {
		m["falsepositives"] = slices.Clone(r.FalsePositives)
	}
	if len(r.References) > 0 {
		m["references"] = slices.Clone(r.References)
	}
	return m
}

// store raises a and attaches it to an incident.
func (s *Service) store(ctx context.Context, a store.Alert, entities []store.Entity) {
	stored, isNew, err := s.cfg.Store.Alerts().Raise(ctx, a)
	if err != nil {
		s.stats.storeError()
		s.log.Error("detect: raise alert", "rule", a.RuleID, "agent", a.AgentID, "err", err)
		return
	}
	s.stats.alert(isNew)
	title := a.Title
	if a.Hostname != "" {
		title += " — " + a.Hostname
	}
	inc, _, err := s.cfg.Store.Incidents().Attach(ctx, store.Join{
		AlertID: stored.ID, Entities: entities, Window: s.cfg.IncidentWindow, Title: title, At: s.cfg.Now(),
	})
	if err != nil {
		s.stats.storeError()
		s.log.Error("detect: attach alert to an incident", "alert", stored.ID, "err", err)
		return
	}
	stored.IncidentID = inc.ID
	if isNew && s.cfg.Notifier != nil {
		s.cfg.Notifier.NotifyAlert(stored)
	}
}

// dedupKey merges repeats of a rule on one host by the program that
// matched (and its parent), or by what the event is about when it names
// no program.
func dedupKey(ruleID, agentID string, ev event.Event) string {
	subject := ev.String("process.executable")
	if subject != "" {
		subject += "<" + ev.String("process.parent.executable")
	} else {
		for _, f := range []string{"file.path", "source.ip", "destination.ip", "user.name"} {
			if subject = ev.String(f); subject != "" {
				break
			}
		}
	}
	return ruleID + "|" + agentID + "|" + subject
}

// hostnames caches agents' host names for alerts.
type hostnames struct {
	mu    sync.Mutex
	names map[string]hostnameEntry
}

type hostnameEntry struct {
	name string
	at   time.Time
}

// hostnameTTL is how long a looked-up host name is trusted.
const hostnameTTL = 5 * time.Minute

// hostname returns the host name of agentID, "" when unknown.
func (s *Service) hostname(ctx context.Context, agentID string) string {
	if agentID == "" {
		return ""
	}
	now := s.cfg.Now()
	s.hosts.mu.Lock()
	e, ok := s.hosts.names[agentID]
	s.hosts.mu.Unlock()
	if ok && now.Sub(e.at) < hostnameTTL {
		return e.name
	}
	var name string
	if a, err := s.cfg.Store.Agents().Get(ctx, agentID); err == nil {
		name = a.Hostname
	}
	s.hosts.mu.Lock()
	if s.hosts.names == nil {
		s.hosts.names = map[string]hostnameEntry{}
	}
	s.hosts.names[agentID] = hostnameEntry{name: name, at: now}
	s.hosts.mu.Unlock()
	return name
}
