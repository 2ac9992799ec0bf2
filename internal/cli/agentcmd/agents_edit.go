package agentcmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

func (a *app) agentsDeleteCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete ID",
		Short: "Revoke an agent's credentials (it is disconnected at once) and delete it",
		Long: `Revoke an agent's bus credentials and delete it from the center. Its
connection is closed at once and it cannot come back with its identity; to
return, the host must enroll again with a new join token. Asks for
confirmation unless --yes is given.`,
		Args: clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			if !yes {
				ag, err := c.Agent(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				ok, err := a.Confirm(fmt.Sprintf("Delete agent %s (%s) and revoke its credentials?", clikit.Clean(ag.ID), clikit.Clean(ag.Hostname)))
				if err != nil {
					return err
				}
				if !ok {
					return clikit.Exitf("agent %s not deleted (confirm with --yes)", args[0])
				}
			}
			if err := c.DeleteAgent(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"id": args[0], "deleted": true}, "agent %s deleted", args[0])
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) agentsLabelCmd() *cobra.Command {
	var remove []string
	cmd := &cobra.Command{
		Use:   "label ID [k=v ...] [--remove k ...]",
		Short: "Set or remove labels of an agent",
		Long: `Set labels (k=v) and remove labels (--remove k) of an agent; other labels
stay. Labels select agents for policies and commands.`,
		Args: clikit.MinArgs(1, "an agent ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := clikit.ParsePairs(args[1:], clikit.MaxLabelValLen)
			if err != nil {
				return clikit.UsageErr(cmd, "%v", err)
			}
			if len(set) == 0 && len(remove) == 0 {
				return clikit.UsageErr(cmd, "give labels to set (k=v) or --remove k")
			}
			for _, k := range remove {
				if err := clikit.CheckKey(k); err != nil {
					return clikit.UsageErr(cmd, "--remove: %v", err)
				}
				if _, both := set[k]; both {
					return clikit.UsageErr(cmd, "label %q is both set and removed", k)
				}
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			ag, err := c.Agent(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			labels := map[string]string{}
			for k, v := range ag.Labels {
				labels[k] = v
			}
			for k, v := range set {
				labels[k] = v
			}
			for _, k := range remove {
				delete(labels, k)
			}
			updated, err := c.SetAgentLabels(cmd.Context(), ag.ID, labels)
			if err != nil {
				return err
			}
			return a.Done(updated, "agent %s labels: %s", clikit.Clean(updated.ID), clikit.Clean(clikit.FormatLabels(updated.Labels)))
		},
	}
	cmd.Flags().StringArrayVar(&remove, "remove", nil, "label key to remove (repeatable)")
	return cmd
}
