package admincmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) usersUpdateCmd() *cobra.Command {
	var (
		role            string
		fromIn          bool
		disable, enable bool
	)
	cmd := &cobra.Command{
		Use:   "update ID|NAME [--role ROLE] [--password-stdin] [--disable|--enable]",
		Short: "Change a user's role, password or whether it may sign in",
		Long: `Change a user's role, password or whether it may sign in. A new password
or disabling ends the user's sessions.`,
		Args: clikit.ExactArgs("ID|NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var up apiclient.UserUpdate
			if disable && enable {
				return clikit.UsageErr(cmd, "--disable and --enable exclude each other")
			}
			if role != "" {
				r := store.Role(role)
				up.Role = &r
			}
			if disable || enable {
				up.Disabled = &disable
			}
			if fromIn {
				pw, err := a.readPassword()
				if err != nil {
					return err
				}
				up.Password = &pw
			}
			if up == (apiclient.UserUpdate{}) {
				return clikit.UsageErr(cmd, "nothing to change: give --role, --password-stdin, --disable or --enable")
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			u, err := resolveUser(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			u, err = c.UpdateUser(cmd.Context(), u.ID, up)
			if err != nil {
				return err
			}
			return a.Done(u, "user %s updated (role %s, %s)", clikit.Clean(u.Name), u.Role, userStatus(u))
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "new role: viewer, analyst, responder or admin")
	cmd.Flags().BoolVar(&fromIn, "password-stdin", false, "read a new password from the first line of stdin")
	cmd.Flags().BoolVar(&disable, "disable", false, "forbid signing in and end the user's sessions")
	cmd.Flags().BoolVar(&enable, "enable", false, "allow signing in again")
	return cmd
}

func (a *app) usersDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "delete ID|NAME",
		Aliases: []string{"rm"},
		Short:   "Delete a user and end its sessions",
		Args:    clikit.ExactArgs("ID|NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			u, err := resolveUser(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if err := c.DeleteUser(cmd.Context(), u.ID); err != nil {
				return err
			}
			return a.Done(map[string]any{"id": u.ID, "name": u.Name, "deleted": true}, "user %s deleted", clikit.Clean(u.Name))
		},
	}
}
