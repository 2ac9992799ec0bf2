// Package alertcmd holds `vigil alerts`: listing and showing alerts and
// moving them through triage.
package alertcmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App.
type app struct{ *clikit.App }

// Command returns `vigil alerts` with its subcommands.
func Command(a *clikit.App) *cobra.Command { return (&app{a}).alertsCmd() }
