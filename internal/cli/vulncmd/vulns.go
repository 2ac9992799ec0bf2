package vulncmd

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

func (a *app) vulnsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "vulns",
		Aliases: []string{"vuln", "vulnerabilities"},
		Short:   "Vulnerabilities of the hosts' packages and libraries: by finding, host or CVE, and their fixes",
	}
	cmd.AddCommand(a.listCmd(), a.hostsCmd(), a.cvesCmd(), a.showCmd(), a.patchesCmd())
	return clikit.Group(cmd)
}

// severities are the severities of findings, most severe first.
var severities = []string{"critical", "high", "medium", "low", "none", "unknown"}

// findingFlags are the filters of the findings listings.
type findingFlags struct {
	f        store.VulnFindingFilter
	severity string
	limit    int
}

// bind adds the filters to fs; listing adds --limit.
func (ff *findingFlags) bind(fs *pflag.FlagSet, listing bool) {
	fs.StringVar(&ff.f.AgentID, "agent", "", "only findings on this agent ID")
	fs.StringVar(&ff.f.VulnID, "vuln", "", "only this vulnerability (CVE-2023-5363, or an advisory id)")
	fs.StringVar(&ff.f.Package, "package", "", "only this package or library (exact name)")
	fs.StringVar(&ff.f.Ecosystem, "ecosystem", "", "only this ecosystem (Debian:12, Maven, PyPI ...)")
	fs.StringVar(&ff.severity, "severity", "", "only these severities: critical,high,medium,low,none,unknown")
	fs.BoolVar(&ff.f.KnownExploited, "kev", false, "only vulnerabilities known to be exploited (CISA KEV)")
	fs.BoolVar(&ff.f.Running, "running", false, "only findings whose program runs")
	fs.BoolVar(&ff.f.Fixable, "fixable", false, "only findings with a known fixed version")
	fs.StringVarP(&ff.f.Q, "query", "q", "", "only findings whose vulnerability, advisories, package or summary contain this text")
	if listing {
		fs.IntVar(&ff.limit, "limit", store.DefaultLimit, "list at most this many (0: all)")
	}
}

// filter returns the filter, checking --severity.
func (ff *findingFlags) filter(cmd *cobra.Command) (store.VulnFindingFilter, error) {
	f := ff.f
	sevs, err := parseSeverities(ff.severity)
	if err != nil {
		return f, clikit.UsageErr(cmd, "--severity %v", err)
	}
	f.Severities = sevs
	return f, nil
}

// parseSeverities reads "critical,high": known severities separated by
// commas, blanks ignored, each once.
func parseSeverities(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		sev := strings.ToLower(strings.TrimSpace(part))
		if !slices.Contains(severities, sev) {
			return nil, fmt.Errorf("%q: want %s, separated by commas", strings.TrimSpace(part), strings.Join(severities, ", "))
		}
		if !slices.Contains(out, sev) {
			out = append(out, sev)
		}
	}
	return out, nil
}

func (a *app) listCmd() *cobra.Command {
	var ff findingFlags
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List findings: one vulnerability of one package or library on one host, most severe first",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := ff.filter(cmd)
			if err != nil {
				return err
			}
			findings, err := a.findings(cmd.Context(), f, ff.limit)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(findings)
			}
			t := clikit.NewTable(a.Env.Stdout, "HOST", "VULN", "SEVERITY", "SCORE", "KEV", "PACKAGE", "VERSION", "FIXED", "IN USE", "SUMMARY")
			for _, v := range findings {
				t.Row(host(v.Hostname, v.AgentID), v.VulnID, v.Severity, score(v.Score), yes(v.KnownExploited),
					clikit.Truncate(v.Package, 40), clikit.Truncate(v.Version, 28), clikit.Truncate(v.FixedVersion, 28),
					inUse(v.Running, v.Listening), clikit.Truncate(v.Summary, 50))
			}
			return t.Flush()
		},
	}
	ff.bind(cmd.Flags(), true)
	return cmd
}

// findings lists up to limit findings matching f (0: all).
func (a *app) findings(ctx context.Context, f store.VulnFindingFilter, limit int) ([]apiclient.VulnFinding, error) {
	c, err := a.API()
	if err != nil {
		return nil, err
	}
	return clikit.ListAll(ctx, limit, func(ctx context.Context, p store.Page) (apiclient.Page[apiclient.VulnFinding], error) {
		f.Page = p
		return c.Vulns(ctx, f)
	})
}

func (a *app) hostsCmd() *cobra.Command {
	var agentID string
	cmd := &cobra.Command{
		Use:   "hosts",
		Short: "Findings counted per host by severity, riskiest first",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			hosts, err := c.VulnHosts(cmd.Context(), agentID)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(hosts)
			}
			t := clikit.NewTable(a.Env.Stdout, "HOST", "AGENT", "CRITICAL", "HIGH", "MEDIUM", "LOW", "OTHER", "KEV", "FIXABLE", "TOTAL")
			for _, h := range hosts {
				t.Row(host(h.Hostname, h.AgentID), h.AgentID, strconv.Itoa(h.Critical), strconv.Itoa(h.High), strconv.Itoa(h.Medium),
					strconv.Itoa(h.Low), strconv.Itoa(h.Other), strconv.Itoa(h.KnownExploited), strconv.Itoa(h.Fixable), strconv.Itoa(h.Total))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&agentID, "agent", "", "only this agent ID")
	return cmd
}

