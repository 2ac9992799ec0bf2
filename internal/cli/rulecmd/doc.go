// Package rulecmd holds `vigil rules`: the center's detection rules
// (listing, showing, their problems, importing and deleting rule files,
// switching rules off and on, choosing their severity) and two commands
// that need no center: `rules lint`, which loads a folder of Sigma rules
// as the center would and reports what cannot be loaded, and `rules
// test`, which runs the folder's rule tests.
package rulecmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App.
type app struct{ *clikit.App }

// Command returns `vigil rules` with its subcommands.
func Command(a *clikit.App) *cobra.Command { return (&app{a}).rulesCmd() }
