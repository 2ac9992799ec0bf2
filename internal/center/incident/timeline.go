package incident

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// TimelineOptions bound what Build reads.
type TimelineOptions struct {
	// Before and After widen the incident's time span.
	Before, After time.Duration
	// MaxScanned bounds the events read per host; MaxEvents the events
	// the timeline keeps.
	MaxScanned, MaxEvents int
	// MaxAlerts bounds the alerts read.
	MaxAlerts int
}

// Defaults of TimelineOptions.
const (
	DefaultBefore     = 30 * time.Minute
	DefaultAfter      = 30 * time.Minute
	DefaultMaxScanned = 50_000
	DefaultMaxEvents  = 2_000
	DefaultMaxAlerts  = 1_000
)

// Timeline is what happened around an incident (事件还原): its alerts and
// the related events in time order, the process tree with command lines,
// the network peers, the files touched and the ATT&CK techniques seen.
type Timeline struct {
	Incident store.Incident `json:"incident"`
	Alerts   []store.Alert  `json:"alerts"`
	// Entries are the alerts and related events, oldest first.
	Entries []Entry `json:"entries"`
	// Processes are the roots of the process trees the incident's
	// processes belong to.
	Processes  []*ProcessNode `json:"processes"`
	Peers      []Peer         `json:"peers"`
	Files      []FileTouch    `json:"files"`
	Techniques []Technique    `json:"techniques"`
	// Truncated says that a bound cut the reading short.
	Truncated bool `json:"truncated"`
	// Since and Until are the span the events were read from.
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
}

// Entry is one line of a timeline: an event, marked with the alerts it
// raised.
type Entry struct {
	Time     time.Time   `json:"time"`
	AgentID  string      `json:"agent_id"`
	Hostname string      `json:"hostname,omitempty"`
	Category string      `json:"category"`
	Action   string      `json:"action"`
	Summary  string      `json:"summary"`
	EventID  string      `json:"event_id"`
	Event    event.Event `json:"event"`
	// AlertIDs are the incident's alerts this event raised.
	AlertIDs []string `json:"alert_ids,omitempty"`
}

// ProcessNode is a process of the tree.
type ProcessNode struct {
	EntityID    string         `json:"entity_id"`
	AgentID     string         `json:"agent_id"`
	PID         int            `json:"pid,omitempty"`
	Executable  string         `json:"executable,omitempty"`
	CommandLine string         `json:"command_line,omitempty"`
	User        string         `json:"user,omitempty"`
	Start       string         `json:"start,omitempty"`
	AlertIDs    []string       `json:"alert_ids,omitempty"`
	Events      int            `json:"events"`
	Children    []*ProcessNode `json:"children,omitempty"`
}

