package intelcmd

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

// maxValueCell bounds a value in tables: a SHA-256 fits, a long URL is
// cut.
const maxValueCell = 64

func (a *app) listCmd() *cobra.Command {
	var (
		f     store.IndicatorFilter
		limit clikit.Limit
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List indicators by type, then value, then source",
		Long: `List the indicators of compromise by type, then value, then source, with
how often each matched an event and when last. Expired indicators are left
out unless --expired. At most --limit are listed (100 by default); --all
lists every one.`,
		Example: `  vigil intel list --type ip --source feodo
  vigil intel list -q example.net --expired
  vigil intel list --all -o json > indicators.json`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := clikit.ListLimited(cmd, a.App, &limit, func(ctx context.Context, c *apiclient.Client, p store.Page) (apiclient.Page[apiclient.Raw[store.Indicator]], error) {
				f.Page = p
				return c.Indicators(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(list)
			}
			ins := make([]store.Indicator, len(list))
			for i, raw := range list {
				ins[i] = raw.Value
			}
			return a.indicatorTable(ins, true)
		},
	}
	fs := cmd.Flags()
	fs.Var(typeFlag{&f.Type}, "type", "only indicators of this type: "+typeNames())
	fs.StringVar(&f.Source, "source", "", "only indicators of this source")
	fs.StringVarP(&f.Q, "query", "q", "", "only indicators whose value or description holds this text (any case)")
	fs.BoolVar(&f.Expired, "expired", false, "list expired indicators too")
	limit.AddFlags(fs, "indicator")
	// --q is -q's long form too.
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "q" {
			name = "query"
		}
		return pflag.NormalizedName(name)
	})
	return cmd
}

// typeFlag is --type: one of store.IndicatorTypes.
type typeFlag struct{ t *store.IndicatorType }

func (f typeFlag) String() string {
	if f.t == nil {
		return ""
	}
	return string(*f.t)
}

func (f typeFlag) Set(s string) error {
	t := store.IndicatorType(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(store.IndicatorTypes, t) {
		return fmt.Errorf("want one of %s", typeNames())
	}
	*f.t = t
	return nil
}

func (typeFlag) Type() string { return "type" }

// typeNames lists the indicator types, for help and errors.
func typeNames() string {
	names := make([]string, len(store.IndicatorTypes))
	for i, t := range store.IndicatorTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// indicatorTable writes indicators as a table, with their hits when
// hits is set.
func (a *app) indicatorTable(ins []store.Indicator, hits bool) error {
	now := a.Env.Now()
	header := []string{"ID", "VALUE", "TYPE", "SOURCE", "SEVERITY", "CONFIDENCE"}
	if hits {
		header = append(header, "HITS", "LAST-HIT")
	}
	t := clikit.NewTable(a.Env.Stdout, append(header, "EXPIRES")...)
	for _, in := range ins {
		row := []string{in.ID, clikit.Truncate(in.Value, maxValueCell), string(in.Type), in.Source, in.Severity, strconv.Itoa(in.Confidence)}
		if hits {
			row = append(row, strconv.FormatInt(in.Hits, 10), clikit.Ago(now, in.LastHitAt))
		}
		t.Row(append(row, expires(now, in))...)
	}
	return t.Flush()
}

func (a *app) showCmd() *cobra.Command {
	return clikit.ShowCmd(a.App, "Show an indicator with its description, tags, techniques and hits",
		(*apiclient.Client).Indicator, func(raw apiclient.Raw[store.Indicator]) error { return a.show(raw.Value) })
}

// show prints an indicator for people.
func (a *app) show(in store.Indicator) error {
	now := a.Env.Now()
	f := clikit.NewFields(a.Env.Stdout)
	f.Add("ID", in.ID)
	f.Add("Type", string(in.Type))
	f.Add("Value", in.Value)
	f.Add("Source", in.Source)
	f.Add("Severity", in.Severity)
	f.Add("Confidence", strconv.Itoa(in.Confidence))
	f.Add("Description", in.Description)
	f.Add("Tags", strings.Join(in.Tags, ", "))
	f.Add("Techniques", strings.Join(in.Techniques, ", "))
	f.Add("Reference", in.Reference)
	f.Add("Created", clikit.When(now, in.CreatedAt))
	updated := clikit.When(now, in.UpdatedAt)
	if in.UpdatedBy != "" {
		updated += " by " + in.UpdatedBy
	}
	f.Add("Updated", updated)
	exp := "never"
	if !in.ExpiresAt.IsZero() {
		exp = clikit.When(now, in.ExpiresAt)
		if !in.ExpiresAt.After(now) {
			exp += ": expired, no longer matched"
		}
	}
	f.Add("Expires", exp)
	f.Add("Hits", strconv.FormatInt(in.Hits, 10))
	f.Add("Last hit", clikit.When(now, in.LastHitAt))
	return f.Flush()
}

// expires is when an indicator stops matching: "never", "in 29d", or
// "expired 2d ago".
func expires(now time.Time, in store.Indicator) string {
	switch {
	case in.ExpiresAt.IsZero():
		return "never"
	case !in.ExpiresAt.After(now):
		return "expired " + clikit.Ago(now, in.ExpiresAt)
	}
	return clikit.Ago(now, in.ExpiresAt)
}

func (a *app) deleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete an indicator: it stops matching at once",
		Long: `Delete one indicator; it stops matching at once. An indicator of a feed comes
back when the feed is imported again: to stop matching a whole feed, delete
its source (delete-source).`,
		Args: clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			if err := c.DeleteIndicator(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"id": args[0], "deleted": true}, "indicator %s deleted", args[0])
		},
	}
}
