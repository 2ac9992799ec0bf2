package compliancecmd

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

// Collector is the agents' collector that evaluates the compliance
// policies; run sends the collect command for it.
const Collector = "compliance/baseline"

// defaultWait is how long run waits for the hosts by default: an
// evaluation of every policy is bounded by 2 minutes on the agent.
const defaultWait = 3 * time.Minute

// RunHost is a host run chose: asked to evaluate Policies, or left out
// because none is assigned to it.
type RunHost struct {
	AgentID  string   `json:"agent_id"`
	Hostname string   `json:"hostname,omitempty"`
	Policies []string `json:"policies,omitempty"`
}

// RunReport is what `compliance run -o json` prints: the hosts asked and
// left out, each asked host's answer to the collect command, and the
// summaries of the hosts that answered.
type RunReport struct {
	CommandID   string            `json:"command_id,omitempty"`
	Asked       []RunHost         `json:"asked"`
	NotAssigned []RunHost         `json:"not_assigned"`
	Results     []command.Result  `json:"results"`
	Summaries   []json.RawMessage `json:"summaries"`
}

func (a *app) runCmd() *cobra.Command {
	var (
		agents, labels []string
		policyID       string
		wait           time.Duration
	)
	cmd := &cobra.Command{
		Use:   "run [--agent ID]... [--label k=v]... [--policy ID] [--wait 3m]",
		Short: "Evaluate hosts' compliance policies now and print each host's scores",
		Long: `Ask hosts to evaluate their assigned compliance policies now (the collect
command for compliance/baseline), wait for their answers and print each host's
score and counts per policy.

The hosts are those named with --agent (repeatable) and those whose labels
match every --label k=v; without either, every host that has a policy
assigned. Only hosts with a policy assigned (with --policy: that policy) are
asked; the others are named and left out. The exit status is 1 when a host
failed to answer, or when a host named with --agent has no policy to
evaluate.`,
		Example: `  vigil compliance run --agent 7f3c9a
  vigil compliance run --label env=prod --policy cis_debian12
  vigil compliance run --wait 5m -o json`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			selector, err := parseSelector(labels)
			if err != nil {
				return clikit.UsageErr(cmd, "--label: %v", err)
			}
			if err := parseWait(wait); err != nil {
				return clikit.UsageErr(cmd, "--wait %v", err)
			}
			for _, id := range agents {
				if strings.TrimSpace(id) == "" {
					return clikit.UsageErr(cmd, "--agent: empty agent ID")
				}
			}
			return a.run(cmd.Context(), agents, selector, policyID, wait)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&agents, "agent", nil, "evaluate this agent ID (repeatable)")
	fs.StringArrayVar(&labels, "label", nil, "evaluate the hosts with this label, k=v (repeatable: all must match)")
	fs.StringVar(&policyID, "policy", "", "ask only the hosts this policy ID is assigned to, and show only its scores")
	fs.DurationVar(&wait, "wait", defaultWait, "how long to wait for the hosts' answers (1s to 5m)")
	return cmd
}

// assignment is an enabled assignment of a policy.
type assignment struct {
	policy   string
	selector map[string]string
}