func (a *app) cvesCmd() *cobra.Command {
	var ff findingFlags
	cmd := &cobra.Command{
		Use:     "cves",
		Aliases: []string{"summary"},
		Short:   "Vulnerabilities across the fleet, each with the number of hosts it affects",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := ff.filter(cmd)
			if err != nil {
				return err
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			vulns, err := clikit.ListAll(cmd.Context(), ff.limit, func(ctx context.Context, p store.Page) (apiclient.Page[store.VulnSummary], error) {
				f.Page = p
				return c.VulnSummaries(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(vulns)
			}
			t := clikit.NewTable(a.Env.Stdout, "VULN", "SEVERITY", "SCORE", "KEV", "HOSTS", "FIXABLE", "PACKAGES", "SUMMARY")
			for _, v := range vulns {
				t.Row(v.VulnID, v.Severity, score(v.Score), yes(v.KnownExploited), strconv.Itoa(v.Hosts), yes(v.Fixable),
					clikit.Truncate(strings.Join(v.Packages, ","), 40), clikit.Truncate(v.Summary, 50))
			}
			return t.Flush()
		},
	}
	ff.bind(cmd.Flags(), true)
	return cmd
}

// vulnShown is what `vulns show -o json` prints: the vulnerability and
// the findings of it on every host.
type vulnShown struct {
	apiclient.VulnDetail
	Findings []apiclient.VulnFinding `json:"findings"`
}

func (a *app) showCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a vulnerability (CVE or advisory id): its advisories, known exploited entry and the hosts it affects",
		Long: `Show a vulnerability (a CVE, or an advisory id when no CVE is known): its
severity, its entry in the known exploited catalogue, the advisories that
describe it and the hosts
it affects, with the package, version, fix and whether the program runs.`,
		Args: clikit.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			d, err := c.Vuln(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			findings, err := a.findings(cmd.Context(), store.VulnFindingFilter{VulnID: d.VulnID}, 0)
			if err != nil {
				return err
			}
			v := vulnShown{VulnDetail: d, Findings: findings}
			if a.JSON() {
				return a.PrintJSON(v)
			}
			return a.showVuln(v)
		},
	}
}

