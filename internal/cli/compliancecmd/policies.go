package compliancecmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) policiesCmd() *cobra.Command {
	return listGroup("policies", "The policy catalogue (run alone: list): show, upload, delete", []string{"policy"}, a.policiesListCmd, a.policyShowCmd(), a.policyUploadCmd(), a.policyDeleteCmd())
}

func (a *app) policiesListCmd() *cobra.Command {
	var lang string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "The policy catalogue: shipped and uploaded policies, with their assignments",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if lang, err = parseLang(lang); err != nil {
				return clikit.UsageErr(cmd, "--lang %v", err)
			}
			api, err := a.API()
			if err != nil {
				return err
			}
			views, err := api.CompliancePolicies(cmd.Context())
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(views)
			}
			t := clikit.NewTable(a.Env.Stdout, "ID", "VERSION", "CHECKS", "SOURCE", "ASSIGNED TO", "EVERY", "NAME")
			for _, raw := range views {
				v := raw.Value
				to, every := assignmentCells(v.Assignment)
				t.Row(v.ID, v.Version, strconv.Itoa(v.Checks), source(v), to, every, clikit.Truncate(text(v.Name, lang), 60))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "en", "language of names: en or zh")
	return cmd
}

// source is "shipped" or "uploaded (FORMAT)".
func source(v apiclient.CompliancePolicy) string {
	if v.Shipped {
		return "shipped"
	}
	return "uploaded (" + v.Format + ")"
}

// assignmentCells are the hosts a policy is assigned to ("every host",
// "env=prod", "disabled" or "") and how often they evaluate it.
func assignmentCells(as *store.ComplianceAssignment) (to, every string) {
	if as == nil {
		return "", ""
	}
	to = "every host"
	if len(as.Selector) > 0 {
		to = clikit.FormatLabels(as.Selector)
	}
	if as.Disabled {
		to = "disabled (" + to + ")"
	}
	return to, interval(as.IntervalSeconds)
}

// interval is "daily" for 0 (the collector's default), else "6h", "30m",
// "7d".
func interval(seconds int64) string {
	switch {
	case seconds <= 0:
		return "daily"
	case seconds%86400 == 0:
		return strconv.FormatInt(seconds/86400, 10) + "d"
	case seconds%3600 == 0:
		return strconv.FormatInt(seconds/3600, 10) + "h"
	case seconds%60 == 0:
		return strconv.FormatInt(seconds/60, 10) + "m"
	}
	return strconv.FormatInt(seconds, 10) + "s"
}

// evaluated is "daily" or "every 12h".
func evaluated(seconds int64) string {
	if seconds <= 0 {
		return "daily"
	}
	return "every " + interval(seconds)
}

func (a *app) policyShowCmd() *cobra.Command {
	var lang string
	cmd := &cobra.Command{
		Use:   "show ID [--lang en|zh]",
		Short: "Show a policy: its description, assignment and checks",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if lang, err = parseLang(lang); err != nil {
				return clikit.UsageErr(cmd, "--lang %v", err)
			}
			api, err := a.API()
			if err != nil {
				return err
			}
			d, err := api.CompliancePolicy(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(d)
			}
			return a.showPolicy(d.Value, lang)
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "en", "language of texts: en or zh")
	return cmd
}

func (a *app) showPolicy(d apiclient.CompliancePolicyDetail, lang string) error {
	out := a.Env.Stdout
	now := a.Env.Now()
	f := clikit.NewFields(out)
	f.Add("ID", d.ID)
	f.Add("Name", text(d.Name, lang))
	f.Add("Version", d.Version)
	f.Add("Source", source(d.CompliancePolicy))
	if d.Author != "" {
		f.Add("Author", d.Author)
	}
	f.Add("Digest", d.Digest)
	f.Add("Checks", strconv.Itoa(d.Checks))
	if as := d.Assignment; as != nil {
		to, _ := assignmentCells(as)
		f.Add("Assigned to", to)
		f.Add("Evaluated", evaluated(as.IntervalSeconds)+" (assigned "+clikit.When(now, as.UpdatedAt)+" by "+as.Author+")")
	} else {
		f.Add("Assigned to", "no host (vigil compliance assign "+d.ID+")")
	}
	if err := f.Flush(); err != nil {
		return err
	}
	if desc := strings.TrimSpace(text(d.Description, lang)); desc != "" {
		fmt.Fprintf(out, "\n%s\n", clikit.CleanBlock(desc))
	}
	if len(d.Skipped) > 0 {
		fmt.Fprintf(out, "\nLeft out of the Wazuh SCA file (%d):\n", len(d.Skipped))
		for _, s := range d.Skipped {
			fmt.Fprintf(out, "  %s\n", clikit.Clean(s))
		}
	}
	fmt.Fprintf(out, "\nChecks (%d):\n", len(d.Items))
	t := clikit.NewTable(out, "ID", "SEVERITY", "TITLE")
	for _, c := range d.Items {
		t.Row(c.ID, string(c.Severity), clikit.Truncate(text(c.Title, lang), 90))
	}
	return t.Flush()
}