// selects reports whether every label of the selector is on the host,
// as the center decides it when it puts the policy into the host's agent
// policy (a label with an empty value selects hosts without it, too).
func (as assignment) selects(labels map[string]string) bool {
	for k, v := range as.selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// run chooses the hosts, asks them and prints what they answered.
func (a *app) run(ctx context.Context, agentIDs []string, selector map[string]string, policyID string, wait time.Duration) error {
	api, err := a.API()
	if err != nil {
		return err
	}
	assigned, err := a.assignments(ctx, api, policyID)
	if err != nil {
		return err
	}
	hosts, err := a.chooseHosts(ctx, api, agentIDs, selector)
	if err != nil {
		return err
	}
	rep := RunReport{Asked: []RunHost{}, NotAssigned: []RunHost{}, Results: []command.Result{}, Summaries: []json.RawMessage{}}
	named := map[string]bool{}
	for _, id := range agentIDs {
		named[id] = true
	}
	namedLeftOut := 0
	for _, h := range hosts {
		rh := RunHost{AgentID: h.ID, Hostname: h.Hostname}
		for _, as := range assigned {
			if as.selects(h.Labels) {
				rh.Policies = append(rh.Policies, as.policy)
			}
		}
		if len(rh.Policies) == 0 {
			rep.NotAssigned = append(rep.NotAssigned, rh)
			if named[h.ID] {
				namedLeftOut++
			}
			continue
		}
		rep.Asked = append(rep.Asked, rh)
	}
	what := "no compliance policy assigned"
	if policyID != "" {
		what = "policy " + policyID + " not assigned"
	}
	if !a.JSON() {
		a.printChoice(rep, what, wait)
	}
	if len(rep.Asked) == 0 {
		if a.JSON() {
			if err := a.PrintJSON(rep); err != nil {
				return err
			}
		}
		if len(hosts) == 0 {
			return clikit.Exitf("no host to evaluate: no agent matched")
		}
		return clikit.Exitf("no host to evaluate: %s to any of the %d chosen hosts (vigil compliance assign POLICY --selector k=v)", what, len(hosts))
	}
	ids := make([]string, len(rep.Asked))
	for i, h := range rep.Asked {
		ids[i] = h.AgentID
	}
	for start := 0; start < len(ids); start += command.MaxTargets {
		batch := ids[start:min(start+command.MaxTargets, len(ids))]
		resp, err := api.Exec(ctx, command.Request{Name: command.Collect, Args: map[string]string{"name": Collector},
			AgentIDs: batch, Timeout: wait})
		if err != nil {
			return err
		}
		if rep.CommandID == "" {
			rep.CommandID = resp.ID
		}
		rep.Results = append(rep.Results, resp.Results...)
	}
	var sums []apiclient.ComplianceSummary
	failed := 0
	for _, r := range rep.Results {
		if !r.OK {
			failed++
			continue
		}
		raws, err := api.ComplianceHostSummaries(ctx, r.AgentID)
		if err != nil {
			return fmt.Errorf("summaries of %s: %w", r.AgentID, err)
		}
		for _, raw := range raws {
			s := raw.Value
			if policyID != "" && s.PolicyID != policyID {
				continue
			}
			if s.Hostname == "" {
				s.Hostname = r.Hostname
			}
			sums = append(sums, s)
			rep.Summaries = append(rep.Summaries, raw.JSON)
		}
	}
	if a.JSON() {
		if err := a.PrintJSON(rep); err != nil {
			return err
		}
	} else if err := a.printRun(rep, sums); err != nil {
		return err
	}
	switch {
	case failed > 0:
		return clikit.Exitf("compliance run failed on %d of %d hosts", failed, len(rep.Results))
	case namedLeftOut > 0:
		return clikit.Exitf("%d of the hosts named with --agent not evaluated: %s", namedLeftOut, what)
	}
	return nil
}

// assignments returns the enabled assignments, of policyID alone when it
// is set: an error when that policy does not exist or is not assigned.
func (a *app) assignments(ctx context.Context, api *apiclient.Client, policyID string) ([]assignment, error) {
	if policyID != "" {
		raw, err := api.CompliancePolicy(ctx, policyID)
		if err != nil {
			return nil, err
		}
		d := raw.Value
		if d.Assignment == nil || d.Assignment.Disabled {
			return nil, clikit.Exitf("policy %s is not assigned to any host: assign it first (vigil compliance assign %s --selector k=v)", policyID, policyID)
		}
		return []assignment{{policy: d.ID, selector: d.Assignment.Selector}}, nil
	}
	views, err := api.CompliancePolicies(ctx)
	if err != nil {
		return nil, err
	}
	var out []assignment
	for _, raw := range views {
		v := raw.Value
		if v.Assignment != nil && !v.Assignment.Disabled {
			out = append(out, assignment{policy: v.ID, selector: v.Assignment.Selector})
		}
	}
	slices.SortFunc(out, func(x, y assignment) int { return cmp.Compare(x.policy, y.policy) })
	return out, nil
}

// chooseHosts returns the agents named by ids and those matching the
// selector; without either, every agent. They are sorted by hostname.
func (a *app) chooseHosts(ctx context.Context, api *apiclient.Client, ids []string, selector map[string]string) ([]store.Agent, error) {
	seen := map[string]bool{}
	var out []store.Agent
	for _, id := range ids {
		if seen[id] {
			continue
		}
		ag, err := api.Agent(ctx, id)
		if err != nil {
			return nil, err
		}
		seen[ag.ID] = true
		out = append(out, ag.Agent)
	}
	if len(selector) > 0 || len(ids) == 0 {
		f := store.AgentFilter{Labels: selector}
		list, err := clikit.ListAll(ctx, 0, func(ctx context.Context, p store.Page) (apiclient.Page[apiclient.Agent], error) {
			f.Page = p
			return api.Agents(ctx, f)
		})
		if err != nil {
			return nil, err
		}
		if len(list) == 0 && len(selector) > 0 && len(ids) == 0 {
			return nil, clikit.Exitf("no agent has the labels %s", clikit.FormatLabels(selector))
		}
		for _, ag := range list {
			if !seen[ag.ID] {
				seen[ag.ID] = true
				out = append(out, ag.Agent)
			}
		}
	}
	slices.SortFunc(out, func(x, y store.Agent) int {
		return cmp.Or(cmp.Compare(x.Hostname, y.Hostname), cmp.Compare(x.ID, y.ID))
	})
	return out, nil
}

// maxNamed is how many hosts a line of run names before "and N more".
const maxNamed = 10

// hostList is "web-1 (7f3c9a), db-1 (b81d02)", at most maxNamed of them.
func hostList(hosts []RunHost) string {
	names := make([]string, 0, min(len(hosts), maxNamed))
	for i, h := range hosts {
		if i == maxNamed {
			names = append(names, fmt.Sprintf("and %d more", len(hosts)-maxNamed))
			break
		}
		names = append(names, hostAndID(h.Hostname, h.AgentID))
	}
	return strings.Join(names, ", ")
}

// printChoice says which hosts are asked, with the policies, and which
// are left out.
func (a *app) printChoice(rep RunReport, what string, wait time.Duration) {
	out := a.Env.Stdout
	if len(rep.Asked) > 0 {
		var pols []string
		for _, h := range rep.Asked {
			for _, p := range h.Policies {
				if !slices.Contains(pols, p) {
					pols = append(pols, p)
				}
			}
		}
		slices.Sort(pols)
		fmt.Fprintf(out, "Asking %s to evaluate %s (waiting up to %s): %s\n", plural(len(rep.Asked), "host"),
			clikit.Clean(strings.Join(pols, ", ")), shortDuration(wait), clikit.Clean(hostList(rep.Asked)))
	}
	if len(rep.NotAssigned) > 0 {
		fmt.Fprintf(out, "Not asked, %s: %s\n", clikit.Clean(what), clikit.Clean(hostList(rep.NotAssigned)))
	}
}

// plural is "1 host", "2 hosts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// printRun writes each answering host's summaries (a policy it was asked
// to evaluate and has no result of shows as such) and the hosts that
// failed.
func (a *app) printRun(rep RunReport, sums []apiclient.ComplianceSummary) error {
	out := a.Env.Stdout
	policies := map[string][]string{}
	for _, h := range rep.Asked {
		policies[h.AgentID] = h.Policies
	}
	fmt.Fprintln(out)
	t := clikit.NewTable(out, append([]string{"HOST", "AGENT", "POLICY", "VERSION", "SCORE"}, countHeader...)...)
	var failed []command.Result
	for _, r := range rep.Results {
		if !r.OK {
			failed = append(failed, r)
			continue
		}
		shown := map[string]bool{}
		for _, s := range sums {
			if s.AgentID != r.AgentID {
				continue
			}
			shown[s.PolicyID] = true
			t.Row(append([]string{host(s.Hostname, s.AgentID), s.AgentID, s.PolicyID, s.PolicyVersion, summaryScore(s)}, countCells(s.Counts)...)...)
		}
		for _, p := range policies[r.AgentID] {
			if !shown[p] {
				t.Row(host(r.Hostname, r.AgentID), r.AgentID, p, "", "no result", "", "", "", "", "")
			}
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if len(failed) == 0 {
		return nil
	}
	return writeFailed(out, failed)
}

// writeFailed lists the hosts that did not answer the command.
func writeFailed(out io.Writer, failed []command.Result) error {
	fmt.Fprintf(out, "\nFailed on %s:\n", plural(len(failed), "host"))
	t := clikit.NewTable(out, "HOST", "AGENT", "ERROR")
	for _, r := range failed {
		t.Row(host(r.Hostname, r.AgentID), r.AgentID, r.Error)
	}
	return t.Flush()
}

// shortDuration is d without its zero units: "3m", "1m30s", "2h".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
