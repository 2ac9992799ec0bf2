package admincmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) apiTokensCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "apitokens",
		Aliases: []string{"apitoken", "api-tokens"},
		Short:   "API tokens for scripts and this CLI, and console sessions",
	}
	cmd.AddCommand(a.apiTokensListCmd(), a.apiTokensCreateCmd(), a.apiTokensDeleteCmd())
	return clikit.Group(cmd)
}

// apiTokenView is an API token as the center shows it: times that are not
// set (never expires, never used) are left out rather than shown as year 1.
type apiTokenView struct {
	store.APIToken
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Token      string     `json:"token,omitempty"`
}

func viewAPIToken(t store.APIToken, secret string) apiTokenView {
	v := apiTokenView{APIToken: t, Token: secret}
	if !t.ExpiresAt.IsZero() {
		v.ExpiresAt = &t.ExpiresAt
	}
	if !t.LastUsedAt.IsZero() {
		v.LastUsedAt = &t.LastUsedAt
	}
	return v
}

func (a *app) apiTokensListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List API tokens and console sessions (never their secrets)",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			tokens, err := clikit.ListAll(cmd.Context(), 0, c.APITokens)
			if err != nil {
				return err
			}
			if a.JSON() {
				views := make([]apiTokenView, len(tokens))
				for i, t := range tokens {
					views[i] = viewAPIToken(t, "")
				}
				return a.PrintJSON(views)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "ID", "NAME", "KIND", "ROLE", "EXPIRES", "LAST USED", "CREATED")
			for _, tok := range tokens {
				expires := "never"
				if !tok.ExpiresAt.IsZero() {
					expires = clikit.Ago(now, tok.ExpiresAt)
					if !tok.ExpiresAt.After(now) {
						expires = "expired " + expires
					}
				}
				t.Row(tok.ID, tok.Name, tok.Kind, string(tok.Role), expires, clikit.Ago(now, tok.LastUsedAt), clikit.Ago(now, tok.CreatedAt))
			}
			return t.Flush()
		},
	}
}

func (a *app) apiTokensCreateCmd() *cobra.Command {
	var (
		role string
		ttl  time.Duration
	)
	cmd := &cobra.Command{
		Use:     "create NAME --role ROLE [--ttl DURATION]",
		Short:   "Create an API token and print its secret alone (shown once)",
		Example: `  export VIGIL_TOKEN=$(vigil apitokens create automation --role analyst --ttl 720h)`,
		Args:    clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if role == "" {
				return clikit.UsageErr(cmd, "--role is required: viewer, analyst, responder or admin")
			}
			if ttl < 0 {
				return clikit.UsageErr(cmd, "--ttl: want a positive duration, or 0 for a token that does not expire")
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			t, err := c.CreateAPIToken(cmd.Context(), apiclient.APITokenRequest{Name: args[0], Role: store.Role(role), TTL: ttl})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(viewAPIToken(t.APIToken, t.Token))
			}
			_, err = fmt.Fprintln(a.Env.Stdout, t.Token)
			return err
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "viewer, analyst, responder or admin")
	cmd.Flags().DurationVar(&ttl, "ttl", 0, "lifetime (0: does not expire)")
	return cmd
}

func (a *app) apiTokensDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "delete ID",
		Aliases: []string{"rm", "revoke"},
		Short:   "Revoke an API token or end a console session",
		Args:    clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			if err := c.DeleteAPIToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"id": args[0], "deleted": true}, "API token %s deleted", args[0])
		},
	}
}
