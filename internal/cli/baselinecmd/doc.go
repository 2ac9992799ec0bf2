// Package baselinecmd is `vigil baselines`: the behaviour the center
// learned of the fleet. It lists the login profiles (from where and at
// which hours each user logs in to each host, and whether the profile
// still learns or already judges logins), with the hours as a bar row
// and the addresses in detail, and resets the profiles of a host or of
// one of its users so that learning starts again.
package baselinecmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App, whose API
// client has a method for each baseline route.
type app struct{ *clikit.App }

// Command returns `vigil baselines` with its subcommands.
func Command(a *clikit.App) *cobra.Command {
	x := &app{App: a}
	cmd := &cobra.Command{
		Use:     "baselines",
		Aliases: []string{"baseline"},
		Short:   "Behaviour baselines: the logins learned per host and user",
		Long: `What the center learned of each user's logins on each host: the addresses
they log in from and the hours of the day they log in at. Once a profile has
learned long enough (status learned), every login is marked with whether it
comes from a new address or network or at an unusual hour, for the detection
rules to judge.`,
	}
	cmd.AddCommand(x.loginsCmd(), x.resetCmd())
	return clikit.Group(cmd)
}
