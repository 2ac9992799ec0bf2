// Package assetcmd holds `vigil assets`: the fleet's inventory (packages,
// ports, users, middleware ...), searched across hosts, its history of
// changes and its counts per kind.
package assetcmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App.
type app struct{ *clikit.App }

// Command returns `vigil assets` with its subcommands.
func Command(a *clikit.App) *cobra.Command { return (&app{a}).assetsCmd() }
