package agentcmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) agentsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "agents",
		Aliases: []string{"agent"},
		Short:   "Enrolled agents: list, inspect, label, delete, send commands, policies",
	}
	cmd.AddCommand(a.agentsListCmd(), a.agentsShowCmd(), a.agentsDeleteCmd(), a.agentsLabelCmd(),
		a.agentsHistoryCmd(), a.agentsExecCmd(), a.policyCmd())
	return clikit.Group(cmd)
}

func (a *app) agentsListCmd() *cobra.Command {
	var (
		status string
		labels []string
		text   string
		limit  int
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List agents by hostname",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := store.AgentFilter{Status: store.AgentStatus(status), Q: text}
			var err error
			if f.Labels, err = clikit.ParsePairs(labels, clikit.MaxLabelValLen); err != nil {
				return clikit.UsageErr(cmd, "--label: %v", err)
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			agents, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[apiclient.Agent], error) {
				f.Page = p
				return c.Agents(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(agents)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "ID", "HOSTNAME", "STATUS", "LAST SEEN", "OS", "IPS", "LABELS")
			for _, ag := range agents {
				t.Row(ag.ID, ag.Hostname, string(ag.Status), clikit.Ago(now, ag.LastSeen), shortOS(ag.Agent),
					strings.Join(ag.IPs, ","), clikit.FormatLabels(ag.Labels))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only agents in this status: enrolled, online, stopped, uninstalled or lost")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "only agents with this label, k=v (repeatable)")
	cmd.Flags().StringVarP(&text, "query", "q", "", "only agents whose hostname, id or an IP contains this text")
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	return cmd
}

// shortOS is "ubuntu 22.04", or the OS family when the platform is unknown.
func shortOS(ag store.Agent) string {
	if ag.Platform != "" {
		return strings.TrimSpace(ag.Platform + " " + ag.PlatformVersion)
	}
	return ag.OS
}

// longOS adds family, kernel and architecture to shortOS.
func longOS(ag store.Agent) string {
	var extra []string
	if ag.OS != "" && ag.Platform != "" {
		extra = append(extra, ag.OS)
	}
	if ag.Kernel != "" {
		extra = append(extra, "kernel "+ag.Kernel)
	}
	if ag.Arch != "" {
		extra = append(extra, ag.Arch)
	}
	s := shortOS(ag)
	if len(extra) > 0 {
		s = strings.TrimSpace(s + " (" + strings.Join(extra, ", ") + ")")
	}
	return s
}

func (a *app) agentsShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show an agent: facts, health, last reported state and recent history",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			ag, err := c.Agent(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(ag)
			}
			hist, err := c.AgentHistory(cmd.Context(), ag.ID, store.Page{Limit: 10})
			if err != nil {
				return err
			}
			return a.showAgent(ag, hist.Items)
		},
	}
}

func (a *app) showAgent(ag apiclient.Agent, hist []store.StatusChange) error {
	now := a.Env.Now()
	status := string(ag.Status) + " since " + clikit.When(now, ag.StatusChangedAt)
	if ag.StatusReason != "" {
		status += ": " + ag.StatusReason
	}
	f := clikit.NewFields(a.Env.Stdout)
	f.Add("ID", ag.ID)
	f.Add("Hostname", ag.Hostname)
	f.Add("Status", status)
	f.Add("Last seen", clikit.When(now, ag.LastSeen))
	f.Add("Enrolled", clikit.When(now, ag.EnrolledAt))
	f.Add("OS", longOS(ag.Agent))
	f.Add("IPs", strings.Join(ag.IPs, ", "))
	f.Add("Labels", clikit.FormatLabels(ag.Labels))
	f.Add("Agent version", ag.AgentVersion)
	f.Add("Boot time", clikit.Stamp(ag.BootTime))
	f.Add("Machine ID", ag.MachineID)
	f.Add("Join token", ag.JoinTokenID)
	if err := f.Flush(); err != nil {
		return err
	}
	out := a.Env.Stdout
	if len(ag.LastState) > 0 {
		fmt.Fprintf(out, "\nLast state:\n%s\n", clikit.CleanBlock(clikit.IndentJSON(ag.LastState, "  ")))
	}
	fmt.Fprintln(out, "\nRecent history (newest first):")
	if len(hist) == 0 {
		fmt.Fprintln(out, "  none")
		return nil
	}
	return a.historyTable(hist)
}

func (a *app) historyTable(hist []store.StatusChange) error {
	t := clikit.NewTable(a.Env.Stdout, "AT", "FROM", "TO", "REASON")
	for _, h := range hist {
		t.Row(clikit.Stamp(h.At), string(h.From), string(h.To), h.Reason)
	}
	return t.Flush()
}

func (a *app) agentsHistoryCmd() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "history ID",
		Short: "Status changes of an agent, newest first",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > store.MaxLimit {
				return clikit.UsageErr(cmd, "--limit: want 1 to %d", store.MaxLimit)
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			hist, err := c.AgentHistory(cmd.Context(), args[0], store.Page{Limit: limit})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(hist.Items)
			}
			return a.historyTable(hist.Items)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", store.DefaultLimit, "show at most this many changes")
	return cmd
}
