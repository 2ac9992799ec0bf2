package intelcmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

// entryFlags are the flags that describe the entries of an add or an
// import.
type entryFlags struct {
	severity   string
	confidence int
	tags       []string
	expiresIn  string
}

// bind adds the flags to cmd.
func (e *entryFlags) bind(cmd *cobra.Command, defaults string) {
	fs := cmd.Flags()
	fs.StringVar(&e.severity, "severity", "", "severity: low, medium, high or critical"+defaults+" (default "+intel.DefaultSeverity+")")
	fs.IntVar(&e.confidence, "confidence", intel.DefaultConfidence, "confidence, 0 to 100"+defaults)
	fs.StringArrayVar(&e.tags, "tag", nil, "a tag (repeat for more)")
	fs.StringVar(&e.expiresIn, "expires-in", "", "stop matching after this long (720h, 30d)"+defaults+"; default never")
}

// confidencePtr is --confidence when given, else nil (the center's
// default).
func (e *entryFlags) confidencePtr(cmd *cobra.Command) (*int, error) {
	if !cmd.Flags().Changed("confidence") {
		return nil, nil
	}
	if e.confidence < 0 || e.confidence > 100 {
		return nil, clikit.UsageErr(cmd, "--confidence %d: want 0 to 100", e.confidence)
	}
	n := e.confidence
	return &n, nil
}

// expiry is --expires-in, zero when not given.
func (e *entryFlags) expiry(cmd *cobra.Command) (time.Duration, error) {
	if e.expiresIn == "" {
		return 0, nil
	}
	v, err := clikit.ParseDuration(e.expiresIn)
	if err != nil || v <= 0 {
		return 0, clikit.UsageErr(cmd, "--expires-in %q: want a positive duration such as 720h or 30d", e.expiresIn)
	}
	return v, nil
}

func (a *app) addCmd() *cobra.Command {
	var (
		source, description, reference string
		typ                            store.IndicatorType
		techniques                     []string
		ef                             entryFlags
	)
	cmd := &cobra.Command{
		Use:   "add VALUE...",
		Short: "Add or update indicators one by one; they match at once",
		Long: `Add indicators to the source --source ("manual" unless named), each VALUE
with the same type, severity, confidence, tags, techniques, description,
reference and expiry. The type is detected from each value unless --type
gives it; values are normalized by the center (refanged: hxxp and [.] are
undone; lower-cased; networks masked). Adding a value the source already
holds updates it. Prints what was added and updated and why each value
that was not taken was refused; the exit status is 1 when none was taken.`,
		Example: `  vigil intel add 203.0.113.9 198.51.100.0/24 --severity high --tag c2 --technique T1071
  vigil intel add 'evil[.]example' --description "phishing kit host" --expires-in 30d`,
		Args: clikit.MinArgs(1, "at least one VALUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			confidence, err := ef.confidencePtr(cmd)
			if err != nil {
				return err
			}
			d, err := ef.expiry(cmd)
			if err != nil {
				return err
			}
			ins := make([]apiclient.IndicatorInput, len(args))
			for i, v := range args {
				ins[i] = apiclient.IndicatorInput{Type: typ, Value: v, Description: description, Severity: ef.severity,
					Confidence: confidence, Tags: ef.tags, Techniques: techniques, Reference: reference}
				if d > 0 {
					ins[i].ExpiresAt = a.Env.Now().Add(d).UTC()
				}
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			res, err := c.AddIndicators(cmd.Context(), source, ins)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(res)
			}
			name := source
			if name == "" {
				name = res.Value.Source
			}
			printResult(a.Env.Stdout, "source "+name, res.Value, false, func(p intel.Problem) string { return entryName(p, args) })
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&source, "source", "manual", "the source the indicators belong to")
	fs.Var(typeFlag{&typ}, "type", "the values' type: "+typeNames()+" (default: detected)")
	fs.StringVar(&description, "description", "", "what the indicators stand for")
	fs.StringVar(&reference, "reference", "", "a URL about the indicators")
	fs.StringArrayVar(&techniques, "technique", nil, "an ATT&CK technique id, T1071 (repeat for more)")
	ef.bind(cmd, "")
	return cmd
}

// entryName names the entry of a problem of an add: the value given and
// its place among the values ("evil.example (value 2)").
func entryName(p intel.Problem, values []string) string {
	index := strings.TrimSuffix(strings.TrimPrefix(p.Entry, "indicators["), "]")
	if i, err := strconv.Atoi(index); err == nil && i >= 0 && i < len(values) {
		return fmt.Sprintf("%s (value %d)", values[i], i+1)
	}
	return problemPlace(p)
}

// problemPlace is where a problem of an import is: "line 4", the
// entry, or both.
func problemPlace(p intel.Problem) string {
	switch {
	case p.Line > 0 && p.Entry != "":
		return fmt.Sprintf("line %d (%s)", p.Line, p.Entry)
	case p.Line > 0:
		return fmt.Sprintf("line %d", p.Line)
	case p.Entry != "":
		return p.Entry
	}
	return "file"
}

// printResult writes what an add or an import did, under label, then
// each problem where place says it is.
func printResult(w io.Writer, label string, res intel.ImportResult, removed bool, place func(intel.Problem) string) {
	line := fmt.Sprintf("%s: %d read, %d added, %d updated", label, res.Read, res.Added, res.Updated)
	if removed {
		line += fmt.Sprintf(", %d removed", res.Removed)
	}
	line += fmt.Sprintf(", %d skipped", res.Skipped)
	fmt.Fprintln(w, clikit.Clean(line))
	for _, p := range res.Problems {
		fmt.Fprintln(w, "  "+clikit.Clean(place(p)+": "+p.Reason))
	}
}
