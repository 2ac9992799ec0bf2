// Package eventcmd holds `vigil events`: listing events and following new
// ones as the center stores them.
package eventcmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App.
type app struct{ *clikit.App }

// Command returns `vigil events` with its subcommands.
func Command(a *clikit.App) *cobra.Command { return (&app{a}).eventsCmd() }
