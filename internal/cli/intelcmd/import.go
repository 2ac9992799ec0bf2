package intelcmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// stdinName names the standard input in messages.
const stdinName = "stdin"

func (a *app) importCmd() *cobra.Command {
	var (
		opts   apiclient.IntelImport
		format string
		ef     entryFlags
	)
	cmd := &cobra.Command{
		Use:   "import FILE|- --source NAME",
		Short: "Import an indicator file (text, CSV, STIX, MISP, JSON) as a source; it matches at once",
		Long: `Send an indicator file ("-" for stdin) to the center as the source NAME. The
center reads one of these formats, detected from the content unless --format
names it:

  text   one value per line; # starts a comment
  csv    a header row naming value, type, description, severity, confidence,
         tags, techniques, reference, expires_at
  stix   a STIX 2.1 bundle of indicators
  misp   a MISP event
  json   an array of indicators as vigil intel add -o json shows them

The file is streamed with a progress bar on stderr. Entries the center cannot
take are skipped and listed with their line (or object id); the others are
kept. --severity, --confidence, --tag and --expires-in apply to the entries
that do not set them. Importing the same source again updates its
indicators; with --replace, those the file no longer lists are removed (for
a feed that is published as a whole). The exit status is 1 when the center
refused the file.`,
		Example: `  vigil intel import feodo-ipblocklist.txt --source feodo --severity high --tag botnet --replace
  vigil intel import apt-report.json --source apt-report --format stix --expires-in 90d
  curl -s https://feeds.example.internal/bad-domains.txt | vigil intel import - --source bad-domains`,
		Args: clikit.ExactArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Source == "" {
				return clikit.UsageErr(cmd, "--source is required: name the feed or list the file is")
			}
			if format != "" {
				opts.Format = intel.Format(strings.ToLower(format))
				if !slices.Contains(intel.Formats, opts.Format) {
					return clikit.UsageErr(cmd, "--format %q: want text, csv, stix, misp or json", format)
				}
			}
			var err error
			if opts.Confidence, err = ef.confidencePtr(cmd); err != nil {
				return err
			}
			if opts.ExpiresIn, err = ef.expiry(cmd); err != nil {
				return err
			}
			for _, t := range ef.tags {
				if strings.TrimSpace(t) == "" || strings.Contains(t, ",") {
					return clikit.UsageErr(cmd, "--tag %q: a tag of an import is not empty and holds no comma", t)
				}
			}
			opts.Severity, opts.Tags = ef.severity, ef.tags
			return a.importFile(cmd, args[0], opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Source, "source", "", "the source the file's indicators belong to (required)")
	fs.StringVar(&format, "format", "", "the file's format: text, csv, stix, misp or json (default: detected)")
	fs.BoolVar(&opts.Replace, "replace", false, "remove the source's indicators the file no longer lists")
	ef.bind(cmd, ", for entries without one")
	return cmd
}

// importFile sends the file at path ("-": stdin) and prints the result.
func (a *app) importFile(cmd *cobra.Command, path string, opts apiclient.IntelImport) error {
	label := path
	var (
		file io.Reader
		size int64 = -1
	)
	if path == "-" {
		label, file = stdinName, a.Env.Stdin
	} else {
		f, n, err := openFile(path)
		if err != nil {
			return err
		}
		defer f.Close()
		file, size = f, n
	}
	c, err := a.API()
	if err != nil {
		return err
	}
	body := file
	var bar *clikit.UploadBar
	if !a.JSON() {
		bar = clikit.NewUploadBar(a.Env.Stderr, label, size)
		body = bar.Reader(file)
	}
	res, err := c.ImportIndicators(cmd.Context(), opts, body, size)
	bar.Stop()
	var pe *fs.PathError
	var ae *apiclient.APIError
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("read %s: %w", label, pe.Err)
	case errors.As(err, &ae) && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusRequestEntityTooLarge):
		return clikit.Exitf("%s not imported: %s", label, ae.Message)
	case err != nil:
		return err
	}
	if a.JSON() {
		return a.PrintJSON(res)
	}
	r := res.Value
	head := fmt.Sprintf("%s (source %s, format %s)", label, r.Source, r.Format)
	printResult(a.Env.Stdout, head, r, true, problemPlace)
	return nil
}

// openFile opens a regular, non-empty file of at most MaxIntelUpload
// bytes and returns it with its size.
func openFile(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, fmt.Errorf("%s: no such file", path)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case !fi.Mode().IsRegular():
		err = fmt.Errorf("%s: not a regular file", path)
	case fi.Size() == 0:
		err = fmt.Errorf("%s: the file is empty", path)
	case fi.Size() > apiclient.MaxIntelUpload:
		err = fmt.Errorf("%s: %d bytes, more than the %s the center takes", path, fi.Size(), clikit.HumanBytes(apiclient.MaxIntelUpload))
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}
