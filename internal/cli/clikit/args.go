package clikit

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/store"
)

// ListAll fetches up to max items (0: all) of a listing, page by page.
func ListAll[T any](ctx context.Context, max int, fetch func(context.Context, store.Page) (apiclient.Page[T], error)) ([]T, error) {
	size := store.MaxLimit
	if max > 0 && max < size {
		size = max
	}
	return apiclient.Collect(apiclient.All(ctx, func(ctx context.Context, cursor string) (apiclient.Page[T], error) {
		return fetch(ctx, store.Page{Limit: size, Cursor: cursor})
	}), max)
}

// Limit is the --limit and --all flags of a listing (ListLimited): at
// most --limit items, store.DefaultLimit unless given, and every one with
// --all or --limit 0.
type Limit struct {
	n   int
	all bool
}

// AddFlags adds --limit and --all to fs; item names what is listed, for
// the help of --all ("indicator").
func (l *Limit) AddFlags(fs *pflag.FlagSet, item string) {
	fs.IntVar(&l.n, "limit", store.DefaultLimit, "list at most this many (0: all)")
	fs.BoolVar(&l.all, "all", false, "list every "+item+" (as --limit 0)")
}

// most is how many items to list, for ListAll: 0 for all. A negative
// --limit is a usage error of cmd.
func (l *Limit) most(cmd *cobra.Command) (int, error) {
	if l.n < 0 {
		return 0, UsageErr(cmd, "--limit %d: want 0 or more", l.n)
	}
	if l.all {
		return 0, nil
	}
	return l.n, nil
}

// ListLimited is the listing of cmd, whose --limit and --all are l: it
// checks them, then fetches that many items (all with --all or --limit 0)
// page by page (ListAll) with a's API client.
func ListLimited[T any](cmd *cobra.Command, a *App, l *Limit, fetch func(context.Context, *apiclient.Client, store.Page) (apiclient.Page[T], error)) ([]T, error) {
	most, err := l.most(cmd)
	if err != nil {
		return nil, err
	}
	c, err := a.API()
	if err != nil {
		return nil, err
	}
	return ListAll(cmd.Context(), most, func(ctx context.Context, p store.Page) (apiclient.Page[T], error) {
		return fetch(ctx, c, p)
	})
}

// NoArgs refuses positional arguments.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageErr(cmd, "%s takes no arguments, got %q", Name(cmd), args)
	}
	return nil
}

// ExactArgs wants one argument per name.
func ExactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return UsageErr(cmd, "%s wants %s, got %d arguments", Name(cmd), strings.Join(names, " "), len(args))
		}
		for i, a := range args {
			if a == "" {
				return UsageErr(cmd, "%s: %s is empty", Name(cmd), names[i])
			}
		}
		return nil
	}
}

// MinArgs wants at least n arguments, described by what.
func MinArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return UsageErr(cmd, "%s wants %s", Name(cmd), what)
		}
		return nil
	}
}

// Group makes cmd, which only holds subcommands, print its help when run
// alone and refuse an unknown subcommand with a suggestion, instead of
// printing help and succeeding.
func Group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return &usageError{cmd: cmd.CommandPath(), msg: msg}
	}
	return cmd
}

// ShowCmd returns `show ID`: it fetches one object with get (a method
// expression such as (*apiclient.Client).Alert) and prints it as JSON
// with -o json, else with show.
func ShowCmd[T any](a *App, short string, get func(c *apiclient.Client, ctx context.Context, id string) (T, error), show func(T) error) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: short,
		Args:  ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			v, err := get(c, cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(v)
			}
			return show(v)
		},
	}
}
