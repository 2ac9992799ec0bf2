// Package exceptioncmd holds `vigil exceptions`: the allow-list entries
// that keep detection from raising alerts for known, accepted activity
// (listing, showing, creating, changing and deleting them).
package exceptioncmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App.
type app struct{ *clikit.App }

// Command returns `vigil exceptions` with its subcommands.
func Command(a *clikit.App) *cobra.Command { return (&app{a}).exceptionsCmd() }
