package health

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/center/incident"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Rules of the alerts the service raises.
const (
	RuleLost        = "vigil.agent.lost"
	RuleUninstalled = "vigil.agent.uninstalled"
)

// ATT&CK techniques of the alerts.
//
// Both alerts carry T1562.001 (Impair Defenses: Disable or Modify Tools):
// killing or removing the security agent is the textbook case of it. A
// lost agent also carries T1529 (System Shutdown/Reboot), the other usual
// way for an agent to vanish without a goodbye: the host was powered off
// or rebooted abruptly. T1489 (Service Stop) is not used: ATT&CK files it
// under Impact, for services stopped to deny them to their users, and
// lists the stopping of security tools under T1562.001; a stop the agent
// could report is a goodbye, which raises nothing.
var (
	techniquesLost        = []string{"T1562.001", "T1529"}
	techniquesUninstalled = []string{"T1562.001"}
)

// hostAlert is an alert the service raises and how it joins an incident.
type hostAlert struct {
	alert store.Alert
	// incidentTitle is the title of the incident it opens: the rule's
	// title and the host, as detection titles its incidents.
	incidentTitle string
	// entities are what it can share with detection's alerts.
	entities []store.Entity
}

// alertFor builds the alert of a change to lost or uninstalled, or nil for
// any other status. It runs under the registry lock.
func alertFor(st *agentState, to store.AgentStatus, reason string, at time.Time) *hostAlert {
	host := st.hostname
	if host == "" {
		host = st.id
	}
	a := store.Alert{
		AgentID: st.id, Hostname: st.hostname, Severity: store.SeverityHigh, State: store.AlertNew,
		CreatedAt: at, LastSeen: at,
		Evidence: map[string]any{
			"status": string(to), "reason": reason,
			"last_seen":  st.heard.UTC().Format(time.RFC3339Nano),
			"last_state": st.summary(),
		},
	}
	var title string
	var entities []store.Entity
	switch to {
	case store.StatusLost:
		title = "Agent lost"
		a.RuleID, a.Techniques = RuleLost, techniquesLost
		a.Description = fmt.Sprintf("vigil-agent on %s (%s) is lost: %s. "+
			"It may have been killed, or the host shut down or cut off from the network.", host, st.id, reason)
	case store.StatusUninstalled:
		title = "Agent uninstalled"
		a.RuleID, a.Techniques = RuleUninstalled, techniquesUninstalled
		a.Description = fmt.Sprintf("vigil-agent on %s (%s) was uninstalled: %s.", host, st.id, reason)
		entities = stopSourceEntities(st.id, st.goodbyeSource)
	default:
		return nil
	}
	a.Title = title + ": " + host
	a.DedupKey = a.RuleID + ":" + st.id
	return &hostAlert{alert: a, incidentTitle: title + " — " + host, entities: entities}
}

// maxUserName bounds a user name a goodbye brings into an incident.
const maxUserName = 256

// stopSourceEntities returns the entities of whoever a goodbye says
// stopped the agent: the user the stopping process ran as and the user
// who logged in to run it (when another), named as detection names the
// users of events (incident.Entities), so that an uninstall run from the
// session of an incident's user joins it. The sender's process is not one:
// a goodbye gives its pid, not its start, and the pair is what names a
// process. None when src is nil or names no user.
func stopSourceEntities(agentID string, src *busv1.StopSource) []store.Entity {
	var out []store.Entity
	add := func(name, uid string) {
		// The agent sent the name: bounded and printable before it is
		// stored.
		if name = strings.TrimSpace(truncate(name, maxUserName)); name == "" {
			return
		}
		ev := event.Event{"user.name": name}
		if uid != "" {
			ev["user.id"] = uid
		}
		for _, e := range incident.Entities(agentID, ev) {
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	if user := src.GetUser(); user != "" {
		// A zero uid is also an absent one: only root's counts.
		uid := ""
		if src.GetUid() != 0 || user == "root" {
			uid = strconv.Itoa(int(src.GetUid()))
		}
		add(user, uid)
	}
	if login := src.GetLoginUser(); login != "" && login != src.GetUser() {
		add(login, "")
	}
	return out
}

// summary is the part of the last state that goes into an alert's
// evidence: what the agent was and how it was doing when last heard.
func (st *agentState) summary() map[string]any {
	out := map[string]any{}
	if hb := st.hb; hb != nil {
		out["seq"] = hb.GetSeq()
		out["policy_revision"] = hb.GetPolicyRevision()
		if v := hb.GetAgentVersion(); v != "" {
			out["agent_version"] = v
		}
		if t := hb.GetStartedAtUnix(); t > 0 {
			out["started_at"] = time.Unix(t, 0).UTC().Format(time.RFC3339)
		}
	}
	if s := st.stats; s != nil {
		out["cpu_percent"] = s.GetCpuPercent()
		out["rss_bytes"] = s.GetRssBytes()
		out["spool_bytes"] = s.GetSpoolBytes()
		out["spool_dropped_total"] = s.GetSpoolDroppedTotal()
		out["throttled"] = s.GetThrottled()
	}
	if len(st.plugins) > 0 {
		failed := []string{}
		for _, p := range st.plugins {
			if p.GetState() == "failed" {
				failed = append(failed, p.GetName())
			}
		}
		out["plugins"] = len(st.plugins)
		out["plugins_failed"] = failed
	}
	return out
}
