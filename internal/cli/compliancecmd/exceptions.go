package compliancecmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

func (a *app) exceptionsCmd() *cobra.Command {
	return listGroup("exceptions", "Exceptions that accept a check's failure (run alone: list): add, delete", []string{"exception"}, a.exceptionsListCmd, a.exceptionAddCmd(), a.exceptionDeleteCmd())
}

func (a *app) exceptionsListCmd() *cobra.Command {
	var (
		policyID string
		expired  bool
	)
	cmd := &cobra.Command{
		Use:   "list [--policy ID] [--expired]",
		Short: "Compliance exceptions in force (with --expired, the ended ones too), newest first",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := a.API()
			if err != nil {
				return err
			}
			list, err := api.ComplianceExceptions(cmd.Context(), apiclient.ComplianceExceptionFilter{PolicyID: policyID, Expired: expired})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(list)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "ID", "POLICY", "CHECK", "AGENT", "EXPIRES", "AUTHOR", "CREATED", "REASON")
			for _, raw := range list {
				e := raw.Value
				t.Row(e.ID, e.PolicyID, orAll(e.CheckID), orAll(e.AgentID), expiry(now, e.ExpiresAt), e.Author,
					clikit.Ago(now, e.CreatedAt), clikit.Truncate(e.Reason, 60))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&policyID, "policy", "", "only exceptions of this policy ID")
	cmd.Flags().BoolVar(&expired, "expired", false, "list the expired exceptions too")
	return cmd
}

func (a *app) exceptionAddCmd() *cobra.Command {
	var policyID, checkID, agentID, reason, expires string
	cmd := &cobra.Command{
		Use:     "add --policy ID [--check ID] [--agent ID] --reason TEXT [--expires 30d|TIME]",
		Aliases: []string{"create"},
		Short:   "Accept a check's failure for a reason, until an expiry: it shows as excepted and leaves the score",
		Long: `Accept the failures of a policy's check (every check of the policy without
--check) on a host (every host without --agent), for a reason, until --expires
(a duration from now such as 30d, or an RFC 3339 time; never without it). The
results show as excepted, with the exception, and do not count in scores. An
error is never excepted.`,
		Example: `  vigil compliance exceptions add --policy cis_debian12 --check cis_debian12.5.1.20 --agent 7f3c9a \
      --reason "jump host: root login by key only" --expires 90d`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if policyID == "" {
				return clikit.UsageErr(cmd, "exceptions add needs --policy ID")
			}
			if strings.TrimSpace(reason) == "" {
				return clikit.UsageErr(cmd, "--reason is required: say why the failure is accepted")
			}
			req := apiclient.ComplianceExceptionRequest{PolicyID: policyID, CheckID: checkID, AgentID: agentID, Reason: reason}
			if expires != "" {
				t, err := parseExpiry(a.Env.Now(), expires)
				if err != nil {
					return clikit.UsageErr(cmd, "--expires %v", err)
				}
				req.ExpiresAt = t.Truncate(time.Second)
			}
			api, err := a.API()
			if err != nil {
				return err
			}
			created, err := api.CreateComplianceException(cmd.Context(), req)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(created)
			}
			e := created.Value
			until := "never expires"
			if !e.ExpiresAt.IsZero() {
				until = "expires " + clikit.Stamp(e.ExpiresAt)
			}
			_, err = fmt.Fprintf(a.Env.Stdout, "exception %s added: policy %s, check %s, agent %s; %s\n", clikit.Clean(e.ID),
				clikit.Clean(e.PolicyID), clikit.Clean(orAll(e.CheckID)), clikit.Clean(orAll(e.AgentID)), until)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&policyID, "policy", "", "the policy ID (required)")
	fs.StringVar(&checkID, "check", "", "the check ID (default: every check of the policy)")
	fs.StringVar(&agentID, "agent", "", "the agent ID (default: every host)")
	fs.StringVar(&reason, "reason", "", "why the failure is accepted (required)")
	fs.StringVar(&expires, "expires", "", "when it ends: a duration from now (30d, 12h) or an RFC 3339 time (default: never)")
	return cmd
}

func (a *app) exceptionDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a compliance exception: its failures count again",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := a.API()
			if err != nil {
				return err
			}
			if err := api.DeleteComplianceException(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"id": args[0], "deleted": true}, "exception %s deleted", clikit.Clean(args[0]))
		},
	}
}
