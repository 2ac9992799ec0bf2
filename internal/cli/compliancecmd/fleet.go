package compliancecmd

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

// listFlags are the filters every fleet listing shares.
type listFlags struct {
	agentID, policyID string
	limit             int
}

// bind adds --agent (unless agent is false), --policy and --limit.
func (lf *listFlags) bind(fs *pflag.FlagSet, agent bool, policyHelp string) {
	if agent {
		fs.StringVar(&lf.agentID, "agent", "", "only this agent ID")
	}
	fs.StringVar(&lf.policyID, "policy", "", policyHelp)
	fs.IntVar(&lf.limit, "limit", 0, "list at most this many (0: all)")
}

// check refuses a negative --limit.
func (lf *listFlags) check(cmd *cobra.Command) error {
	if lf.limit < 0 {
		return clikit.UsageErr(cmd, "--limit %d: want 0 (all) or more", lf.limit)
	}
	return nil
}

// fleet returns the fleet filter of --agent, --policy and the --label
// items, checking them.
func (lf *listFlags) fleet(cmd *cobra.Command, labels []string) (apiclient.ComplianceFleetFilter, error) {
	f := apiclient.ComplianceFleetFilter{AgentID: lf.agentID, PolicyID: lf.policyID}
	if err := lf.check(cmd); err != nil {
		return f, err
	}
	sel, err := parseSelector(labels)
	if err != nil {
		return f, clikit.UsageErr(cmd, "--label: %v", err)
	}
	f.Labels = sel
	return f, nil
}

func (a *app) summaryCmd() *cobra.Command {
	var (
		lf     listFlags
		labels []string
	)
	cmd := &cobra.Command{
		Use:     "summary [--policy ID] [--label k=v]... [--agent ID]",
		Aliases: []string{"summaries", "hosts"},
		Short:   "Each host's score and counts per policy, across the fleet",
		Long: `List each host's standing on each policy it evaluated: the score (passed /
(passed + failed)), the checks by status and when its results last changed. A
policy whose requirements do not hold on a host (another system) shows as not
applicable there.`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := lf.fleet(cmd, labels)
			if err != nil {
				return err
			}
			sums, err := list(a, cmd.Context(), lf.limit, func(api *apiclient.Client, ctx context.Context, p store.Page) (page[apiclient.ComplianceSummary], error) {
				f.Page = p
				return api.ComplianceSummaries(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(sums)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, append(append([]string{"HOST", "AGENT", "POLICY", "VERSION", "SCORE"}, countHeader...), "UPDATED")...)
			for _, raw := range sums {
				s := raw.Value
				t.Row(append(append([]string{host(s.Hostname, s.AgentID), s.AgentID, s.PolicyID, s.PolicyVersion, summaryScore(s)},
					countCells(s.Counts)...), clikit.Ago(now, s.UpdatedAt))...)
			}
			return t.Flush()
		},
	}
	lf.bind(cmd.Flags(), true, "only this policy ID")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "only hosts with this label, k=v (repeatable: all must match)")
	return cmd
}

