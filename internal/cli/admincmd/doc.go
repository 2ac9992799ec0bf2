// Package admincmd holds the administration commands of vigil: join tokens
// (`vigil token`), users, API tokens and the audit log.
package admincmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App.
type app struct{ *clikit.App }

// Commands returns `vigil token`, `users`, `apitokens` and `audit`.
func Commands(a *clikit.App) []*cobra.Command {
	x := &app{a}
	return []*cobra.Command{x.tokenCmd(), x.usersCmd(), x.apiTokensCmd(), x.auditCmd()}
}
