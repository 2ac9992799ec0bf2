package health

import (
	"fmt"
	"time"

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

// alertFor builds the alert of a change to lost or uninstalled, or nil for
// any other status. It runs under the registry lock.
func alertFor(st *agentState, to store.AgentStatus, reason string, at time.Time) *store.Alert {
	host := st.hostname
	if host == "" {
		host = st.id
	}
	a := &store.Alert{
		AgentID: st.id, Hostname: st.hostname, Severity: store.SeverityHigh, State: store.AlertNew,
		CreatedAt: at, LastSeen: at,
		Evidence: map[string]any{
			"status": string(to), "reason": reason,
			"last_seen":  st.heard.UTC().Format(time.RFC3339Nano),
			"last_state": st.summary(),
		},
	}
	switch to {
	case store.StatusLost:
		a.RuleID, a.Techniques = RuleLost, techniquesLost
		a.Title = "Agent lost: " + host
		a.Description = fmt.Sprintf("vigil-agent on %s (%s) is lost: %s. "+
			"It may have been killed, or the host shut down or cut off from the network.", host, st.id, reason)
	case store.StatusUninstalled:
		a.RuleID, a.Techniques = RuleUninstalled, techniquesUninstalled
		a.Title = "Agent uninstalled: " + host
		a.Description = fmt.Sprintf("vigil-agent on %s (%s) was uninstalled: %s.", host, st.id, reason)
	default:
		return nil
	}
	a.DedupKey = a.RuleID + ":" + st.id
	return a
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
