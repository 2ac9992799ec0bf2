package exceptioncmd

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
	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) exceptionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "exceptions",
		Aliases: []string{"exception"},
		Short:   "Exceptions: alerts detection does not raise for known, accepted activity",
	}
	cmd.AddCommand(a.listCmd(), a.showCmd(), a.createCmd(), a.updateCmd(), a.deleteCmd())
	return clikit.Group(cmd)
}

func (a *app) listCmd() *cobra.Command {
	var (
		f     apiclient.ExceptionFilter
		limit int
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List exceptions, newest first",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			list, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[store.Exception], error) {
				f.Page = p
				return c.Exceptions(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(list)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "ID", "RULE", "AGENT", "MATCH", "REASON", "EXPIRES", "HITS", "LAST HIT")
			for _, e := range list {
				t.Row(e.ID, orAll(e.RuleID), orAll(e.AgentID), clikit.Truncate(formatMatch(e.Match), 60),
					clikit.Truncate(e.Reason, 40), expiry(now, e.ExpiresAt), strconv.FormatInt(e.Hits, 10), clikit.Ago(now, e.LastHit))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&f.RuleID, "rule", "", "only exceptions of this rule ID")
	cmd.Flags().StringVar(&f.AgentID, "agent", "", "only exceptions of this agent ID")
	cmd.Flags().BoolVar(&f.Active, "active", false, "leave out expired exceptions")
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	return cmd
}

// orAll is v, or "all" when the exception is not narrowed by it.
func orAll(v string) string {
	if v == "" {
		return "all"
	}
	return v
}

// expiry says when an exception ends.
func expiry(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	if !t.After(now) {
		return "expired " + clikit.Ago(now, t)
	}
	return clikit.Ago(now, t)
}

// formatMatch is "field=p1|p2 field2=p3", fields sorted.
func formatMatch(m map[string][]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+strings.Join(m[k], "|"))
	}
	if len(parts) == 0 {
		return "(every event)"
	}
	return strings.Join(parts, " ")
}

func (a *app) showCmd() *cobra.Command {
	return clikit.ShowCmd(a.App, "Show an exception with its hits", (*apiclient.Client).Exception, a.showException)
}

func (a *app) showException(e store.Exception) error {
	now := a.Env.Now()
	f := clikit.NewFields(a.Env.Stdout)
	f.Add("ID", e.ID)
	f.Add("Rule", orAll(e.RuleID))
	f.Add("Agent", orAll(e.AgentID))
	f.Add("Reason", e.Reason)
	f.Add("Author", e.Author)
	f.Add("Expires", expiry(now, e.ExpiresAt)+stampOf(e.ExpiresAt))
	f.Add("Hits", strconv.FormatInt(e.Hits, 10))
	f.Add("Last hit", clikit.When(now, e.LastHit))
	f.Add("Created", clikit.When(now, e.CreatedAt))
	f.Add("Updated", clikit.When(now, e.UpdatedAt))
	if err := f.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(a.Env.Stdout, "\nMatch (every field must match one of its patterns):")
	if len(e.Match) == 0 {
		fmt.Fprintln(a.Env.Stdout, "  every event")
		return nil
	}
	t := clikit.NewTable(a.Env.Stdout, "FIELD", "PATTERNS")
	for _, k := range slices.Sorted(maps.Keys(e.Match)) {
		t.Row(k, strings.Join(e.Match[k], " | "))
	}
	return t.Flush()
}

// stampOf is " (RFC 3339)" for a set time.
func stampOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " (" + clikit.Stamp(t) + ")"
}

// exceptionFlags are the flags of create and update.
type exceptionFlags struct {
	rule, agent, reason, expires string
	match                        []string
	noExpiry                     bool
}

func (ef *exceptionFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&ef.rule, "rule", "", "the rule ID it applies to (default: every rule)")
	fl.StringVar(&ef.agent, "agent", "", "the agent ID it applies to (default: every agent)")
	fl.StringArrayVar(&ef.match, "match", nil, "field=pattern: the event's field must match the pattern (* and ? wildcards, case-insensitive); repeat a field for other patterns (repeatable)")
	fl.StringVar(&ef.reason, "reason", "", "why the activity is accepted (required)")
	fl.StringVar(&ef.expires, "expires", "", "when it ends: a duration from now (7d, 12h) or an RFC 3339 time")
}

