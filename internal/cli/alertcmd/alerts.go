package alertcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) alertsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "alerts",
		Aliases: []string{"alert"},
		Short:   "Alerts: list, inspect and triage",
	}
	cmd.AddCommand(a.alertsListCmd(), a.alertsShowCmd(),
		a.alertStateCmd("ack ID", "Acknowledge an alert: someone is on it", store.AlertAcknowledged),
		clikit.ResolveCmd("alert", func(cmd *cobra.Command, id, comment string, falsePositive bool) error {
			state := store.AlertResolved
			if falsePositive {
				state = store.AlertFalsePositive
			}
			return a.setAlertState(cmd, id, state, comment)
		}),
		a.alertStateCmd("reopen ID", "Reopen an alert (back to new)", store.AlertNew))
	return clikit.Group(cmd)
}

func (a *app) alertsListCmd() *cobra.Command {
	var (
		f     store.AlertFilter
		state string
		sev   string
		since string
		limit int
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List alerts, newest first",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.State, f.Severity = store.AlertState(state), store.Severity(sev)
			if since != "" {
				t, err := clikit.ParseTime(a.Env.Now(), since)
				if err != nil {
					return err
				}
				f.Since = t
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			alerts, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[store.Alert], error) {
				f.Page = p
				return c.Alerts(ctx, f)
			})
			if err != nil {
				return err
			}
			return PrintList(a.App, alerts)
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only alerts in this state: new, acknowledged, resolved or false_positive")
	cmd.Flags().StringVar(&sev, "severity", "", "only alerts of this severity: low, medium, high or critical")
	cmd.Flags().StringVar(&f.AgentID, "agent", "", "only alerts of this agent ID")
	cmd.Flags().StringVar(&f.RuleID, "rule", "", "only alerts of this rule ID")
	cmd.Flags().StringVar(&f.IncidentID, "incident", "", "only alerts of this incident ID")
	cmd.Flags().StringVar(&f.Technique, "technique", "", "only alerts of this ATT&CK technique (T1059 includes its sub-techniques)")
	cmd.Flags().StringVar(&since, "since", "", "only alerts raised at or after this time: a duration before now (24h, 7d) or RFC 3339")
	cmd.Flags().IntVar(&limit, "limit", store.DefaultLimit, "list at most this many (0: all)")
	return cmd
}

// PrintList prints alerts as a table, or as JSON with -o json.
func PrintList(a *clikit.App, alerts []store.Alert) error {
	if a.JSON() {
		return a.PrintJSON(alerts)
	}
	now := a.Env.Now()
	t := clikit.NewTable(a.Env.Stdout, "ID", "SEVERITY", "STATE", "HOST", "TITLE", "TECHNIQUES", "COUNT", "LAST SEEN")
	for _, al := range alerts {
		t.Row(al.ID, string(al.Severity), string(al.State), hostOf(al), clikit.Truncate(al.Title, 60),
			strings.Join(al.Techniques, ","), strconv.Itoa(al.Count), clikit.Ago(now, lastSeen(al)))
	}
	return t.Flush()
}

// hostOf is the alert's hostname, or its agent id.
func hostOf(al store.Alert) string {
	if al.Hostname != "" {
		return al.Hostname
	}
	return al.AgentID
}

func lastSeen(al store.Alert) time.Time {
	if !al.LastSeen.IsZero() {
		return al.LastSeen
	}
	return al.CreatedAt
}

func (a *app) alertsShowCmd() *cobra.Command {
	return clikit.ShowCmd(a.App, "Show an alert with its evidence and comments", (*apiclient.Client).Alert, a.showAlert)
}

func (a *app) showAlert(al store.Alert) error {
	now := a.Env.Now()
	agent := al.AgentID
	if al.Hostname != "" {
		agent = al.Hostname + " (" + al.AgentID + ")"
	}
	f := clikit.NewFields(a.Env.Stdout)
	f.Add("ID", al.ID)
	f.Add("Title", al.Title)
	f.Add("Severity", string(al.Severity))
	f.Add("State", string(al.State))
	f.Add("Agent", agent)
	f.Add("Rule", al.RuleID)
	f.Add("Incident", al.IncidentID)
	f.Add("Techniques", strings.Join(al.Techniques, ", "))
	f.Add("Count", strconv.Itoa(al.Count))
	f.Add("Created", clikit.When(now, al.CreatedAt))
	f.Add("Last seen", clikit.When(now, al.LastSeen))
	f.Add("Updated", clikit.When(now, al.UpdatedAt))
	f.Add("Events", strings.Join(al.EventIDs, ", "))
	if err := f.Flush(); err != nil {
		return err
	}
	out := a.Env.Stdout
	if al.Description != "" {
		fmt.Fprintf(out, "\nDescription:\n  %s\n", clikit.Clean(al.Description))
	}
	if len(al.Evidence) > 0 {
		doc, err := json.Marshal(al.Evidence)
		if err != nil {
			return fmt.Errorf("encode evidence: %w", err)
		}
		fmt.Fprintf(out, "\nEvidence:\n%s\n", clikit.CleanBlock(clikit.IndentJSON(doc, "  ")))
	}
	if len(al.Comments) == 0 {
		return nil
	}
	fmt.Fprintln(out, "\nComments:")
	t := clikit.NewTable(out, "AT", "AUTHOR", "STATE", "TEXT")
	for _, c := range al.Comments {
		t.Row(clikit.Stamp(c.At), c.Author, string(c.State), c.Text)
	}
	return t.Flush()
}

func (a *app) alertStateCmd(use, short string, state store.AlertState) *cobra.Command {
	return clikit.StateCmd(use, short, "alert", func(cmd *cobra.Command, id, comment string) error {
		return a.setAlertState(cmd, id, state, comment)
	})
}

func (a *app) setAlertState(cmd *cobra.Command, id string, state store.AlertState, comment string) error {
	c, err := a.API()
	if err != nil {
		return err
	}
	al, err := c.SetAlertState(cmd.Context(), id, state, comment)
	if err != nil {
		return err
	}
	return a.Done(al, "alert %s is now %s", clikit.Clean(al.ID), al.State)
}
