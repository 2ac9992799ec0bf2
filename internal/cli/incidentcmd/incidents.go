package incidentcmd

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/cli/alertcmd"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) incidentsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "incidents",
		Aliases: []string{"incident"},
		Short:   "Incidents: related alerts grouped; list, inspect, reconstruct and handle",
	}
	cmd.AddCommand(a.listCmd(), a.showCmd(), a.alertsCmd(), a.timelineCmd(),
		a.stateCmd("ack ID", "Take an incident on: it is being investigated", store.IncidentInvestigating),
		clikit.ResolveCmd("incident", func(cmd *cobra.Command, id, comment string, falsePositive bool) error {
			state := store.IncidentResolved
			if falsePositive {
				state = store.IncidentFalsePositive
			}
			return a.setState(cmd, id, apitypes.IncidentState{State: state, Comment: comment})
		}),
		a.stateCmd("reopen ID", "Reopen an incident (back to open)", store.IncidentOpen),
		a.assignCmd())
	return clikit.Group(cmd)
}

func (a *app) listCmd() *cobra.Command {
	var (
		f          store.IncidentFilter
		state, sev string
		limit      int
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List incidents, most recently seen first",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.State, f.Severity = store.IncidentState(state), store.Severity(sev)
			c, err := a.API()
			if err != nil {
				return err
			}
			incidents, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[store.Incident], error) {
				f.Page = p
				return c.Incidents(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(incidents)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "ID", "SEVERITY", "STATE", "HOSTS", "TITLE", "ALERTS", "TECHNIQUES", "ASSIGNEE", "LAST SEEN")
			for _, inc := range incidents {
				t.Row(inc.ID, string(inc.Severity), string(inc.State), hosts(inc), clikit.Truncate(inc.Title, 60),
					strconv.Itoa(inc.AlertCount), strings.Join(inc.Techniques, ","), inc.Assignee, clikit.Ago(now, inc.LastSeen))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only incidents in this state: open, investigating, resolved or false_positive")
	cmd.Flags().StringVar(&sev, "severity", "", "only incidents of this severity: low, medium, high or critical")
	cmd.Flags().StringVar(&f.AgentID, "agent", "", "only incidents that involve this agent ID")
	cmd.Flags().IntVar(&limit, "limit", store.DefaultLimit, "list at most this many (0: all)")
	return cmd
}

// hosts names the incident's hosts: their hostnames, or agent ids.
func hosts(inc store.Incident) string {
	if len(inc.Hostnames) > 0 {
		return strings.Join(inc.Hostnames, ",")
	}
	return strings.Join(inc.AgentIDs, ",")
}

func (a *app) showCmd() *cobra.Command {
	return clikit.ShowCmd(a.App, "Show an incident: hosts, techniques, rules, what its alerts share, comments",
		(*apiclient.Client).Incident, a.showIncident)
}

func (a *app) showIncident(inc store.Incident) error {
	now := a.Env.Now()
	f := clikit.NewFields(a.Env.Stdout)
	f.Add("ID", inc.ID)
	f.Add("Title", inc.Title)
	f.Add("Severity", string(inc.Severity))
	f.Add("State", string(inc.State))
	f.Add("Assignee", inc.Assignee)
	f.Add("Hosts", hostList(inc))
	f.Add("Alerts", strconv.Itoa(inc.AlertCount))
	f.Add("Techniques", strings.Join(inc.Techniques, ", "))
	f.Add("Rules", strings.Join(inc.RuleIDs, ", "))
	f.Add("First seen", clikit.When(now, inc.FirstSeen))
	f.Add("Last seen", clikit.When(now, inc.LastSeen))
	f.Add("Updated", clikit.When(now, inc.UpdatedAt))
	if err := f.Flush(); err != nil {
		return err
	}
	out := a.Env.Stdout
	if len(inc.Entities) > 0 {
		fmt.Fprintln(out, "\nShared entities:")
		t := clikit.NewTable(out, "KIND", "VALUE")
		for _, e := range inc.Entities {
			t.Row(e.Kind, e.Value)
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	if len(inc.Comments) == 0 {
		return nil
	}
	fmt.Fprintln(out, "\nComments:")
	t := clikit.NewTable(out, "AT", "AUTHOR", "STATE", "TEXT")
	for _, c := range inc.Comments {
		t.Row(clikit.Stamp(c.At), c.Author, string(c.State), c.Text)
	}
	return t.Flush()
}

// hostList is "web-1 (7f3c9a), db-1 (b81d02)".
func hostList(inc store.Incident) string {
	parts := make([]string, len(inc.AgentIDs))
	for i, id := range inc.AgentIDs {
		parts[i] = id
		if i < len(inc.Hostnames) && inc.Hostnames[i] != "" {
			parts[i] = inc.Hostnames[i] + " (" + id + ")"
		}
	}
	return strings.Join(parts, ", ")
}

func (a *app) alertsCmd() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "alerts ID",
		Short: "List the alerts of an incident, oldest first",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			alerts, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[store.Alert], error) {
				return c.IncidentAlerts(ctx, args[0], p)
			})
			if err != nil {
				return err
			}
			return alertcmd.PrintList(a.App, alerts)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	return cmd
}

func (a *app) stateCmd(use, short string, state store.IncidentState) *cobra.Command {
	return clikit.StateCmd(use, short, "incident", func(cmd *cobra.Command, id, comment string) error {
		return a.setState(cmd, id, apitypes.IncidentState{State: state, Comment: comment})
	})
}

func (a *app) assignCmd() *cobra.Command {
	var comment string
	cmd := &cobra.Command{
		Use:   "assign ID USER",
		Short: "Give an incident to someone; its state stays",
		Args:  clikit.ExactArgs("ID", "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.setState(cmd, args[0], apitypes.IncidentState{Assignee: args[1], Comment: comment})
		},
	}
	cmd.Flags().StringVarP(&comment, "message", "m", "", "comment kept with the incident")
	return cmd
}

func (a *app) setState(cmd *cobra.Command, id string, s apitypes.IncidentState) error {
	c, err := a.API()
	if err != nil {
		return err
	}
	inc, err := c.SetIncidentState(cmd.Context(), id, s)
	if err != nil {
		return err
	}
	if inc.Assignee != "" {
		return a.Done(inc, "incident %s is now %s, assigned to %s", clikit.Clean(inc.ID), inc.State, clikit.Clean(inc.Assignee))
	}
	return a.Done(inc, "incident %s is now %s", clikit.Clean(inc.ID), inc.State)
}

func (a *app) timelineCmd() *cobra.Command {
	var before, after time.Duration
	cmd := &cobra.Command{
		Use:   "timeline ID",
		Short: "What happened around an incident: events, process trees, peers, files, techniques",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, f := range []struct {
				name string
				d    time.Duration
			}{{"--before", before}, {"--after", after}} {
				if f.d < 0 || f.d > 24*time.Hour {
					return clikit.UsageErr(cmd, "%s: want a duration up to 24h", f.name)
				}
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			tl, err := c.IncidentTimeline(cmd.Context(), args[0], before, after)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(tl)
			}
			return a.printTimeline(tl)
		},
	}
	cmd.Flags().DurationVar(&before, "before", 0, "read events from this long before the first alert (default 30m, at most 24h)")
	cmd.Flags().DurationVar(&after, "after", 0, "and up to this long after the last (default 30m, at most 24h)")
	return cmd
}
