// Package vulndbcmd holds `vigil vulndb`: the center's vulnerability
// database. It imports files into it (osv.dev's zip exports, OSV JSON
// records, CISA's known exploited catalogue), streamed to the center with
// a progress bar and followed as a job to its end; it starts syncs of the
// configured sources, shows the database's state, and lists and shows
// its advisories.
package vulndbcmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App.
type app struct{ *clikit.App }

// Command returns `vigil vulndb` with its subcommands.
func Command(a *clikit.App) *cobra.Command { return (&app{a}).vulndbCmd() }
