// Package policycmd is `vigil policy`: lint compliance policy files and
// check a policy on this host or a root folder, locally, with no
// center.
package policycmd

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/eval/hostfs"
	"github.com/vigilsec/vigil/internal/compliance/policy"
	"github.com/vigilsec/vigil/internal/compliance/policy/sca"
)

// Command returns `vigil policy` with lint and check.
func Command(a *clikit.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Lint compliance policies and check one on this host (local, no center)",
	}
	cmd.AddCommand(lintCmd(a), checkCmd(a))
	return cmd
}

// LintProblem is one problem of `policy lint -o json`.
type LintProblem struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// LintReport is `policy lint -o json`.
type LintReport struct {
	Files    int           `json:"files"`
	Problems []LintProblem `json:"problems"`
}

func lintCmd(a *clikit.App) *cobra.Command {
	var wazuh bool
	cmd := &cobra.Command{
		Use:   "lint FILE|DIR...",
		Short: "Parse and validate policy files; print file:line: reason per problem",
		Long: `lint reads each policy file (a folder: its *.yml and *.yaml files, recursively)
as vigil-center and the agent would, and prints every problem as
file:line: field: reason. The exit status is 1 when any file has a problem.
With --sca the files are Wazuh SCA policies.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return clikit.UsageErr(cmd, "policy lint wants at least one FILE or DIR")
			}
			files, err := policyFiles(args)
			if err != nil {
				return err
			}
			rep := LintReport{Problems: []LintProblem{}}
			for _, f := range files {
				rep.Files++
				rep.Problems = append(rep.Problems, lintFile(f, wazuh)...)
			}
			if a.JSON() {
				if err := a.PrintJSON(rep); err != nil {
					return err
				}
			} else {
				for _, p := range rep.Problems {
					fmt.Fprintln(a.Env.Stdout, (&policy.Problem{File: p.File, Line: p.Line, Field: p.Field, Reason: p.Reason}).Error())
				}
			}
			if len(rep.Problems) > 0 {
				return clikit.Exitf("%d problems in %d files", len(rep.Problems), rep.Files)
			}
			if !a.JSON() {
				fmt.Fprintf(a.Env.Stdout, "%d files, no problems\n", rep.Files)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&wazuh, "sca", false, "the files are Wazuh SCA policies")
	return cmd
}

// policyFiles expands folders into their policy files, sorted.
func policyFiles(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, arg)
			continue
		}
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readPolicy(path string, wazuh bool) (*policy.Policy, []*policy.Problem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if wazuh {
		p, skipped, err := sca.Parse(path, data)
		return p, skipped, err
	}
	p, err := policy.Parse(path, data)
	return p, nil, err
}

func lintFile(path string, wazuh bool) []LintProblem {
	_, skipped, err := readPolicy(path, wazuh)
	var out []LintProblem
	problems := append(policy.Problems(err), skipped...)
	if err != nil && len(problems) == 0 {
		return []LintProblem{{File: path, Reason: err.Error()}}
	}
	for _, p := range problems {
		out = append(out, LintProblem{File: path, Line: p.Line, Field: p.Field, Reason: p.Reason})
	}
	return out
}

func checkCmd(a *clikit.App) *cobra.Command {
	var root, commands string
	var wazuh bool
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Evaluate a policy on this host (or a root folder) and print the results",
		Long: `check evaluates the policy FILE read-only as the agent does and prints every
check's status with the evidence of failures and errors, the counts and the
score. On this host (no --root) the allowed commands run; with --root DIR the
files are read below DIR and commands are answered only from --commands FILE
(a YAML map of command line to stdout, stderr, exit), else they are errors.`,
		Args: clikit.ExactArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, skipped, err := readPolicy(args[0], wazuh)
			if problems := policy.Problems(err); len(problems) > 0 {
				for _, pr := range problems {
					fmt.Fprintln(a.Env.Stderr, pr.Error())
				}
				return clikit.Exitf("%s: %d problems", args[0], len(problems))
			}
			if err != nil {
				return err
			}
			for _, s := range skipped {
				fmt.Fprintf(a.Env.Stderr, "vigil: %s (check left out)\n", s.Error())
			}
			env := eval.Env{}
			if root != "" && root != "/" {
				fsys, err := hostfs.NewAt(root)
				if err != nil {
					return err
				}
				env.Root = fsys.Root()
			} else {
				env.Runner = eval.ExecRunner{}
			}
			if commands != "" {
				rec, err := eval.LoadRecorded(commands)
				if err != nil {
					return err
				}
				env.Runner = rec
			}
			rep := eval.Run(cmd.Context(), p, env)
			if a.JSON() {
				return a.PrintJSON(rep)
			}
			printReport(a, p, &rep)
			return nil
		},
	}
	cmd.Flags().StringVar(&root, "root", "", "evaluate the host whose files are below this folder (default: this host)")
	cmd.Flags().StringVar(&commands, "commands", "", "answer commands from this YAML file of recorded outputs")
	cmd.Flags().BoolVar(&wazuh, "sca", false, "the file is a Wazuh SCA policy")
	return cmd
}

func printReport(a *clikit.App, p *policy.Policy, rep *eval.Report) {
	w := tabwriter.NewWriter(a.Env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STATUS\tCHECK\tTITLE")
	for _, r := range rep.Results {
		title := ""
		if c := p.Check(r.ID); c != nil {
			title = c.Title.En
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", r.Status, clikit.Clean(r.ID), clikit.Clean(title))
	}
	w.Flush()
	for _, r := range rep.Results {
		if r.Status != eval.Fail && r.Status != eval.Error {
			continue
		}
		fmt.Fprintf(a.Env.Stdout, "\n%s %s", r.Status, clikit.Clean(r.ID))
		if r.Reason != "" {
			fmt.Fprintf(a.Env.Stdout, ": %s", clikit.Clean(r.Reason))
		}
		fmt.Fprintln(a.Env.Stdout)
		for _, rr := range r.Rules {
			fmt.Fprintf(a.Env.Stdout, "  rule %d %s: %s", rr.Index, rr.Type, rr.Result)
			if rr.Error != "" {
				fmt.Fprintf(a.Env.Stdout, " (%s)", clikit.Clean(rr.Error))
			}
			fmt.Fprintln(a.Env.Stdout)
			for _, e := range rr.Evidence {
				fmt.Fprintf(a.Env.Stdout, "    %s\n", clikit.Clean(e))
			}
		}
	}
	c := rep.Counts
	score := "n/a"
	if rep.Score != nil {
		score = fmt.Sprintf("%.1f%%", *rep.Score)
	}
	if !rep.Applicable {
		fmt.Fprintln(a.Env.Stdout, "\nthe policy's requirements do not hold on this host")
	}
	fmt.Fprintf(a.Env.Stdout, "\n%d checks: %d pass, %d fail, %d error, %d not applicable; score %s (%s)\n",
		c.Total, c.Pass, c.Fail, c.Error, c.NotApplicable, score, rep.Duration.Round(1e6))
}
