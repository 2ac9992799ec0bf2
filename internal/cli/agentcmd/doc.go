// Package agentcmd holds `vigil agents`: listing, showing, labelling and
// deleting agents, their status history, commands sent to them and agent
// policies.
package agentcmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App.
type app struct{ *clikit.App }

// Command returns `vigil agents` with its subcommands.
func Command(a *clikit.App) *cobra.Command { return (&app{a}).agentsCmd() }
