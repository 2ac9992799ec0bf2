package rulecmd

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/detect/engine"
	"github.com/vigilsec/vigil/internal/detect/ruleset"
)

// localSource names the rules of a folder lint and test load.
const localSource = "local"

// loadFolder loads the rules of dir as the center loads its own.
func loadFolder(cmd *cobra.Command, dir string) (*ruleset.RuleSet, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, clikit.UsageErr(cmd, "%s is not a folder", dir)
	}
	return ruleset.Load([]ruleset.Source{{Name: localSource, FS: os.DirFS(dir), Root: "."}}, ruleset.Options{}), nil
}

// logsourceLabel names a log source as the rule engine does:
// product/category/service, leaving out the parts that are empty.
func logsourceLabel(product, category, service string) string {
	return (&engine.LogsourceMapping{Product: product, Category: category, Service: service}).Label()
}

// Labels of what has no log source of its own.
const (
	correlationLabel = "(correlation)"
	unknownLabel     = "(unreadable)"
)

// LogsourceCount is one line of the lint summary.
type LogsourceCount struct {
	Logsource string `json:"logsource"`
	Loaded    int    `json:"loaded"`
	NotLoaded int    `json:"not_loaded"`
}

// LintReport is what `rules lint` finds.
type LintReport struct {
	Dir        string             `json:"dir"`
	Loaded     int                `json:"loaded"`
	Problems   []apitypes.Problem `json:"problems"`
	Logsources []LogsourceCount   `json:"logsources"`
	byLabel    map[string]*LogsourceCount
}

func (r *LintReport) count(label string, loaded bool) {
	c := r.byLabel[label]
	if c == nil {
		c = &LogsourceCount{Logsource: label}
		r.byLabel[label] = c
	}
	if loaded {
		c.Loaded++
	} else {
		c.NotLoaded++
	}
}

// lint loads dir and sorts what loaded and what did not by log source.
func lint(rs *ruleset.RuleSet, dir string) *LintReport {
	rep := &LintReport{Dir: dir, Problems: []apitypes.Problem{}, byLabel: map[string]*LogsourceCount{}}
	for _, r := range rs.Rules {
		rep.Loaded++
		label := correlationLabel
		switch r.Kind {
		case ruleset.KindDetection:
			label = logsourceLabel(r.Logsource.Product, r.Logsource.Category, r.Logsource.Service)
		case ruleset.KindFilter:
			label = "(meta filter)"
		}
		rep.count(label, true)
	}
	files := map[string][]byte{}
	for _, p := range rs.Problems {
		data, ok := files[p.File]
		if !ok {
			data, _ = os.ReadFile(filepath.Join(dir, filepath.FromSlash(p.File)))
			files[p.File] = data
		}
		rep.count(logsourceAt(data, p.Line), false)
		rep.Problems = append(rep.Problems, apitypes.Problem{
			Source: p.Source, File: filepath.Join(dir, filepath.FromSlash(p.File)), Line: p.Line,
			RuleID: p.RuleID, Title: p.Title, Reason: p.Reason,
		})
	}
	for _, k := range slices.Sorted(maps.Keys(rep.byLabel)) {
		rep.Logsources = append(rep.Logsources, *rep.byLabel[k])
	}
	return rep
}

// logsourceAt returns the log source of the YAML document of a rule
// file that holds line: the problem's rule, even one the rule parser
// could not read. A file that is not YAML up to there is unreadable.
func logsourceAt(data []byte, line int) string {
	label := unknownLabel
	if line <= 0 {
		return label
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return label
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Line > line {
			return label
		}
		label = documentLabel(root)
	}
}

// documentLabel names the log source of a parsed rule document.
func documentLabel(root *yaml.Node) string {
	if root.Kind != yaml.MappingNode {
		return unknownLabel
	}
	var ls map[string]string
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "correlation":
			return correlationLabel
		case "logsource":
			ls = map[string]string{}
			m := root.Content[i+1]
			for j := 0; m.Kind == yaml.MappingNode && j+1 < len(m.Content); j += 2 {
				ls[m.Content[j].Value] = m.Content[j+1].Value
			}
		}
	}
	return logsourceLabel(ls["product"], ls["category"], ls["service"])
}

