package compliancecmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

func (a *app) reportCmd() *cobra.Command {
	var (
		agentID, policyID, lang, file string
		force                         bool
	)
	cmd := &cobra.Command{
		Use:   "report [--agent ID] --policy ID [--lang en|zh] [-o FILE] [--force]",
		Short: "Save the printable HTML report of a host or of a policy across the fleet",
		Long: `Save the center's compliance report, a self-contained HTML page to read or
print: with --agent, that host's report (its policy --policy, or every policy
it evaluated without it); without --agent, the fleet's report of --policy.

-o FILE names the file (- writes the report to stdout); without it the file is
the name the center suggests, in the current folder. An existing file is only
replaced with --force. Here -o is the file, not the output format.`,
		Example: `  vigil compliance report --policy mlps_level3 --lang zh -o mlps3.html
  vigil compliance report --agent 7f3c9a --policy cis_debian12 -o - > web-1.html`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if agentID == "" && policyID == "" {
				return clikit.UsageErr(cmd, "report needs --policy ID (and --agent ID for one host's report)")
			}
			var err error
			if lang, err = parseLang(lang); err != nil {
				return clikit.UsageErr(cmd, "--lang %v", err)
			}
			if file != "" && file != "-" && !force {
				if err := refuseExisting(file); err != nil {
					return err
				}
			}
			api, err := a.API()
			if err != nil {
				return err
			}
			rep, err := api.ComplianceReport(cmd.Context(), apiclient.ComplianceReportQuery{AgentID: agentID, PolicyID: policyID, Lang: lang})
			if err != nil {
				return err
			}
			doc, suggested := rep.HTML, rep.FileName
			if file == "-" {
				_, err := a.Env.Stdout.Write(doc)
				return err
			}
			if file == "" {
				if suggested == "" {
					return fmt.Errorf("the center suggested no file name: give -o FILE")
				}
				file = suggested
				if !force {
					if err := refuseExisting(file); err != nil {
						return err
					}
				}
			}
			if err := writeReport(file, doc, force); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Env.Stdout, "report saved to %s (%d bytes)\n", clikit.Clean(file), len(doc))
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&agentID, "agent", "", "the report of this agent ID")
	fs.StringVar(&policyID, "policy", "", "the report of this policy ID (required without --agent)")
	fs.StringVar(&lang, "lang", "en", "the report's language: en or zh")
	// Shadows the global -o/--output of this command only: here it names
	// the file, as the output format has no meaning for an HTML page.
	fs.StringVarP(&file, "output", "o", "", "the file to write (- for stdout; default: the name the center suggests)")
	fs.BoolVar(&force, "force", false, "replace the file when it exists")
	return cmd
}

// refuseExisting is an error when file exists.
func refuseExisting(file string) error {
	if _, err := os.Lstat(file); err == nil {
		return clikit.Exitf("%s exists: give --force to replace it, or another -o FILE", file)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check %s: %w", file, err)
	}
	return nil
}

// writeReport writes doc to file: a new file only, unless force, when it
// replaces the file at once (a reader never sees half a report).
func writeReport(file string, doc []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return clikit.Exitf("%s exists: give --force to replace it, or another -o FILE", file)
		}
		if err != nil {
			return fmt.Errorf("create report: %w", err)
		}
		if _, err := f.Write(doc); err != nil {
			f.Close()
			os.Remove(file)
			return fmt.Errorf("write %s: %w", file, err)
		}
		if err := f.Close(); err != nil {
			os.Remove(file)
			return fmt.Errorf("write %s: %w", file, err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".vigil-report-*.html")
	if err != nil {
		return fmt.Errorf("create report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(doc); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("replace %s: %w", file, err)
	}
	return nil
}
