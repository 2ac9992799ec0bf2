package baselinecmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) resetCmd() *cobra.Command {
	var (
		agentID, user string
		yes           bool
	)
	cmd := &cobra.Command{
		Use:   "reset --agent ID [--user NAME]",
		Short: "Forget the login profiles of a host, or of one of its users; learning starts again",
		Long: `Forget what the center learned of the logins on the host --agent names (of the
user --user names only, when given). The next login starts a new profile,
which learns again before it judges: do this after a host changed hands or
its users' habits changed for good. Asks for confirmation unless --yes is
given.`,
		Example: `  vigil baselines reset --agent 7f3c9a --user deploy`,
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if agentID == "" {
				return clikit.UsageErr(cmd, "--agent is required: name the host whose login profiles to forget")
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			what := "agent " + agentID
			if user != "" {
				what = "user " + user + " on agent " + agentID
			}
			what = clikit.Clean(what)
			if !yes {
				n, err := a.count(cmd.Context(), c, store.LoginProfileFilter{AgentID: agentID, User: user})
				if err != nil {
					return err
				}
				ok, err := a.Confirm(fmt.Sprintf("Forget the %d login profiles of %s? Learning starts again.", n, what))
				if err != nil {
					return err
				}
				if !ok {
					return clikit.Exitf("login profiles of %s not reset (confirm with --yes)", what)
				}
			}
			n, err := c.ResetLoginProfiles(cmd.Context(), agentID, user)
			if err != nil {
				return err
			}
			return a.Done(map[string]any{"agent_id": agentID, "user": user, "removed": n},
				"login profiles of %s reset: %d removed", what, n)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&agentID, "agent", "", "the agent whose login profiles to forget (required)")
	fs.StringVar(&user, "user", "", "only the profile of this user")
	fs.BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// count is how many login profiles match f.
func (a *app) count(ctx context.Context, c *apiclient.Client, f store.LoginProfileFilter) (int, error) {
	list, err := clikit.ListAll(ctx, 0, func(ctx context.Context, p store.Page) (apiclient.Page[apiclient.Raw[apiclient.LoginProfile]], error) {
		f.Page = p
		return c.LoginProfiles(ctx, f)
	})
	return len(list), err
}
