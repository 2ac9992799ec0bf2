package rulecmd

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) rulesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rules",
		Aliases: []string{"rule"},
		Short:   "Detection rules: list, inspect, import, switch off and on; lint and test rule folders",
	}
	cmd.AddCommand(a.listCmd(), a.showCmd(), a.sourceCmd(), a.problemsCmd(), a.importCmd(), a.filesCmd(),
		a.deleteCmd(), a.enableCmd(true), a.enableCmd(false), a.severityCmd(), a.resetCmd(),
		a.lintCmd(), a.testCmd())
	return clikit.Group(cmd)
}

func (a *app) listCmd() *cobra.Command {
	var (
		f                 apiclient.RuleFilter
		disabled, enabled bool
		limit             int
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the center's rules: shipped, then imported, by file",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case disabled && enabled:
				return clikit.UsageErr(cmd, "--disabled and --enabled exclude each other")
			case disabled, enabled:
				f.Disabled = &disabled
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			rules, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[apitypes.Rule], error) {
				f.Page = p
				return c.Rules(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(rules)
			}
			t := clikit.NewTable(a.Env.Stdout, "ID", "KIND", "SEVERITY", "STATUS", "SOURCE", "STATE", "TECHNIQUES", "TITLE")
			for _, r := range rules {
				t.Row(r.ID, r.Kind, string(r.Severity), r.Status, r.Source, state(r), strings.Join(r.Techniques, ","), clikit.Truncate(r.Title, 60))
			}
			return t.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.Q, "query", "q", "", "only rules whose id, title, description or a tag contains this text")
	fl.StringVar(&f.Kind, "kind", "", "only rules of this kind: detection, correlation or filter")
	fl.StringVar(&f.Level, "level", "", "only rules of this level: informational, low, medium, high or critical")
	fl.StringVar(&f.Status, "status", "", "only rules of this status: stable, test, experimental, deprecated or unsupported")
	fl.StringVar(&f.Source, "source", "", "only builtin or imported rules")
	fl.StringVar(&f.Technique, "technique", "", "only rules of this ATT&CK technique (T1059 includes T1059.004)")
	fl.BoolVar(&disabled, "disabled", false, "only rules switched off")
	fl.BoolVar(&enabled, "enabled", false, "only rules switched on")
	fl.IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	return cmd
}

// state says whether the rule runs, and what its matches do.
func state(r apitypes.Rule) string {
	switch {
	case r.Disabled:
		return "disabled"
	case r.Kind == ruleset.KindFilter:
		return "filters"
	case r.Alerts:
		return "alerts"
	case r.Correlated:
		return "correlates"
	}
	return "silent"
}

func (a *app) showCmd() *cobra.Command {
	return clikit.ShowCmd(a.App, "Show a rule: what it detects, where it comes from and how it is set", (*apiclient.Client).Rule, a.showRule)
}

func (a *app) showRule(r apitypes.Rule) error {
	ls := ""
	if r.Kind == ruleset.KindDetection || r.Kind == ruleset.KindFilter {
		ls = logsourceLabel(r.Logsource.Product, r.Logsource.Category, r.Logsource.Service)
	}
	f := clikit.NewFields(a.Env.Stdout)
	f.Add("ID", r.ID)
	f.Add("Name", r.Name)
	f.Add("Title", r.Title)
	f.Add("Kind", r.Kind)
	f.Add("Level", r.Level)
	f.Add("Severity", string(r.Severity))
	f.Add("Status", r.Status)
	f.Add("State", stateText(r))
	f.Add("Author", r.Author)
	f.Add("Source", r.Source+" "+r.File+":"+strconv.Itoa(r.Line))
	f.Add("Log source", ls)
	f.Add("Techniques", strings.Join(r.Techniques, ", "))
	f.Add("Tags", strings.Join(r.Tags, ", "))
	if r.Kind == ruleset.KindFilter {
		f.Add("Suppressed", strconv.FormatUint(r.Suppressed, 10)+" matches since the rules were loaded")
	}
	if s := r.Setting; s != nil {
		set := "enabled"
		if s.Disabled {
			set = "disabled"
		}
		if s.Severity != "" {
			set += ", severity " + string(s.Severity)
		}
		f.Add("Setting", set+" by "+s.Author+" at "+clikit.Stamp(s.UpdatedAt))
	}
	if err := f.Flush(); err != nil {
		return err
	}
	out := a.Env.Stdout
	if r.Description != "" {
		fmt.Fprintf(out, "\nDescription:\n  %s\n", clikit.Clean(r.Description))
	}
	for _, l := range []struct {
		title string
		items []string
	}{{"False positives", r.FalsePositives}, {"References", r.References},
		{"Filtered by", refLines(r.Filters)}, {"Applies to", refLines(r.AppliesTo)}} {
		if len(l.items) == 0 {
			continue
		}
		fmt.Fprintf(out, "\n%s:\n", l.title)
		for _, item := range l.items {
			fmt.Fprintf(out, "  - %s\n", clikit.Clean(item))
		}
	}
	return nil
}

