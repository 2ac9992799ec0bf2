// Package intelcmd is `vigil intel`: the center's threat intelligence. It
// lists, shows, adds and deletes indicators of compromise (addresses and
// networks, domains, URLs, file hashes), imports indicator files (plain
// lists, CSV, STIX 2.1 bundles, MISP events, JSON) streamed to the center
// with a progress bar, with the problems of the entries it could not take
// by line, lists and deletes the sources indicators came from, and checks
// a value against the indicators as the center's matcher sees it.
package intelcmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App, whose API
// client has a method for each threat-intelligence route.
type app struct{ *clikit.App }

// Command returns `vigil intel` with its subcommands.
func Command(a *clikit.App) *cobra.Command {
	x := &app{App: a}
	cmd := &cobra.Command{
		Use:   "intel",
		Short: "Threat intelligence: indicators of compromise, their sources, imports and checks",
		Long: `The indicators of compromise the center matches every event against: IP
addresses and networks, domains (with their subdomains), URLs and MD5, SHA-1
and SHA-256 file hashes, each from a source (a feed, a list, or "manual").
An event that holds one is enriched with it before the detection rules run.`,
	}
	cmd.AddCommand(x.listCmd(), x.showCmd(), x.addCmd(), x.importCmd(), x.deleteCmd(),
		x.sourcesCmd(), x.deleteSourceCmd(), x.checkCmd())
	return clikit.Group(cmd)
}
