package vulndbcmd

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) vulndbCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vulndb",
		Short: "The vulnerability database: import feeds, sync them, its state and advisories",
	}
	cmd.AddCommand(a.importCmd(), a.syncCmd(), a.statusCmd(), a.advisoriesCmd(), a.showCmd())
	return clikit.Group(cmd)
}

func (a *app) syncCmd() *cobra.Command {
	var (
		source string
		noWait bool
	)
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Sync the center's configured sources now (or the one named) and follow the job to its end",
		Long: `Ask the center to fetch the sources of its sources file (every enabled one,
or the one --source names), check them and import those that changed. The
job is followed to its end unless --no-wait; the exit status is not zero
when a source failed. While another import or sync runs, the command waits
for it.`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			label := "sync of every source"
			if source != "" {
				label = "sync of " + source
			}
			j, err := a.startJob(ctx, c, label, func() (vuln.Job, error) { return c.SyncVulnDB(ctx, source) })
			if err != nil {
				return err
			}
			if !noWait {
				if j, err = a.follow(ctx, c, j, label); err != nil {
					return err
				}
			}
			if a.JSON() {
				if err := a.PrintJSON(j); err != nil {
					return err
				}
			} else {
				a.printJob(label, j)
			}
			if j.State == vuln.JobFailed {
				return failedError("sync", []string{j.Error})
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "sync only this source")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the sync started, without following it")
	return cmd
}

func (a *app) statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "The database's state: advisories per source, sources, index, last fleet match, recent jobs",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			st, err := c.VulnDB(cmd.Context())
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(st)
			}
			return a.printStatus(st)
		},
	}
}