// stateText says at length what the rule's matches do.
func stateText(r apitypes.Rule) string {
	switch {
	case r.Disabled && r.Kind == ruleset.KindFilter:
		return "disabled: applied to no rule"
	case r.Disabled:
		return "disabled: loaded but not evaluated"
	case r.Kind == ruleset.KindFilter:
		return "enabled: leaves events out of the rules it applies to"
	case r.Alerts && r.Correlated:
		return "enabled: raises alerts; correlation rules use its matches"
	case r.Alerts:
		return "enabled: raises alerts"
	case r.Correlated:
		return "enabled: only correlation rules use its matches"
	}
	return "enabled: its matches raise no alert (informational)"
}

func (a *app) sourceCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "source ID",
		Short: "Print the YAML file a rule is in",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			text, err := c.RuleSource(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(map[string]string{"id": args[0], "source": string(text)})
			}
			// The file is printed as it is, with terminal controls escaped.
			_, err = fmt.Fprint(a.Env.Stdout, clikit.CleanBlock(string(text)))
			return err
		},
	}
}

func (a *app) problemsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "problems",
		Short: "List the rules and rule files the center could not load, and why",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			problems, err := clikit.ListAll(cmd.Context(), 0, func(ctx context.Context, p store.Page) (apiclient.Page[apitypes.Problem], error) {
				return c.RuleProblems(ctx, p)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(problems)
			}
			printProblems(a.Env.Stdout, problems, true)
			return nil
		},
	}
}

// problemLine is "file:line: rule ID (title): reason", with the source
// in front when withSource.
func problemLine(p apitypes.Problem, withSource bool) string {
	line := ruleset.Problem{File: p.File, Line: p.Line, RuleID: p.RuleID, Title: p.Title, Reason: p.Reason}.Error()
	if withSource && p.Source != "" {
		line = "[" + p.Source + "] " + line
	}
	return clikit.Clean(line)
}

func (a *app) filesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "files",
		Short: "List the imported rule files",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			files, err := clikit.ListAll(cmd.Context(), 0, func(ctx context.Context, p store.Page) (apiclient.Page[apitypes.RuleFile], error) {
				return c.RuleFiles(ctx, p)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(files)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "NAME", "RULES", "PROBLEMS", "SIZE", "SHA256", "AUTHOR", "UPDATED")
			for _, f := range files {
				t.Row(f.Name, strconv.Itoa(f.Rules), strconv.Itoa(f.Problems), strconv.Itoa(f.Size),
					clikit.Truncate(f.SHA256, 13), f.Author, clikit.Ago(now, f.UpdatedAt))
			}
			return t.Flush()
		},
	}
}

func (a *app) deleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an imported rule file (its rules are unloaded)",
		Args:  clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			if err := c.DeleteRuleFile(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"name": args[0], "deleted": true}, "rule file %s deleted", clikit.Clean(args[0]))
		},
	}
}

// changeSetting applies change to the rule's current setting and saves
// it.
func (a *app) changeSetting(cmd *cobra.Command, id string, change func(*apitypes.RuleSetting)) error {
	c, err := a.API()
	if err != nil {
		return err
	}
	r, err := c.Rule(cmd.Context(), id)
	if err != nil {
		return err
	}
	var s apitypes.RuleSetting
	if r.Setting != nil {
		s = apitypes.RuleSetting{Disabled: r.Setting.Disabled, Severity: r.Setting.Severity}
	}
	change(&s)
	r, err = c.SetRuleSetting(cmd.Context(), id, s)
	if err != nil {
		return err
	}
	on := "enabled"
	if r.Disabled {
		on = "disabled"
	}
	return a.Done(r, "rule %s (%s) is %s, severity %s", clikit.Clean(r.ID), clikit.Clean(r.Title), on, r.Severity)
}

func (a *app) enableCmd(enable bool) *cobra.Command {
	use, short := "disable ID", "Switch a rule off: it stays loaded but is not evaluated"
	if enable {
		use, short = "enable ID", "Switch a rule back on"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changeSetting(cmd, args[0], func(s *apitypes.RuleSetting) { s.Disabled = !enable })
		},
	}
}

func (a *app) severityCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "set-severity ID SEVERITY",
		Short: "Choose the severity of a rule's alerts: low, medium, high or critical",
		Args:  clikit.ExactArgs("ID", "SEVERITY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			sev := store.Severity(args[1])
			if sev.Rank() == 0 {
				return clikit.UsageErr(cmd, "severity %q: want low, medium, high or critical", args[1])
			}
			return a.changeSetting(cmd, args[0], func(s *apitypes.RuleSetting) { s.Severity = sev })
		},
	}
}

func (a *app) resetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reset ID",
		Short: "Remove a rule's setting: back on, with the severity of its level",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			if err := c.ResetRule(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"id": args[0], "reset": true}, "rule %s is back to its defaults", clikit.Clean(args[0]))
		},
	}
}

// refLines writes rule references as "ID (title) file:line".
func refLines(refs []apitypes.RuleRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = fmt.Sprintf("%s (%s) %s:%d", r.ID, r.Title, r.File, r.Line)
	}
	return out
}