// parseMatch turns field=pattern arguments into a match.
func parseMatch(items []string) (map[string][]string, error) {
	m := map[string][]string{}
	for _, item := range items {
		field, pattern, ok := strings.Cut(item, "=")
		field = strings.TrimSpace(field)
		if !ok || field == "" || pattern == "" {
			return nil, fmt.Errorf("%q: want field=pattern, such as process.executable=/usr/bin/backup-*", item)
		}
		m[field] = append(m[field], pattern)
	}
	return m, nil
}

// parseExpiry reads --expires: a duration from now or an RFC 3339 time
// (or a date, midnight UTC).
func parseExpiry(now time.Time, s string) (time.Time, error) {
	if d, err := clikit.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("%q: want a positive duration", s)
		}
		return now.Add(d).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want a duration such as 7d or 12h, or an RFC 3339 time such as 2025-01-02T15:04:05Z", s)
}

// apply sets the flags that were given on e.
func (ef *exceptionFlags) apply(cmd *cobra.Command, now time.Time, e *apitypes.Exception) error {
	fl := cmd.Flags()
	if fl.Changed("rule") {
		e.RuleID = ef.rule
	}
	if fl.Changed("agent") {
		e.AgentID = ef.agent
	}
	if fl.Changed("reason") {
		e.Reason = ef.reason
	}
	if fl.Changed("match") {
		m, err := parseMatch(ef.match)
		if err != nil {
			return clikit.UsageErr(cmd, "--match: %v", err)
		}
		e.Match = m
	}
	if fl.Changed("expires") {
		t, err := parseExpiry(now, ef.expires)
		if err != nil {
			return clikit.UsageErr(cmd, "--expires: %v", err)
		}
		e.ExpiresAt = &t
	}
	if ef.noExpiry {
		if fl.Changed("expires") {
			return clikit.UsageErr(cmd, "--expires and --no-expiry exclude each other")
		}
		e.ExpiresAt = nil
	}
	return nil
}

func (a *app) createCmd() *cobra.Command {
	var ef exceptionFlags
	cmd := &cobra.Command{
		Use:   "create --reason TEXT [--rule ID] [--agent ID] [--match field=pattern]... [--expires 7d]",
		Short: "Create an exception; detection applies it at once",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var e apitypes.Exception
			if err := ef.apply(cmd, a.Env.Now(), &e); err != nil {
				return err
			}
			if strings.TrimSpace(e.Reason) == "" {
				return clikit.UsageErr(cmd, "--reason is required: say why the activity is accepted")
			}
			if len(e.Match) == 0 && e.RuleID == "" && e.AgentID == "" {
				return clikit.UsageErr(cmd, "give --match, --rule or --agent: an exception of every event would silence detection")
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			created, err := c.CreateException(cmd.Context(), e)
			if err != nil {
				return err
			}
			return a.Done(created, "exception %s created", clikit.Clean(created.ID))
		},
	}
	ef.bind(cmd)
	return cmd
}

func (a *app) updateCmd() *cobra.Command {
	var ef exceptionFlags
	cmd := &cobra.Command{
		Use:   "update ID [--reason TEXT] [--rule ID] [--agent ID] [--match field=pattern]... [--expires 7d | --no-expiry]",
		Short: "Change an exception; what no flag gives stays (--match replaces the whole match)",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			cur, err := c.Exception(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			e := apitypes.Exception{RuleID: cur.RuleID, AgentID: cur.AgentID, Match: cur.Match, Reason: cur.Reason}
			if !cur.ExpiresAt.IsZero() {
				e.ExpiresAt = &cur.ExpiresAt
			}
			if err := ef.apply(cmd, a.Env.Now(), &e); err != nil {
				return err
			}
			updated, err := c.UpdateException(cmd.Context(), cur.ID, e)
			if err != nil {
				return err
			}
			return a.Done(updated, "exception %s updated", clikit.Clean(updated.ID))
		},
	}
	ef.bind(cmd)
	cmd.Flags().BoolVar(&ef.noExpiry, "no-expiry", false, "the exception no longer ends")
	return cmd
}

func (a *app) deleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete an exception: its alerts are raised again",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			if err := c.DeleteException(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"id": args[0], "deleted": true}, "exception %s deleted", clikit.Clean(args[0]))
		},
	}
}