func (a *app) lintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint DIR",
		Short: "Load a folder of Sigma rules as the center would and report every rule it cannot load (no center needed)",
		Long: `Load the .yml and .yaml files under DIR (rule tests, *.test.yml, and hidden
folders left out) as the center loads rules, print every rule or file that
cannot be loaded as "file:line: rule ID (title): reason", and count the rules
loaded and not loaded per log source. The exit status is 1 when any cannot be
loaded. It needs no center.`,
		Args: clikit.ExactArgs("DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := loadFolder(cmd, args[0])
			if err != nil {
				return err
			}
			rep := lint(rs, args[0])
			if a.JSON() {
				if err := a.PrintJSON(rep); err != nil {
					return err
				}
			} else if err := a.printLint(rep); err != nil {
				return err
			}
			if len(rep.Problems) > 0 {
				return clikit.Exitf("%d rules or files under %s cannot be loaded", len(rep.Problems), args[0])
			}
			return nil
		},
	}
}

func (a *app) printLint(rep *LintReport) error {
	out := a.Env.Stdout
	printProblems(out, rep.Problems, false)
	if len(rep.Problems) > 0 {
		fmt.Fprintln(out)
	}
	t := clikit.NewTable(out, "LOG SOURCE", "LOADED", "NOT LOADED")
	for _, c := range rep.Logsources {
		t.Row(c.Logsource, fmt.Sprint(c.Loaded), fmt.Sprint(c.NotLoaded))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "\n%d rules loaded, %d not loaded\n", rep.Loaded, len(rep.Problems))
	return err
}

// TestReport is what `rules test` finds.
type TestReport struct {
	Dir     string       `json:"dir"`
	Cases   int          `json:"cases"`
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	Results []TestResult `json:"results"`
}

// TestResult is one case of a rule test file.
type TestResult struct {
	File  string         `json:"file"`
	Line  int            `json:"line,omitempty"`
	Case  string         `json:"case,omitempty"`
	Fired map[string]int `json:"fired,omitempty"`
	Error string         `json:"error,omitempty"`
}

func (a *app) testCmd() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test DIR",
		Short: "Run the rule tests (*.test.yml) of a folder against its rules (no center needed)",
		Long: `Load the rules under DIR as the center would and run every case of the
rule test files (*.test.yml) beside them: each case's events go through every
rule, and the alerts they raise must be the ones the case expects, no more.
Failures are printed as "file:line: case NAME: what went wrong"; the exit
status is 1 when any case fails. It needs no center.`,
		Args: clikit.ExactArgs("DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			rs, err := loadFolder(cmd, dir)
			if err != nil {
				return err
			}
			rep := TestReport{Dir: dir, Results: []TestResult{}}
			for _, r := range ruleset.RunTests(rs, os.DirFS(dir), ".") {
				res := TestResult{File: filepath.Join(dir, filepath.FromSlash(r.File)), Line: r.Line, Case: r.Case, Fired: r.Fired}
				rep.Cases++
				if r.Err != nil {
					res.Error = r.Err.Error()
					rep.Failed++
				} else {
					rep.Passed++
				}
				rep.Results = append(rep.Results, res)
			}
			if rep.Cases == 0 {
				return clikit.Exitf("no rule tests (*%s) under %s", ruleset.TestSuffix, dir)
			}
			if a.JSON() {
				if err := a.PrintJSON(rep); err != nil {
					return err
				}
			} else if err := a.printTests(rep, verbose); err != nil {
				return err
			}
			if n := len(rs.Problems); n > 0 {
				fmt.Fprintf(a.Env.Stderr, "vigil: note: %d rules or files under %s cannot be loaded (see vigil rules lint %s)\n", n, dir, dir)
			}
			if rep.Failed > 0 {
				return clikit.Exitf("%d of %d rule test cases failed", rep.Failed, rep.Cases)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also list the cases that pass")
	return cmd
}

func (a *app) printTests(rep TestReport, verbose bool) error {
	out := a.Env.Stdout
	for _, r := range rep.Results {
		where := r.File
		if r.Line > 0 {
			where += fmt.Sprintf(":%d", r.Line)
		}
		name := ""
		if r.Case != "" {
			name = " case " + r.Case + ":"
		}
		switch {
		case r.Error != "":
			fmt.Fprintln(out, clikit.Clean(fmt.Sprintf("FAIL %s:%s %s", where, name, r.Error)))
		case verbose:
			fmt.Fprintln(out, clikit.Clean(fmt.Sprintf("ok   %s:%s", where, strings.TrimSuffix(name, ":"))))
		}
	}
	_, err := fmt.Fprintf(out, "%d cases: %d passed, %d failed\n", rep.Cases, rep.Passed, rep.Failed)
	return err
}
