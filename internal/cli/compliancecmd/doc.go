// Package compliancecmd is `vigil compliance`: the compliance baselines
// the center keeps. It evaluates hosts on demand (run: the collect
// command for compliance/baseline, then each host's scores), lists
// check results with their evidence in English or Chinese, the fleet's
// standing per host, label group and check, the checks that changed
// status (drift) and the score history, manages the policy catalogue
// (upload, delete, assign to hosts by label) and the exceptions that
// accept a failure, and saves the printable HTML report.
package compliancecmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App and the client
// of the compliance routes.
type app struct {
	*clikit.App
	cl *client
}

// Command returns `vigil compliance` with its subcommands.
func Command(a *clikit.App) *cobra.Command {
	x := &app{App: a}
	cmd := &cobra.Command{
		Use:   "compliance",
		Short: "Compliance baselines: evaluate hosts, results with evidence, scores, drift, policies, exceptions, reports",
		Long: `Compliance baselines (docs/compliance.md): the CIS benchmarks, China's MLPS 2.0
and your own policies, evaluated read-only by the agents on the hosts they are
assigned to. Titles and texts are shown in English or Chinese (--lang).`,
	}
	cmd.AddCommand(x.runCmd(), x.resultsCmd(), x.summaryCmd(), x.groupsCmd(), x.checksCmd(), x.driftCmd(),
		x.scoresCmd(), x.policiesCmd(), x.assignCmd(), x.unassignCmd(), x.exceptionsCmd(), x.reportCmd())
	return clikit.Group(cmd)
}

// client returns the client of the compliance routes, built on first use.
func (a *app) client() (*client, error) {
	if a.cl != nil {
		return a.cl, nil
	}
	cl, err := newClient(a.App)
	if err != nil {
		return nil, err
	}
	a.cl = cl
	return cl, nil
}

// listGroup returns the group use, described by short, that lists with
// newList's command when run alone: its subcommands are subs and another
// copy of the listing named list; an unknown subcommand is refused with a
// suggestion.
func listGroup(use, short string, aliases []string, newList func() *cobra.Command, subs ...*cobra.Command) *cobra.Command {
	cmd := newList()
	listUse := cmd.Use
	cmd.Use, cmd.Short, cmd.Aliases = use, short, aliases
	cmd.SuggestionsMinimumDistance = 2
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return clikit.UsageErr(cmd, "%s", msg)
	}
	list := newList()
	list.Use, list.Aliases = listUse, []string{"ls"}
	cmd.AddCommand(list)
	cmd.AddCommand(subs...)
	return cmd
}