// Peer is a remote address the incident's processes talked to.
type Peer struct {
	IP        string    `json:"ip"`
	Ports     []int     `json:"ports"`
	Direction string    `json:"direction,omitempty"`
	Count     int       `json:"count"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	// Processes are the executables that talked to it.
	Processes []string `json:"processes,omitempty"`
}

// FileTouch is a file the incident's processes changed.
type FileTouch struct {
	AgentID   string   `json:"agent_id"`
	Path      string   `json:"path"`
	Actions   []string `json:"actions"`
	Count     int      `json:"count"`
	Processes []string `json:"processes,omitempty"`
}

// Technique is an ATT&CK technique seen in the incident's alerts.
type Technique struct {
	ID     string `json:"id"`
	Alerts int    `json:"alerts"`
}

// Build reconstructs the timeline of inc from the store: its alerts, the
// events of its hosts from Before its first alert to After its last, the
// ones related to its entities (its processes and their descendants, its
// addresses, users and files) kept.
func Build(ctx context.Context, st store.Store, inc store.Incident, opts TimelineOptions) (*Timeline, error) {
	opts = withDefaults(opts)
	tl := &Timeline{Incident: inc, Since: inc.FirstSeen.Add(-opts.Before), Until: inc.LastSeen.Add(opts.After)}
	alerts, err := incidentAlerts(ctx, st, inc.ID, opts.MaxAlerts)
	if err != nil {
		return nil, err
	}
	tl.Alerts = alerts
	rel := newRelation(inc)
	alertOf := map[string][]string{} // event id -> alert ids
	techniques := map[string]int{}
	hostnames := map[string]string{}
	for _, a := range alerts {
		for _, id := range a.EventIDs {
			alertOf[id] = append(alertOf[id], a.ID)
		}
		for _, t := range a.Techniques {
			techniques[t]++
		}
		if a.Hostname != "" {
			hostnames[a.AgentID] = a.Hostname
		}
		// The alerts' events are the seeds of the relation.
		if ev, ok := a.Evidence["event"].(map[string]any); ok {
			rel.seed(event.Event(ev))
		}
	}
	var related []event.Event
	for _, agentID := range inc.AgentIDs {
		evs, truncated, err := hostEvents(ctx, st, agentID, tl.Since, tl.Until, opts.MaxScanned)
		if err != nil {
			return nil, err
		}
		tl.Truncated = tl.Truncated || truncated
		// Two passes: a process's own events come before its children's,
		// but not always in the order they were stored.
		for range 2 {
			for _, ev := range evs {
				if alertOf[ev.ID()] != nil {
					rel.seed(ev)
				}
				rel.grow(ev)
			}
		}
		for _, ev := range evs {
			if alertOf[ev.ID()] != nil || rel.related(ev) {
				related = append(related, ev)
			}
		}
	}
	slices.SortStableFunc(related, func(a, b event.Event) int { return a.Timestamp().Compare(b.Timestamp()) })
	if len(related) > opts.MaxEvents {
		related, tl.Truncated = related[len(related)-opts.MaxEvents:], true
	}
	tl.Entries = make([]Entry, 0, len(related))
	for _, ev := range related {
		tl.Entries = append(tl.Entries, Entry{
			Time: ev.Timestamp(), AgentID: ev.AgentID(), Hostname: hostnames[ev.AgentID()],
			Category: ev.String(event.FieldCategory), Action: ev.String(event.FieldAction),
			Summary: Summary(ev), EventID: ev.ID(), Event: ev, AlertIDs: alertOf[ev.ID()],
		})
	}
	tl.Processes = processTree(related, alertOf)
	tl.Peers = peers(related)
	tl.Files = files(related)
	for id, n := range techniques {
		tl.Techniques = append(tl.Techniques, Technique{ID: id, Alerts: n})
	}
	slices.SortFunc(tl.Techniques, func(a, b Technique) int { return strings.Compare(a.ID, b.ID) })
	return tl, nil
}

func withDefaults(o TimelineOptions) TimelineOptions {
	if o.Before <= 0 {
		o.Before = DefaultBefore
	}
	if o.After <= 0 {
		o.After = DefaultAfter
	}
	if o.MaxScanned <= 0 {
		o.MaxScanned = DefaultMaxScanned
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	if o.MaxAlerts <= 0 {
		o.MaxAlerts = DefaultMaxAlerts
	}
	return o
}

// incidentAlerts reads up to max alerts of the incident.
func incidentAlerts(ctx context.Context, st store.Store, id string, max int) ([]store.Alert, error) {
	var out []store.Alert
	p := store.Page{Limit: store.MaxLimit}
	for len(out) < max {
		list, next, err := st.Incidents().Alerts(ctx, id, p)
		if err != nil {
			return nil, fmt.Errorf("alerts of incident %s: %w", id, err)
		}
		out = append(out, list...)
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// hostEvents reads the events of one host in [since, until), oldest
// first, at most max; it says whether there were more.
func hostEvents(ctx context.Context, st store.Store, agentID string, since, until time.Time, max int) ([]event.Event, bool, error) {
	var out []event.Event
	f := store.EventFilter{AgentID: agentID, Since: since, Until: until, Ascending: true, Page: store.Page{Limit: store.MaxLimit}}
	for {
		list, next, err := st.Events().List(ctx, f)
		if err != nil {
			return nil, false, fmt.Errorf("events of agent %s: %w", agentID, err)
		}
		out = append(out, list...)
		if len(out) >= max {
			return out[:max], true, nil
		}
		if next == "" {
			return out, false, nil
		}
		f.Cursor = next
	}
}

// relation decides which events belong to the incident.
type relation struct {
	// processes are the alerted processes and their descendants: all
	// their events belong.
	processes map[string]bool
	// context are the other processes of the incident (the alerted
	// processes' ancestors): their own events belong, their other
	// children do not (a shell session's unrelated commands).
	context map[string]bool
	ips     map[string]bool
	users   map[string]bool // "name" and "name@agent"
	files   map[string]bool // "agent:path"
}

func newRelation(inc store.Incident) *relation {
	r := &relation{processes: map[string]bool{}, context: map[string]bool{}, ips: map[string]bool{},
		users: map[string]bool{}, files: map[string]bool{}}
	for _, e := range inc.Entities {
		switch e.Kind {
		case store.EntityProcess:
			r.context[e.Value] = true
		case store.EntityIP:
			r.ips[e.Value] = true
		case store.EntityUser:
			r.users[e.Value] = true
		case store.EntityFile:
			r.files[e.Value] = true
		}
	}
	return r
}

// seed adds an alerted event's own process.
func (r *relation) seed(ev event.Event) {
	if id := ev.String("process.entity_id"); id != "" {
		r.processes[id] = true
	}
}

// grow adds ev's process when its parent or an ancestor is an alerted
// process or one of their descendants.
func (r *relation) grow(ev event.Event) {
	id := ev.String("process.entity_id")
	if id == "" || r.processes[id] {
		return
	}
	if r.processes[ev.String("process.parent.entity_id")] {
		r.processes[id] = true
		return
	}
	anc, _ := ev.Get("process.ancestry")
	list, _ := anc.([]any)
	for _, a := range list {
		m, _ := a.(map[string]any)
		if pid, _ := m["entity_id"].(string); pid != "" && r.processes[pid] {
			r.processes[id] = true
			return
		}
	}
}

// related reports whether ev is about one of the incident's processes,
// addresses, users or files.
func (r *relation) related(ev event.Event) bool {
	if id := ev.String("process.entity_id"); id != "" && (r.processes[id] || r.context[id]) {
		return true
	}
	for _, f := range []string{"source.ip", "destination.ip"} {
		if s := ev.String(f); s != "" {
			if a, err := netip.ParseAddr(s); err == nil && r.ips[a.Unmap().String()] {
				return true
			}
		}
	}
	if p := ev.String("file.path"); p != "" && r.files[ev.AgentID()+":"+p] {
		return true
	}
	if ev.String(event.FieldCategory) == "authentication" || ev.String(event.FieldCategory) == "session" {
		if u := ev.String("user.name"); u != "" && (r.users[u] || r.users[u+"@"+ev.AgentID()]) {
			return true
		}
	}
	return false
}

// Summary is one line saying what an event is.
func Summary(ev event.Event) string {
	action := ev.String(event.FieldAction)
	switch ev.String(event.FieldCategory) {
	case "process":
		cmd := ev.String("process.command_line")
		if cmd == "" {
			cmd = ev.String("process.executable")
		}
		return fmt.Sprintf("%s %s (pid %s, %s)", action, clip(cmd, 300), ev.String("process.pid"), ev.String("user.name"))
	case "network":
		return fmt.Sprintf("%s %s %s:%s -> %s:%s", action, ev.String("process.name"),
			ev.String("source.ip"), ev.String("source.port"), ev.String("destination.ip"), ev.String("destination.port"))
	case "file":
		return fmt.Sprintf("%s %s by %s", action, ev.String("file.path"), ev.String("process.executable"))
	case "authentication", "session":
		s := fmt.Sprintf("%s %s", action, ev.String("user.name"))
		if ip := ev.String("source.ip"); ip != "" {
			s += " from " + ip
		}
		return s
	}
	if m := ev.String(event.FieldMessage); m != "" {
		return clip(m, 300)
	}
	return action
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// processTree builds the trees of the processes the events name, from
// their parent links; a process whose parent is not among them is a
// root.
func processTree(evs []event.Event, alertOf map[string][]string) []*ProcessNode {
	nodes := map[string]*ProcessNode{}
	parent := map[string]string{}
	var order []string
	for _, ev := range evs {
		id := ev.String("process.entity_id")
		if id == "" {
			continue
		}
		n := nodes[id]
		if n == nil {
			n = &ProcessNode{EntityID: id, AgentID: ev.AgentID()}
			nodes[id] = n
			order = append(order, id)
		}
		n.Events++
		// An exec event says it best; others fill what is missing.
		isExec := ev.String(event.FieldCategory) == "process" && ev.String(event.FieldAction) == "exec"
		set := func(dst *string, v string) {
			if v != "" && (*dst == "" || isExec) {
				*dst = v
			}
		}
		set(&n.Executable, ev.String("process.executable"))
		set(&n.CommandLine, ev.String("process.command_line"))
		set(&n.User, ev.String("user.name"))
		set(&n.Start, ev.String("process.start"))
		if v, ok := ev.Get("process.pid"); ok && n.PID == 0 {
			n.PID = number(v)
		}
		n.AlertIDs = append(n.AlertIDs, alertOf[ev.ID()]...)
		if p := ev.String("process.parent.entity_id"); p != "" {
			parent[id] = p
		}
	}
	var roots []*ProcessNode
	for _, id := range order {
		n := nodes[id]
		n.AlertIDs = slices.Compact(n.AlertIDs)
		if p, ok := nodes[parent[id]]; ok && p != n {
			p.Children = append(p.Children, n)
			continue
		}
		roots = append(roots, n)
	}
	return roots
}

// peers gathers the remote addresses of the network events.
func peers(evs []event.Event) []Peer {
	byIP := map[string]*Peer{}
	var order []string
	for _, ev := range evs {
		if ev.String(event.FieldCategory) != "network" {
			continue
		}
		ip, port := ev.String("destination.ip"), ev.String("destination.port")
		dir := ev.String("network.direction")
		if dir == "inbound" || dir == "ingress" {
			ip, port = ev.String("source.ip"), ev.String("source.port")
		}
		if ip == "" {
			continue
		}
		p := byIP[ip]
		if p == nil {
			p = &Peer{IP: ip, Direction: dir, First: ev.Timestamp()}
			byIP[ip] = p
			order = append(order, ip)
		}
		p.Count++
		p.Last = ev.Timestamp()
		if n := number(port); n > 0 && !slices.Contains(p.Ports, n) {
			p.Ports = append(p.Ports, n)
		}
		if exe := ev.String("process.executable"); exe != "" && !slices.Contains(p.Processes, exe) {
			p.Processes = append(p.Processes, exe)
		}
	}
	out := make([]Peer, 0, len(order))
	for _, ip := range order {
		p := byIP[ip]
		slices.Sort(p.Ports)
		out = append(out, *p)
	}
	slices.SortStableFunc(out, func(a, b Peer) int { return cmp.Compare(b.Count, a.Count) })
	return out
}

// files gathers the files the file events changed.
func files(evs []event.Event) []FileTouch {
	byPath := map[string]*FileTouch{}
	var order []string
	for _, ev := range evs {
		p := ev.String("file.path")
		if p == "" || ev.String(event.FieldCategory) != "file" {
			continue
		}
		key := ev.AgentID() + ":" + p
		f := byPath[key]
		if f == nil {
			f = &FileTouch{AgentID: ev.AgentID(), Path: p}
			byPath[key] = f
			order = append(order, key)
		}
		f.Count++
		if a := ev.String(event.FieldAction); a != "" && !slices.Contains(f.Actions, a) {
			f.Actions = append(f.Actions, a)
		}
		if exe := ev.String("process.executable"); exe != "" && !slices.Contains(f.Processes, exe) {
			f.Processes = append(f.Processes, exe)
		}
	}
	out := make([]FileTouch, 0, len(order))
	for _, k := range order {
		out = append(out, *byPath[k])
	}
	return out
}
