// Package incidentcmd holds `vigil incidents`: the incidents detection
// gathers alerts into (listing, showing, their alerts and the timeline of
// what happened around them) and moving them through their handling.
package incidentcmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App.
type app struct{ *clikit.App }

// Command returns `vigil incidents` with its subcommands.
func Command(a *clikit.App) *cobra.Command { return (&app{a}).incidentsCmd() }
