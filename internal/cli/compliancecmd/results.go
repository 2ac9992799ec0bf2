package compliancecmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) resultsCmd() *cobra.Command {
	var (
		agentID, policyID, checkID, status, severity, query, lang string
		evidence                                                  bool
		limit                                                     int
	)
	cmd := &cobra.Command{
		Use:   "results [--agent ID] [--policy ID] [--status S] [--severity S] [-q TEXT] [--check ID] [--lang en|zh] [--evidence]",
		Short: "List check results per host, with titles in English or Chinese and, with --evidence, what decided them",
		Long: `List the results of the checks on the hosts: pass, fail, error (a rule could not
be evaluated), n/a (not applicable) or excepted (a failure an exception
accepts). -q matches the check ID and its titles. --evidence writes each result
with its reason, the exception that covers it, every rule's result and its
evidence (the file and line, the value, the command's output) and, for a
failure or an error, the remediation.`,
		Example: `  vigil compliance results --agent 7f3c9a --status fail
  vigil compliance results --policy mlps_level3 --severity high --lang zh
  vigil compliance results --check cis_debian12.5.1.20 --evidence`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := parseStatus(status)
			if err != nil {
				return clikit.UsageErr(cmd, "--status %v", err)
			}
			sev, err := parseSeverity(severity)
			if err != nil {
				return clikit.UsageErr(cmd, "--severity %v", err)
			}
			if lang, err = parseLang(lang); err != nil {
				return clikit.UsageErr(cmd, "--lang %v", err)
			}
			if limit < 0 {
				return clikit.UsageErr(cmd, "--limit %d: want 0 (all) or more", limit)
			}
			f := apiclient.ComplianceResultFilter{AgentID: agentID, PolicyID: policyID, CheckID: checkID, Status: s, Severity: sev, Q: query}
			results, err := list(a, cmd.Context(), limit, func(api *apiclient.Client, ctx context.Context, p store.Page) (page[apiclient.ComplianceResult], error) {
				f.Page = p
				return api.ComplianceResults(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(results)
			}
			if evidence {
				a.writeResults(results, lang)
				return nil
			}
			t := clikit.NewTable(a.Env.Stdout, "HOST", "POLICY", "CHECK", "STATUS", "SEVERITY", "TITLE")
			for _, raw := range results {
				r := raw.Value
				t.Row(host(r.Hostname, r.AgentID), r.PolicyID, r.CheckID, statusCell(r.Status), r.Severity, clikit.Truncate(title(r.Check, lang), 70))
			}
			return t.Flush()
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&agentID, "agent", "", "only results on this agent ID")
	fs.StringVar(&policyID, "policy", "", "only results of this policy ID")
	fs.StringVar(&checkID, "check", "", "only results of this check ID")
	fs.StringVar(&status, "status", "", "only results of this status: pass, fail, error, not_applicable (n/a) or excepted")
	fs.StringVar(&severity, "severity", "", "only checks of this severity: critical, high, medium or low")
	fs.StringVarP(&query, "query", "q", "", "only checks whose ID or title contains this text")
	fs.StringVar(&lang, "lang", "en", "language of titles and texts: en or zh")
	fs.BoolVar(&evidence, "evidence", false, "write each result with its reason, exception, rules and evidence")
	fs.IntVar(&limit, "limit", store.DefaultLimit, "list at most this many (0: all)")
	return cmd
}

// writeResults writes results one block each: the host, check, status
// and severity, the title, then what decided the status.
func (a *app) writeResults(results []apiclient.Raw[apiclient.ComplianceResult], lang string) {
	out := a.Env.Stdout
	now := a.Env.Now()
	if len(results) == 0 {
		fmt.Fprintln(out, "No results.")
		return
	}
	for i, raw := range results {
		r := raw.Value
		if i > 0 {
			fmt.Fprintln(out)
		}
		head := hostAndID(r.Hostname, r.AgentID) + "  " + r.CheckID + "  " + statusCell(r.Status)
		if r.Severity != "" {
			head += "  " + r.Severity
		}
		fmt.Fprintln(out, clikit.Clean(head))
		if t := title(r.Check, lang); t != "" {
			fmt.Fprintf(out, "  %s\n", clikit.Clean(t))
		}
		fmt.Fprintf(out, "  Policy %s %s, result last changed %s\n", clikit.Clean(r.PolicyID), clikit.Clean(r.PolicyVersion), clikit.When(now, r.UpdatedAt))
		if r.Reason != "" {
			fmt.Fprintf(out, "  Reason: %s\n", clikit.Clean(r.Reason))
		}
		if e := r.Exception; e != nil {
			fmt.Fprintf(out, "  Excepted by %s: %s (expires: %s)\n", clikit.Clean(e.ID), clikit.Clean(e.Reason), expiry(now, e.ExpiresAt))
		}
		writeEvidence(out, r.Evidence)
		if r.Check != nil && (r.Status == "fail" || r.Status == "error") {
			writeText(out, "Remediation", text(r.Check.Remediation, lang))
		}
	}
}

// writeText writes "  Label: text" with the text's further lines
// indented below it; nothing for an empty text.
func writeText(out io.Writer, label, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	lines := strings.Split(clikit.CleanBlock(text), "\n")
	fmt.Fprintf(out, "  %s: %s\n", label, strings.TrimSpace(lines[0]))
	for _, l := range lines[1:] {
		fmt.Fprintf(out, "    %s\n", strings.TrimSpace(l))
	}
}