func (a *app) groupsCmd() *cobra.Command {
	var (
		lf    listFlags
		label string
	)
	cmd := &cobra.Command{
		Use:   "groups [--label KEY] [--policy ID]",
		Short: "Scores per value of a host label (env, site, team ...), or per policy",
		Long: `Count the results of the hosts that share a value of the label KEY, per policy:
how many hosts, the checks by status summed over them, and the score of the
sums. Hosts without the label form a group of their own. Without --label, one
group per policy holds every host.`,
		Example: `  vigil compliance groups --label env
  vigil compliance groups --label site --policy mlps_level3`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := lf.check(cmd); err != nil {
				return err
			}
			if label != "" {
				if err := clikit.CheckKey(label); err != nil {
					return clikit.UsageErr(cmd, "--label: %v", err)
				}
			}
			f := apiclient.ComplianceGroupFilter{Label: label, PolicyID: lf.policyID}
			groups, err := list(a, cmd.Context(), lf.limit, func(api *apiclient.Client, ctx context.Context, p store.Page) (page[apiclient.ComplianceGroup], error) {
				f.Page = p
				return api.ComplianceGroups(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(groups)
			}
			t := clikit.NewTable(a.Env.Stdout, append([]string{"GROUP", "POLICY", "HOSTS", "SCORE"}, countHeader...)...)
			for _, raw := range groups {
				g := raw.Value
				t.Row(append([]string{groupName(g), g.PolicyID, strconv.Itoa(g.Hosts), score(g.Score)}, countCells(g.Counts)...)...)
			}
			return t.Flush()
		},
	}
	lf.bind(cmd.Flags(), false, "only this policy ID")
	cmd.Flags().StringVar(&label, "label", "", "group the hosts by the value of this label KEY")
	return cmd
}

// groupName is "env=prod", "env not set" or "all hosts".
func groupName(g apiclient.ComplianceGroup) string {
	switch {
	case g.Label == "":
		return "all hosts"
	case g.Value == "":
		return g.Label + " not set"
	}
	return g.Label + "=" + g.Value
}

func (a *app) checksCmd() *cobra.Command {
	var (
		lf     listFlags
		lang   string
		labels []string
	)
	cmd := &cobra.Command{
		Use:   "checks --policy ID [--label k=v]... [--agent ID] [--lang en|zh]",
		Short: "A policy's checks with the hosts counted by status, those failing on most hosts first",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if lf.policyID == "" {
				return clikit.UsageErr(cmd, "checks needs --policy ID (vigil compliance policies lists them)")
			}
			var err error
			if lang, err = parseLang(lang); err != nil {
				return clikit.UsageErr(cmd, "--lang %v", err)
			}
			f, err := lf.fleet(cmd, labels)
			if err != nil {
				return err
			}
			checks, err := list(a, cmd.Context(), lf.limit, func(api *apiclient.Client, ctx context.Context, p store.Page) (page[apiclient.ComplianceCheckStanding], error) {
				f.Page = p
				return api.ComplianceChecks(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(checks)
			}
			t := clikit.NewTable(a.Env.Stdout, append(append([]string{"CHECK", "SEVERITY"}, countHeader...), "TITLE")...)
			for _, raw := range checks {
				c := raw.Value
				t.Row(append(append([]string{c.CheckID, c.Severity}, countCells(c.Hosts)...), clikit.Truncate(title(c.Check, lang), 70))...)
			}
			return t.Flush()
		},
	}
	lf.bind(cmd.Flags(), true, "the policy ID (required)")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "only hosts with this label, k=v (repeatable: all must match)")
	cmd.Flags().StringVar(&lang, "lang", "en", "language of titles: en or zh")
	return cmd
}

func (a *app) driftCmd() *cobra.Command {
	var (
		lf           listFlags
		since, until string
		regressed    bool
		lang         string
	)
	cmd := &cobra.Command{
		Use:   "drift [--since 7d|TIME] [--until TIME] [--regressed] [--agent ID] [--policy ID]",
		Short: "Checks whose status changed on a host, newest first; --regressed: passed before, fail or error now",
		Long: `List the checks whose status changed on a host, newest first: before and after
(before "new" when the check was first seen), and whether it regressed (it
passed, and now fails or is an error). --since and --until take a duration
before now (1h, 7d) or an RFC 3339 time (2025-01-02T15:04:05Z, or a date).`,
		Example: `  vigil compliance drift --since 7d --regressed
  vigil compliance drift --agent 7f3c9a --policy cis_debian12`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := lf.check(cmd); err != nil {
				return err
			}
			var err error
			if lang, err = parseLang(lang); err != nil {
				return clikit.UsageErr(cmd, "--lang %v", err)
			}
			f := apiclient.ComplianceDriftFilter{AgentID: lf.agentID, PolicyID: lf.policyID, Regressed: regressed}
			if f.Since, f.Until, err = a.timeRange(cmd, since, until); err != nil {
				return err
			}
			drifts, err := list(a, cmd.Context(), lf.limit, func(api *apiclient.Client, ctx context.Context, p store.Page) (page[apiclient.ComplianceDrift], error) {
				f.Page = p
				return api.ComplianceDrift(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(drifts)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "CHANGED", "HOST", "POLICY", "CHECK", "SEVERITY", "BEFORE", "AFTER", "REGRESSED", "TITLE")
			for _, raw := range drifts {
				d := raw.Value
				before := statusCell(d.Before)
				if before == "" {
					before = "new"
				}
				regressed := ""
				if d.Regressed {
					regressed = "yes"
				}
				t.Row(clikit.Ago(now, d.ChangedAt), host(d.Hostname, d.AgentID), d.PolicyID, d.CheckID, d.Severity, before,
					statusCell(d.After), regressed, clikit.Truncate(title(d.Check, lang), 60))
			}
			return t.Flush()
		},
	}
	lf.bind(cmd.Flags(), true, "only this policy ID")
	fs := cmd.Flags()
	fs.StringVar(&since, "since", "", "only changes from this time: a duration before now (7d) or an RFC 3339 time")
	fs.StringVar(&until, "until", "", "only changes before this time")
	fs.BoolVar(&regressed, "regressed", false, "only regressions: passed before, fail or error now")
	fs.StringVar(&lang, "lang", "en", "language of titles: en or zh")
	return cmd
}

// timeRange reads --since and --until, in whole seconds (zero when not
// given).
func (a *app) timeRange(cmd *cobra.Command, since, until string) (time.Time, time.Time, error) {
	now := a.Env.Now()
	s, err := clikit.ParseTime(now, since)
	if err != nil {
		return s, s, clikit.UsageErr(cmd, "--since %v", err)
	}
	u, err := clikit.ParseTime(now, until)
	if err != nil {
		return s, u, clikit.UsageErr(cmd, "--until %v", err)
	}
	if !s.IsZero() && !u.IsZero() && !s.Before(u) {
		return s, u, clikit.UsageErr(cmd, "--since %s is not before --until %s", clikit.Stamp(s), clikit.Stamp(u))
	}
	return s.Truncate(time.Second), u.Truncate(time.Second), nil
}

func (a *app) scoresCmd() *cobra.Command {
	var (
		lf           listFlags
		since, until string
	)
	cmd := &cobra.Command{
		Use:     "scores [--agent ID] [--policy ID] [--since 30d|TIME] [--until TIME]",
		Aliases: []string{"history"},
		Short:   "Score history: one entry per host, policy and day, newest first",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := lf.check(cmd); err != nil {
				return err
			}
			f := store.ComplianceScoreFilter{AgentID: lf.agentID, PolicyID: lf.policyID}
			var err error
			if f.Since, f.Until, err = a.timeRange(cmd, since, until); err != nil {
				return err
			}
			scores, err := list(a, cmd.Context(), lf.limit, func(api *apiclient.Client, ctx context.Context, p store.Page) (page[store.ComplianceScore], error) {
				f.Page = p
				return api.ComplianceScores(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(scores)
			}
			t := clikit.NewTable(a.Env.Stdout, append([]string{"DAY", "AGENT", "POLICY", "SCORE"}, countHeader...)...)
			for _, raw := range scores {
				s := raw.Value
				sc := ""
				if s.Passed+s.Failed > 0 {
					sc = score(&s.Score)
				}
				t.Row(day(s.At), s.AgentID, s.PolicyID, sc, strconv.Itoa(s.Passed), strconv.Itoa(s.Failed),
					strconv.Itoa(s.Errors), strconv.Itoa(s.NotApplicable), strconv.Itoa(s.Excepted))
			}
			return t.Flush()
		},
	}
	lf.bind(cmd.Flags(), true, "only this policy ID")
	cmd.Flags().StringVar(&since, "since", "", "only entries from this time: a duration before now (30d) or an RFC 3339 time")
	cmd.Flags().StringVar(&until, "until", "", "only entries before this time")
	return cmd
}
