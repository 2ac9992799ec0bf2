package agentcmd

import (
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

func (a *app) agentsExecCmd() *cobra.Command {
	var (
		argPairs []string
		agents   []string
		selector string
		timeout  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "exec COMMAND (--agent ID ... | --selector k=v,...)",
		Short: "Send a command to agents and print each one's result",
		Long: `Send a command (ping, status, collect, processes ...) to the agents named with --agent
and/or matched by --selector, wait for their replies and print one result per
agent. The exit status is 1 when any agent failed or none was chosen.`,
		Example: `  vigil agents exec ping --agent 7f3c9a
  vigil agents exec status --selector env=prod --timeout 30s
  vigil agents exec collect --arg name=host/facts --selector site=idc-sh`,
		Args: clikit.ExactArgs("COMMAND"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := command.Request{Name: args[0], AgentIDs: agents, Timeout: timeout}
			var err error
			if req.Args, err = clikit.ParsePairs(argPairs, clikit.MaxArgValLen); err != nil {
				return clikit.UsageErr(cmd, "--arg: %v", err)
			}
			if req.Selector, err = clikit.ParseLabelList(selector); err != nil {
				return clikit.UsageErr(cmd, "--selector: %v", err)
			}
			if len(req.AgentIDs) == 0 && len(req.Selector) == 0 {
				return clikit.UsageErr(cmd, "choose agents with --agent ID or --selector k=v")
			}
			if timeout < time.Second || timeout > 5*time.Minute {
				return clikit.UsageErr(cmd, "--timeout: want 1s to 5m")
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			resp, err := c.Exec(cmd.Context(), req)
			if apiclient.IsStatus(err, http.StatusNotFound) && len(req.AgentIDs) == 0 {
				// The center answers 404 when the selector matches no
				// agent (named agents it does not know are results).
				return clikit.Exitf("%s: no agent matched", req.Name)
			}
			if err != nil {
				return err
			}
			if err := a.printResults(resp); err != nil {
				return err
			}
			return execStatus(resp)
		},
	}
	cmd.Flags().StringArrayVar(&argPairs, "arg", nil, "command argument k=v (repeatable)")
	cmd.Flags().StringArrayVar(&agents, "agent", nil, "agent ID (repeatable)")
	cmd.Flags().StringVar(&selector, "selector", "", "agents whose labels match all of k=v,k2=v2")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for replies (1s to 5m)")
	return cmd
}

func (a *app) printResults(resp command.Response) error {
	if a.JSON() {
		return a.PrintJSON(resp)
	}
	t := clikit.NewTable(a.Env.Stdout, "AGENT", "HOSTNAME", "RESULT", "DURATION", "OUTPUT")
	for _, r := range resp.Results {
		result, detail := "ok", clikit.Truncate(clikit.CompactJSON(r.Output), 100)
		if !r.OK {
			result, detail = "failed", r.Error
		}
		t.Row(r.AgentID, r.Hostname, result, durationCell(r), detail)
	}
	return t.Flush()
}

// durationCell is an agent's round trip as the table shows it: empty for a
// failure without one (an offline agent), "<1ms" for a reply within the
// millisecond rather than "0s".
func durationCell(r command.Result) string {
	switch {
	case r.DurationMS > 0:
		return (time.Duration(r.DurationMS) * time.Millisecond).String()
	case r.OK:
		return "<1ms"
	}
	return ""
}

// execStatus is an error when any agent failed or none answered.
func execStatus(resp command.Response) error {
	failed := 0
	for _, r := range resp.Results {
		if !r.OK {
			failed++
		}
	}
	switch {
	case len(resp.Results) == 0:
		return clikit.Exitf("%s: no agent matched", resp.Command)
	case failed > 0:
		return clikit.Exitf("%s failed on %d of %d agents", resp.Command, failed, len(resp.Results))
	}
	return nil
}
