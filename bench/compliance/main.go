// Command compliance measures a full evaluation of the shipped CIS
// Debian 12 policy on this host (wall and CPU time, peak RSS,
// allocations; each run in a child process of its own) and sets
// Lynis's verdicts beside Vigil's on the controls both cover, with the
// time Lynis takes for its own audit of the same host.
//
//	go run ./bench/compliance --runs 5                      # Vigil's figures only
//	go run ./bench/compliance --runs 5 --lynis              # run Lynis too and compare
//	go run ./bench/compliance --lynis --sshd --keep DIR     # with a loopback sshd, keep the outputs
//	go run ./bench/compliance --lynis-report /var/log/lynis-report.dat --lynis-log /var/log/lynis.log
//	go run ./bench/compliance --table                       # the mapping table, in Markdown
//
// Nothing is asserted: read the figures and the differences.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/vigilsec/vigil/bench/compliance/compare"
	"github.com/vigilsec/vigil/bench/compliance/lynis"
	"github.com/vigilsec/vigil/bench/compliance/measure"
	"github.com/vigilsec/vigil/internal/compliance/eval"
)

// options are the command's flags.
type options struct {
	root, lynisProgram, sshdProgram string
	lynisReport, lynisLog, keep     string
	output                          string
	runs                            int
	runLynis, sshd, child, table    bool
}

func main() {
	var o options
	flag.StringVar(&o.root, "root", "/", "the host to evaluate: / or a folder holding a host's files")
	flag.IntVar(&o.runs, "runs", 5, "evaluations of the policy, each in a child process")
	flag.BoolVar(&o.runLynis, "lynis", false, "run `lynis audit system --quick --no-colors` and compare")
	flag.StringVar(&o.lynisProgram, "lynis-program", "lynis", "the lynis program")
	flag.StringVar(&o.lynisReport, "lynis-report", "", "compare with this lynis-report.dat instead of running Lynis")
	flag.StringVar(&o.lynisLog, "lynis-log", "", "the lynis.log of that report (default: lynis.log beside it, when there)")
	flag.BoolVar(&o.sshd, "sshd", false, "run an sshd on a loopback port during the Lynis audit, so that Lynis runs its SSH tests")
	flag.StringVar(&o.sshdProgram, "sshd-program", "/usr/sbin/sshd", "the sshd program for --sshd")
	flag.StringVar(&o.keep, "keep", "", "keep Lynis's report, log and output and Vigil's reports in this folder")
	flag.StringVar(&o.output, "o", "text", "output: text or json")
	flag.BoolVar(&o.table, "table", false, "print the mapping table (Lynis test, CIS check, how each is read) as Markdown and exit")
	flag.BoolVar(&o.child, "child", false, "internal: evaluate once and print the figures as JSON")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case o.table:
		err = compare.WriteMarkdownTable(os.Stdout, compare.Rows())
	case o.child:
		err = measure.EvalChild(ctx, compare.PolicyID, o.root, os.Stdout)
	default:
		err = run(ctx, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compliance bench:", err)
		os.Exit(1)
	}
}

// output is the JSON form of a run.
type output struct {
	Runs    []measure.EvalRun   `json:"runs"`
	Summary measure.EvalSummary `json:"summary"`
	Lynis   *measure.LynisRun   `json:"lynis,omitempty"`
	Compare *compare.Result     `json:"compare,omitempty"`
}

func run(ctx context.Context, o options) error {
	if o.runs < 1 {
		return fmt.Errorf("--runs %d: at least 1", o.runs)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var out output
	for i := 0; i < o.runs; i++ {
		r, err := measure.EvalInChild(ctx, self, []string{"--child", "--root", o.root})
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		out.Runs = append(out.Runs, r)
	}
	out.Summary = measure.Summarize(out.Runs)
	audit, err := lynisAudit(ctx, o, &out)
	if err != nil {
		return err
	}
	if audit != nil {
		full := &out.Runs[0].Stats.Report
		scoped, err := scopedReport(ctx, o.root)
		if err != nil {
			return err
		}
		res := compare.Compare(compare.Rows(), audit, full, scoped)
		out.Compare = &res
		if o.keep != "" {
			if err := keepReports(o.keep, full, scoped); err != nil {
				return err
			}
		}
	}
	if o.output == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(&out)
	}
	fmt.Printf("%s (%d checks) on %s, %d runs, each in a child process:\n\n", compare.PolicyID, out.Summary.Checks, o.root, o.runs)
	measure.WriteEvalRuns(os.Stdout, out.Runs)
	if out.Lynis != nil {
		fmt.Println()
		measure.WriteLynis(os.Stdout, *out.Lynis)
	}
	if out.Compare != nil {
		fmt.Println()
		return compare.WriteText(os.Stdout, out.Compare)
	}
	return nil
}

// lynisAudit runs Lynis (--lynis) or reads its report (--lynis-report);
// nil when neither is asked.
func lynisAudit(ctx context.Context, o options, out *output) (*lynis.Audit, error) {
	if o.lynisReport != "" {
		logPath := o.lynisLog
		if logPath == "" {
			if p := filepath.Join(filepath.Dir(o.lynisReport), "lynis.log"); fileExists(p) {
				logPath = p
			}
		}
		return lynis.ReadAudit(o.lynisReport, logPath)
	}
	if !o.runLynis {
		return nil, nil
	}
	if o.root != "/" {
		return nil, fmt.Errorf("--lynis audits this host: use it with --root /")
	}
	dir := o.keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "vigil-bench-lynis-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if o.sshd {
		s, err := measure.StartSSHD(ctx, o.sshdProgram)
		if err != nil {
			return nil, err
		}
		defer s.Stop()
		fmt.Fprintf(os.Stderr, "sshd listening on %s for the Lynis audit\n", s.Addr)
	}
	fmt.Fprintln(os.Stderr, "running lynis audit system --quick (a few minutes)...")
	r, err := measure.RunLynis(ctx, o.lynisProgram, dir)
	if err != nil {
		return nil, err
	}
	out.Lynis = &r
	return r.Audit, nil
}

// scopedReport evaluates the part of each CIS check that Lynis covers.
func scopedReport(ctx context.Context, root string) (*eval.Report, error) {
	p, err := measure.LoadShipped(compare.PolicyID)
	if err != nil {
		return nil, err
	}
	sp, err := compare.ScopedPolicy(p, compare.Rows())
	if err != nil {
		return nil, err
	}
	env, err := measure.Env(root)
	if err != nil {
		return nil, err
	}
	rep := eval.Run(ctx, sp, env)
	return &rep, nil
}

// keepReports writes Vigil's two reports beside Lynis's files.
func keepReports(dir string, full, scoped *eval.Report) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, rep := range map[string]*eval.Report{"vigil.json": full, "vigil-scoped.json": scoped} {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(data, '\n'), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