// printStatus writes the database's state.
func (a *app) printStatus(st apiclient.VulnDBStatus) error {
	now := a.Env.Now()
	out := a.Env.Stdout
	total := 0
	for _, n := range st.Advisories {
		total += n
	}
	sv := st.Service
	ix := sv.Index
	f := clikit.NewFields(out)
	f.Add("Advisories", strconv.Itoa(total))
	f.Add("Known exploited", strconv.Itoa(st.KnownExploited))
	if sv.IndexBuiltAt.IsZero() {
		f.Add("Index", "not built")
	} else {
		f.Add("Index", fmt.Sprintf("built %s: %d advisories, %d packages, %d entries, %d ranges, %d known exploited",
			clikit.When(now, sv.IndexBuiltAt), ix.Advisories, ix.Packages, ix.Entries, ix.Ranges, ix.KnownExploited))
		f.Add("Left out", fmt.Sprintf("%d withdrawn, %d replaced, %d unmatchable, %d bad ranges, %d git ranges, %d skipped entries",
			ix.Withdrawn, ix.Replaced, ix.Unmatchable, ix.BadRanges, ix.GitRanges, ix.SkippedEntries))
	}
	match := clikit.When(now, sv.LastFleetMatch)
	if sv.LastFleetMatchTook != "" {
		match += ", took " + sv.LastFleetMatchTook
	}
	f.Add("Last fleet match", match)
	f.Add("Hosts matched", fmt.Sprintf("%d (%d errors)", sv.HostsMatched, sv.HostErrors))
	f.Add("Last error", sv.LastError)
	if err := f.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(out, "\nSources:")
	t := clikit.NewTable(out, "SOURCE", "ADVISORIES", "SYNCED FROM", "RECORDS", "REJECTED", "LAST SYNC", "ERROR")
	listed := map[string]bool{}
	for _, s := range st.Sources {
		listed[s.Name] = true
		from := "import"
		switch {
		case s.Disabled:
			from = "disabled: " + s.URL
		case s.Configured:
			from = s.URL
		}
		t.Row(s.Name, strconv.Itoa(st.Advisories[s.Name]), clikit.Truncate(from, 60), strconv.Itoa(s.Records),
			strconv.Itoa(s.Rejected), clikit.Ago(now, s.SyncedAt), clikit.Truncate(s.Error, 80))
	}
	for _, name := range slices.Sorted(maps.Keys(st.Advisories)) {
		if !listed[name] {
			t.Row(name, strconv.Itoa(st.Advisories[name]), "", "", "", "", "")
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}

	if len(ix.Ecosystems) > 0 {
		fmt.Fprintln(out, "\nEcosystems in the index:")
		t = clikit.NewTable(out, "ECOSYSTEM", "ADVISORIES", "PACKAGES")
		for _, name := range slices.Sorted(maps.Keys(ix.Ecosystems)) {
			e := ix.Ecosystems[name]
			t.Row(name, strconv.Itoa(e.Advisories), strconv.Itoa(e.Packages))
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintln(out, "\nRecent jobs:")
	if len(st.Jobs) == 0 {
		fmt.Fprintln(out, "  none")
		return nil
	}
	t = clikit.NewTable(out, "JOB", "KIND", "SOURCE", "STATE", "STARTED", "TOOK", "ADDED", "UPDATED", "UNCHANGED", "REJECTED", "BY", "ERROR")
	for _, j := range st.Jobs {
		state, took := j.State, ""
		if j.State == vuln.JobRunning {
			state = strings.TrimSpace(j.State + " " + j.Phase + " " + progressText(j))
		} else if !j.EndedAt.IsZero() {
			took = j.EndedAt.Sub(j.StartedAt).Round(time.Second).String()
		}
		t.Row(j.ID, j.Kind, j.Source, state, clikit.Ago(now, j.StartedAt), took, strconv.Itoa(j.Added), strconv.Itoa(j.Updated),
			strconv.Itoa(j.Unchanged), strconv.Itoa(j.Rejected), j.Author, clikit.Truncate(j.Error, 80))
	}
	return t.Flush()
}

func (a *app) advisoriesCmd() *cobra.Command {
	var (
		f     store.AdvisoryFilter
		limit int
	)
	cmd := &cobra.Command{
		Use:     "advisories",
		Aliases: []string{"advisory"},
		Short:   "List the advisories of the database, by id",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			advs, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[store.Advisory], error) {
				f.Page = p
				return c.Advisories(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(advs)
			}
			t := clikit.NewTable(a.Env.Stdout, "ID", "SOURCE", "SEVERITY", "SCORE", "MODIFIED", "ALIASES", "PACKAGES", "SUMMARY")
			for _, adv := range advs {
				t.Row(adv.ID, adv.Source, adv.Severity, score(adv.Score), adv.Modified.UTC().Format(time.DateOnly),
					clikit.Truncate(strings.Join(adv.Aliases, ","), 40), clikit.Truncate(strings.Join(adv.Packages, ","), 40),
					clikit.Truncate(adv.Summary, 60))
			}
			return t.Flush()
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.ID, "id", "", "only the advisory of this id or alias (CVE-2023-5363)")
	fs.StringVar(&f.Ecosystem, "ecosystem", "", "only advisories of this ecosystem (Debian:12, Maven ...)")
	fs.StringVar(&f.Source, "source", "", "only advisories of this source")
	fs.StringVar(&f.Severity, "severity", "", "only advisories of this severity: critical, high, medium, low, none or unknown")
	fs.StringVarP(&f.Q, "query", "q", "", "only advisories whose id, aliases, summary or packages contain this text")
	fs.IntVar(&limit, "limit", store.DefaultLimit, "list at most this many (0: all)")
	return cmd
}

// score is a CVSS score, "" when there is none.
func score(s float64) string {
	if s == 0 {
		return ""
	}
	return strconv.FormatFloat(s, 'f', 1, 64)
}

func (a *app) showCmd() *cobra.Command {
	return clikit.ShowCmd(a.App, "Show an advisory with its OSV record", (*apiclient.Client).Advisory, a.showAdvisory)
}

func (a *app) showAdvisory(adv store.Advisory) error {
	f := clikit.NewFields(a.Env.Stdout)
	f.Add("ID", adv.ID)
	f.Add("Source", adv.Source)
	sev := adv.Severity
	if s := score(adv.Score); s != "" {
		sev += " (" + s + ")"
	}
	f.Add("Severity", sev)
	f.Add("Summary", adv.Summary)
	f.Add("Aliases", strings.Join(adv.Aliases, ", "))
	f.Add("Ecosystems", strings.Join(adv.Ecosystems, ", "))
	f.Add("Packages", strings.Join(adv.Packages, ", "))
	f.Add("Published", clikit.Stamp(adv.Published))
	f.Add("Modified", clikit.Stamp(adv.Modified))
	if !adv.Withdrawn.IsZero() {
		f.Add("Withdrawn", clikit.Stamp(adv.Withdrawn))
	}
	if err := f.Flush(); err != nil {
		return err
	}
	if len(adv.Record) == 0 {
		return nil
	}
	_, err := fmt.Fprintf(a.Env.Stdout, "\nRecord:\n%s\n", clikit.CleanBlock(clikit.IndentJSON(adv.Record, "  ")))
	return err
}
