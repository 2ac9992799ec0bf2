package agentcmd

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) policyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "policy",
		Aliases: []string{"policies"},
		Short:   "Agent policies: what runs on agents, chosen by label selector and priority",
	}
	cmd.AddCommand(a.policyGetCmd(), a.policyListCmd(), a.policyShowCmd(), a.policySetCmd(), a.policyDeleteCmd())
	return clikit.Group(cmd)
}

func (a *app) policyGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "get AGENT_ID",
		Short: "Print the effective policy an agent gets now (JSON)",
		Args:  clikit.ExactArgs("AGENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			pol, err := c.EffectivePolicy(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			data, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(pol)
			if err != nil {
				return fmt.Errorf("encode policy: %w", err)
			}
			// protojson's spacing varies on purpose; indent it the one way.
			_, err = fmt.Fprintln(a.Env.Stdout, clikit.IndentJSON(data, ""))
			return err
		},
	}
}

func (a *app) policyListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List agent policies",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			pols, err := clikit.ListAll(cmd.Context(), 0, c.AgentPolicies)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(pols)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "NAME", "PRIORITY", "SELECTOR", "REVISION", "UPDATED", "UPDATED BY")
			for _, p := range pols {
				sel := clikit.FormatLabels(p.Selector)
				if sel == "" {
					sel = "(every agent)"
				}
				t.Row(p.Name, strconv.Itoa(p.Priority), sel, strconv.FormatUint(p.Revision, 10), clikit.Ago(now, p.UpdatedAt), p.UpdatedBy)
			}
			return t.Flush()
		},
	}
}

func (a *app) policyShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show an agent policy and its document",
		Args:  clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			p, err := c.AgentPolicy(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(p)
			}
			sel := clikit.FormatLabels(p.Selector)
			if sel == "" {
				sel = "(every agent)"
			}
			f := clikit.NewFields(a.Env.Stdout)
			f.Add("Name", p.Name)
			f.Add("Selector", sel)
			f.Add("Priority", strconv.Itoa(p.Priority))
			f.Add("Revision", strconv.FormatUint(p.Revision, 10))
			f.Add("Updated", clikit.When(a.Env.Now(), p.UpdatedAt)+" by "+p.UpdatedBy)
			if err := f.Flush(); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Env.Stdout, "\nSpec:\n%s\n", clikit.CleanBlock(clikit.IndentJSON(p.Spec, "  ")))
			return err
		},
	}
}

func (a *app) policyDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "delete NAME",
		Aliases: []string{"rm"},
		Short:   "Delete an agent policy; its agents get the next matching one",
		Args:    clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			if err := c.DeleteAgentPolicy(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"name": args[0], "deleted": true}, "agent policy %s deleted", args[0])
		},
	}
}

// putPolicy stores name from in, keeping the current selector and priority
// of an existing policy unless in or the flags change them.
func (a *app) putPolicy(cmd *cobra.Command, c *apiclient.Client, name string, in policyInput) (store.AgentPolicy, error) {
	p := store.AgentPolicy{Name: name, Spec: in.Spec, Selector: in.Selector}
	if in.Selector == nil || in.Priority == nil {
		old, err := c.AgentPolicy(cmd.Context(), name)
		switch {
		case err == nil:
			if in.Selector == nil {
				p.Selector = old.Selector
			}
			p.Priority = old.Priority
		case !apiclient.IsStatus(err, 404):
			return p, err
		}
	}
	if in.Priority != nil {
		p.Priority = *in.Priority
	}
	if len(p.Selector) == 0 {
		fmt.Fprintf(a.Env.Stderr, "vigil: note: agent policy %s has no selector and applies to every agent\n", name)
	}
	return c.PutAgentPolicy(cmd.Context(), p)
}