func (a *app) policyUploadCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "upload FILE [--format vigil|wazuh-sca]",
		Short: "Upload a policy (Vigil's format or a Wazuh SCA file) under the id it declares; - reads stdin",
		Long: `Upload a policy file (- reads stdin), at most 4 MiB, under its policy.id: a
new policy, or a new version of an uploaded one. The center checks it as
vigil policy lint does and refuses it with every problem and its line.
Shipped policies cannot be replaced. Checks of a Wazuh SCA file that cannot be
translated are left out and listed. A new version reaches the hosts the
policy is assigned to with their next agent policy.`,
		Example: `  vigil compliance policies upload acme_baseline.yml
  vigil compliance policies upload cis_debian12_wazuh.yml --format wazuh-sca`,
		Args: clikit.ExactArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(policyFormats, format) {
				return clikit.UsageErr(cmd, "--format %q: want %s", format, strings.Join(policyFormats, " or "))
			}
			data, err := a.readPolicyFile(args[0])
			if err != nil {
				return err
			}
			id, err := policyIDOf(data)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			api, err := a.API()
			if err != nil {
				return err
			}
			sent := format
			if sent == "vigil" {
				sent = "" // the center's default: no parameter
			}
			uploaded, created, err := api.PutCompliancePolicy(cmd.Context(), id, data, sent)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(uploaded)
			}
			v := uploaded.Value
			what := "replaced"
			if created {
				what = "uploaded"
			}
			fmt.Fprintf(a.Env.Stdout, "policy %s %s: version %s, %s (%s)\n", clikit.Clean(v.ID), what, clikit.Clean(v.Version),
				plural(v.Checks, "check"), clikit.Clean(v.Format))
			if len(v.Skipped) > 0 {
				fmt.Fprintf(a.Env.Stdout, "%s of the file left out (cannot be translated):\n", plural(len(v.Skipped), "check"))
				for _, s := range v.Skipped {
					fmt.Fprintf(a.Env.Stdout, "  %s\n", clikit.Clean(s))
				}
			}
			if v.Assignment == nil {
				fmt.Fprintf(a.Env.Stdout, "It is assigned to no host yet: vigil compliance assign %s --selector k=v\n", clikit.Clean(v.ID))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "vigil", "the file's format: vigil or wazuh-sca")
	return cmd
}

// readPolicyFile reads a policy file, or stdin for "-", of at most
// apiclient.MaxCompliancePolicy bytes, the most the center takes.
func (a *app) readPolicyFile(file string) ([]byte, error) {
	var r io.Reader = a.Env.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, apiclient.MaxCompliancePolicy+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(data) > apiclient.MaxCompliancePolicy {
		return nil, fmt.Errorf("%s: larger than %d bytes, the most the center takes", file, apiclient.MaxCompliancePolicy)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, fmt.Errorf("%s: empty", file)
	}
	return data, nil
}

func (a *app) policyDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete an uploaded policy and its assignment; its hosts stop evaluating it",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := a.API()
			if err != nil {
				return err
			}
			if err := api.DeleteCompliancePolicy(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"id": args[0], "deleted": true}, "policy %s deleted", clikit.Clean(args[0]))
		},
	}
}

func (a *app) assignCmd() *cobra.Command {
	var (
		selectors []string
		every     string
	)
	cmd := &cobra.Command{
		Use:   "assign ID [--selector k=v]... [--interval 24h]",
		Short: "Assign a policy to the hosts whose labels match (every host without --selector)",
		Long: `Assign the policy ID to the hosts whose labels match every --selector k=v
(every host without one), replacing its assignment. The hosts evaluate it
every --interval (10m to 30d; daily by default; a host assigned several
policies evaluates them at the shortest interval) and at once on
vigil compliance run. The policy's own requirements still decide whether it
applies to a host's system.`,
		Example: `  vigil compliance assign cis_debian12 --selector env=prod --interval 12h
  vigil compliance assign mlps_level3 --selector mlps=3 --selector site=idc-sh`,
		Args: clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := parseSelector(selectors)
			if err != nil {
				return clikit.UsageErr(cmd, "--selector: %v", err)
			}
			d, err := parseInterval(every)
			if err != nil {
				return clikit.UsageErr(cmd, "--interval %v", err)
			}
			api, err := a.API()
			if err != nil {
				return err
			}
			assigned, err := api.AssignCompliancePolicy(cmd.Context(), args[0], apiclient.ComplianceAssignmentRequest{Selector: sel, Interval: d})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(assigned)
			}
			as := assigned.Value
			n, err := a.countHosts(cmd.Context(), sel)
			if err != nil {
				return err
			}
			to, _ := assignmentCells(&as)
			_, err = fmt.Fprintf(a.Env.Stdout, "policy %s assigned to %s (%s now), evaluated %s\n",
				clikit.Clean(as.PolicyID), clikit.Clean(to), plural(n, "host"), evaluated(as.IntervalSeconds))
			return err
		},
	}
	cmd.Flags().StringArrayVar(&selectors, "selector", nil, "hosts with this label, k=v (repeatable: all must match)")
	cmd.Flags().StringVar(&every, "interval", "", "how often the hosts evaluate it: 10m to 30d (default daily)")
	return cmd
}

// countHosts counts the agents whose labels match sel.
func (a *app) countHosts(ctx context.Context, sel map[string]string) (int, error) {
	api, err := a.API()
	if err != nil {
		return 0, err
	}
	f := store.AgentFilter{Labels: sel}
	list, err := clikit.ListAll(ctx, 0, func(ctx context.Context, p store.Page) (apiclient.Page[apiclient.Agent], error) {
		f.Page = p
		return api.Agents(ctx, f)
	})
	return len(list), err
}

func (a *app) unassignCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unassign ID",
		Short: "Remove a policy's assignment: no host evaluates it any more",
		Args:  clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := a.API()
			if err != nil {
				return err
			}
			if err := api.UnassignCompliancePolicy(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"policy_id": args[0], "unassigned": true}, "policy %s unassigned: no host evaluates it any more", clikit.Clean(args[0]))
		},
	}
}