func (a *app) showVuln(v vulnShown) error {
	out := a.Env.Stdout
	f := clikit.NewFields(out)
	f.Add("Vulnerability", v.VulnID)
	sev := v.Severity
	if s := score(v.Score); s != "" {
		sev += " (" + s + ")"
	}
	f.Add("Severity", sev)
	f.Add("Summary", v.Summary)
	kev := []string{"no"}
	if k := v.KnownExploited; k != nil || v.VulnSummary.KnownExploited {
		kev = []string{"yes"}
		if k != nil && !k.DateAdded.IsZero() {
			kev = append(kev, "listed "+day(k.DateAdded))
		}
		if k != nil && !k.DueDate.IsZero() {
			kev = append(kev, "fix due "+day(k.DueDate))
		}
		if k != nil && k.Ransomware {
			kev = append(kev, "used in ransomware campaigns")
		}
	}
	f.Add("Known exploited", strings.Join(kev, ", "))
	if k := v.KnownExploited; k != nil {
		f.Add("Exploited", strings.TrimSpace(k.Vendor+" "+k.Product+": "+k.Name))
	}
	f.Add("Hosts", strconv.Itoa(v.Hosts))
	f.Add("Packages", strings.Join(v.Packages, ", "))
	f.Add("Fix known", yesNo(v.Fixable))
	if err := f.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nAdvisories:")
	if len(v.Advisories) == 0 {
		fmt.Fprintln(out, "  none in the database")
	} else {
		t := clikit.NewTable(out, "ID", "SOURCE", "SEVERITY", "SCORE", "MODIFIED", "SUMMARY")
		for _, adv := range v.Advisories {
			t.Row(adv.ID, adv.Source, adv.Severity, score(adv.Score), day(adv.Modified), clikit.Truncate(adv.Summary, 70))
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "\nAffected hosts:")
	if len(v.Findings) == 0 {
		fmt.Fprintln(out, "  none")
		return nil
	}
	t := clikit.NewTable(out, "HOST", "AGENT", "PACKAGE", "ECOSYSTEM", "VERSION", "FIXED", "IN USE", "PATH")
	for _, fd := range v.Findings {
		t.Row(host(fd.Hostname, fd.AgentID), fd.AgentID, clikit.Truncate(fd.Package, 40), fd.Ecosystem, clikit.Truncate(fd.Version, 28),
			clikit.Truncate(fd.FixedVersion, 28), inUse(fd.Running, fd.Listening), clikit.Truncate(fd.Path, 60))
	}
	return t.Flush()
}

func (a *app) patchesCmd() *cobra.Command {
	var ff findingFlags
	cmd := &cobra.Command{
		Use:   "patches",
		Short: "The upgrades that fix vulnerabilities: on one host (--agent) with the command, or across the fleet",
		Long: `List the package and library upgrades that fix the findings that have a fix.

With --agent: that host's upgrades, each with the version to install, and the
one command that applies all its OS package upgrades. Without: one line per
ecosystem and package with the number of hosts that need it. The version to
install is the highest fixed version among the findings it fixes.`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := ff.filter(cmd)
			if err != nil {
				return err
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			p, err := c.Patches(cmd.Context(), f)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(p)
			}
			if f.AgentID != "" {
				return a.hostPatches(p)
			}
			return a.fleetPatches(p)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&ff.f.AgentID, "agent", "", "the upgrades of this agent ID, with the command applying them")
	fs.StringVar(&ff.f.Ecosystem, "ecosystem", "", "only this ecosystem (Debian:12, Maven, PyPI ...)")
	fs.StringVar(&ff.f.Package, "package", "", "only this package or library (exact name)")
	fs.StringVar(&ff.severity, "severity", "", "only upgrades fixing these severities: critical,high,medium,low,none,unknown")
	fs.BoolVar(&ff.f.KnownExploited, "kev", false, "only upgrades fixing vulnerabilities known to be exploited")
	fs.BoolVar(&ff.f.Running, "running", false, "only upgrades of programs that run")
	return cmd
}

// hostPatches writes one host's upgrades and the commands applying them.
func (a *app) hostPatches(p apiclient.Patches) error {
	out := a.Env.Stdout
	fmt.Fprintf(out, "Upgrades for %s:\n", clikit.Clean(hostAndID(p.Hostname, p.AgentID)))
	if len(p.Items) == 0 {
		fmt.Fprintln(out, "  none: no finding on it has a known fix")
		return nil
	}
	t := clikit.NewTable(out, "PACKAGE", "KIND", "ECOSYSTEM", "INSTALLED", "UPGRADE TO", "SEVERITY", "KEV", "VULNS")
	var others []string
	for _, pt := range p.Items {
		t.Row(clikit.Truncate(pt.Package, 40), pt.Kind, pt.Ecosystem, clikit.Truncate(strings.Join(pt.Versions, ","), 40),
			clikit.Truncate(pt.FixedVersion, 28), pt.Severity, yes(pt.KnownExploited), vulnList(pt.Vulns))
		if pt.Kind != "package" {
			how := pt.Command
			if how == "" {
				how = "rebuild or replace it with " + pt.FixedVersion + " or later"
			}
			where := ""
			if len(pt.Paths) > 0 {
				where = " (" + strings.Join(pt.Paths, ", ") + ")"
			}
			others = append(others, "  "+clikit.Clean(pt.Package+where+": "+how))
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if p.Command != "" {
		fmt.Fprintf(out, "\nUpgrade the OS packages:\n  %s\n", clikit.Clean(p.Command))
	}
	if len(others) > 0 {
		fmt.Fprintf(out, "\nUpgrade the libraries:\n%s\n", strings.Join(others, "\n"))
	}
	return nil
}

// fleetPatches writes the fleet's upgrades with the hosts needing each.
func (a *app) fleetPatches(p apiclient.Patches) error {
	t := clikit.NewTable(a.Env.Stdout, "PACKAGE", "KIND", "ECOSYSTEM", "UPGRADE TO", "SEVERITY", "KEV", "HOSTS", "INSTALLED", "VULNS")
	for _, pt := range p.Items {
		t.Row(clikit.Truncate(pt.Package, 40), pt.Kind, pt.Ecosystem, clikit.Truncate(pt.FixedVersion, 28), pt.Severity,
			yes(pt.KnownExploited), strconv.Itoa(pt.Hosts), clikit.Truncate(strings.Join(pt.Versions, ","), 40), vulnList(pt.Vulns))
	}
	return t.Flush()
}

// vulnList is "CVE-1, CVE-2 +3 more".
func vulnList(ids []string) string {
	const shown = 2
	if len(ids) <= shown {
		return strings.Join(ids, ",")
	}
	return fmt.Sprintf("%s +%d more", strings.Join(ids[:shown], ","), len(ids)-shown)
}

// host names an agent by hostname, or by ID when it has none.
func host(hostname, id string) string {
	if hostname != "" {
		return hostname
	}
	return id
}

// hostAndID is "web-1 (7f3c9a)", or the ID alone.
func hostAndID(hostname, id string) string {
	if hostname != "" && hostname != id {
		return hostname + " (" + id + ")"
	}
	return id
}

// inUse is "listening", "running" or "".
func inUse(running, listening bool) string {
	switch {
	case listening:
		return "listening"
	case running:
		return "running"
	}
	return ""
}

// yes is "yes" or "" (a "-" in tables).
func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// yesNo is "yes" or "no".
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// score is a CVSS score, "" when there is none.
func score(s float64) string {
	if s == 0 {
		return ""
	}
	return strconv.FormatFloat(s, 'f', 1, 64)
}

// day is t's date, "" for the zero time.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}
