// Package cli is vigil, the operator's command line for the center's REST
// API: join tokens, agents, commands, agent policies, alerts, incidents,
// detection rules, exceptions, events, users, API tokens and the audit
// log, vulnerabilities, weak passwords, the vulnerability database,
// compliance and notification channels. New builds the command tree from
// the packages below it (agentcmd, alertcmd, incidentcmd, rulecmd,
// exceptioncmd, eventcmd, assetcmd, vulncmd, vulndbcmd, compliancecmd,
// notifycmd, admincmd, sharing clikit); Run executes it and turns errors
// into a message on stderr and an exit status.
package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/admincmd"
	"github.com/vigilsec/vigil/internal/cli/agentcmd"
	"github.com/vigilsec/vigil/internal/cli/alertcmd"
	"github.com/vigilsec/vigil/internal/cli/assetcmd"
	"github.com/vigilsec/vigil/internal/cli/baselinecmd"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/cli/compliancecmd"
	"github.com/vigilsec/vigil/internal/cli/eventcmd"
	"github.com/vigilsec/vigil/internal/cli/exceptioncmd"
	"github.com/vigilsec/vigil/internal/cli/incidentcmd"
	"github.com/vigilsec/vigil/internal/cli/intelcmd"
	"github.com/vigilsec/vigil/internal/cli/notifycmd"
	"github.com/vigilsec/vigil/internal/cli/policycmd"
	"github.com/vigilsec/vigil/internal/cli/rulecmd"
	"github.com/vigilsec/vigil/internal/cli/vulncmd"
	"github.com/vigilsec/vigil/internal/cli/vulndbcmd"
)

// Env is the outside world of the CLI; zero fields get the process's own.
type Env = clikit.Env

// Environment variables read for the global flags.
const (
	EnvServer = clikit.EnvServer
	EnvToken  = clikit.EnvToken
	EnvCA     = clikit.EnvCA
)

// Run executes the command line args (without the program name) and
// returns the exit status: 0 on success, 1 on any error, which is written
// to env.Stderr with a hint where one helps.
func Run(ctx context.Context, env Env, args []string) int {
	root, a := newRoot(env)
	return clikit.Run(ctx, a, root, args)
}

// New returns the command tree. Executing it directly prints no errors;
// Run is what the vigil binary uses.
func New(env Env) *cobra.Command {
	root, _ := newRoot(env)
	return root
}

func newRoot(env Env) (*cobra.Command, *clikit.App) {
	a := clikit.NewApp(env)
	root := clikit.NewRoot(a)
	root.Short = "Operate a Vigil center: agents, alerts, incidents, rules, events, tokens and users"
	root.Long = `vigil talks to the REST API of a vigil-center.

It reads the center's URL, an API token and the center's CA certificate from
VIGIL_SERVER, VIGIL_TOKEN and VIGIL_CA, or from --server, --token and --ca.`
	root.AddCommand(agentcmd.Command(a), alertcmd.Command(a), incidentcmd.Command(a), rulecmd.Command(a),
		exceptioncmd.Command(a), eventcmd.Command(a), assetcmd.Command(a))
	root.AddCommand(vulncmd.Commands(a)...)
	root.AddCommand(vulndbcmd.Command(a))
	root.AddCommand(policycmd.Command(a))
	root.AddCommand(compliancecmd.Command(a))
	root.AddCommand(notifycmd.Command(a))
	root.AddCommand(intelcmd.Command(a), baselinecmd.Command(a))
	root.AddCommand(admincmd.Commands(a)...)
	root.AddCommand(whoamiCmd(a), versionCmd(a))
	return clikit.Group(root), a
}
