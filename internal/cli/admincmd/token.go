package admincmd

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

func (a *app) tokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "token",
		Aliases: []string{"tokens"},
		Short:   "Join tokens that let agents enroll",
	}
	cmd.AddCommand(a.tokenCreateCmd(), a.tokenListCmd(), a.tokenDeleteCmd())
	return clikit.Group(cmd)
}

func (a *app) tokenCreateCmd() *cobra.Command {
	var (
		ttl         time.Duration
		labels      string
		usageLimit  int
		description string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a join token and print it",
		Long: `Create a join token and print it alone on stdout, so that
TOKEN=$(vigil token create) works. The token is shown only this once.
Labels of the token become the labels of the agents that enroll with it.`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			lbl, err := clikit.ParseLabelList(labels)
			if err != nil {
				return clikit.UsageErr(cmd, "--labels: %v", err)
			}
			if ttl < 0 {
				return clikit.UsageErr(cmd, "--ttl: want a positive duration")
			}
			if usageLimit < 0 {
				return clikit.UsageErr(cmd, "--usage-limit: want 0 (unlimited) or more")
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			t, err := c.CreateJoinToken(cmd.Context(), apiclient.JoinTokenRequest{
				TTL: ttl, Labels: lbl, UsageLimit: usageLimit, Description: description,
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(t)
			}
			_, err = fmt.Fprintln(a.Env.Stdout, t.Token)
			return err
		},
	}
	cmd.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "how long the token is valid (at most 720h)")
	cmd.Flags().StringVar(&labels, "labels", "", "labels for enrolled agents, k=v,k2=v2")
	cmd.Flags().IntVar(&usageLimit, "usage-limit", 0, "number of enrollments allowed (0: unlimited)")
	cmd.Flags().StringVar(&description, "description", "", "what the token is for")
	return cmd
}

func (a *app) tokenListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List join tokens (never their secrets)",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			tokens, err := clikit.ListAll(cmd.Context(), 0, c.JoinTokens)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(tokens)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "ID", "DESCRIPTION", "LABELS", "USES", "EXPIRES", "CREATED BY")
			for _, tok := range tokens {
				uses := strconv.Itoa(tok.Uses)
				if tok.UsageLimit > 0 {
					uses += "/" + strconv.Itoa(tok.UsageLimit)
				}
				expires := clikit.Ago(now, tok.ExpiresAt)
				if !tok.ExpiresAt.After(now) {
					expires = "expired " + expires
				}
				t.Row(tok.ID, tok.Description, clikit.FormatLabels(tok.Labels), uses, expires, tok.CreatedBy)
			}
			return t.Flush()
		},
	}
}

func (a *app) tokenDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "delete ID",
		Aliases: []string{"rm", "revoke"},
		Short:   "Revoke a join token (enrolled agents stay)",
		Args:    clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			if err := c.DeleteJoinToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"id": args[0], "deleted": true}, "join token %s deleted", args[0])
		},
	}
}
