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
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

// app gives the commands of this package the shared App, whose API
// client has a method for each compliance route.
type app struct {
	*clikit.App
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

// page is a page of a compliance listing: its items decoded, and as the
// center sent them for -o json.
type page[T any] = apiclient.Page[apiclient.Raw[T]]

// list fetches up to max items (0: all) of a compliance listing, page by
// page; fetch asks api for one page.
func list[T any](a *app, ctx context.Context, max int, fetch func(api *apiclient.Client, ctx context.Context, p store.Page) (page[T], error)) ([]apiclient.Raw[T], error) {
	api, err := a.API()
	if err != nil {
		return nil, err
	}
	return clikit.ListAll(ctx, max, func(ctx context.Context, p store.Page) (page[T], error) {
		return fetch(api, ctx, p)
	})
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
