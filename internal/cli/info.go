package cli

import (
	"runtime"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/version"
)

func whoamiCmd(a *clikit.App) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who the center takes the token for, and its role",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			me, err := c.Me(cmd.Context())
			if err != nil {
				return err
			}
			return a.Done(me, "%s (role %s, %s token) at %s", clikit.Clean(me.Name), me.Role, me.Kind, c.Server())
		},
	}
}

func versionCmd(a *clikit.App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of vigil",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := map[string]string{"version": version.Version, "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH}
			return a.Done(v, "vigil %s (%s, %s)", v["version"], v["go"], v["platform"])
		},
	}
}
