// Package vulncmd holds `vigil vulns` and `vigil weak-passwords`: the
// vulnerabilities the center found in the hosts' packages and libraries
// (by finding, by host, by vulnerability, one vulnerability in full, and
// the upgrades that fix them), and the weak credentials and open services
// the agents found, with the word lists their checks use.
package vulncmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App.
type app struct{ *clikit.App }

// Commands returns `vigil vulns` and `vigil weak-passwords` with their
// subcommands.
func Commands(a *clikit.App) []*cobra.Command {
	x := &app{a}
	return []*cobra.Command{x.vulnsCmd(), x.weakPasswordsCmd()}
}
