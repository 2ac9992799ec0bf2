package vulndbcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// importFile is one file to send.
type importFile struct {
	path   string // as opened
	source string
	size   int64
}

// ImportResult is what became of one file, as -o json prints it.
type ImportResult struct {
	File   string   `json:"file"`
	Source string   `json:"source"`
	Job    vuln.Job `json:"job"`
}

func (a *app) importCmd() *cobra.Command {
	var (
		source string
		noWait bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE|DIR...",
		Short: "Import OSV exports, OSV records or the known exploited catalogue into the vulnerability database",
		Long: `Send files to the center's vulnerability database, one after the other: an
OSV zip export (osv.dev's ECOSYSTEM/all.zip), an OSV JSON record or an array
of them, or CISA's known_exploited_vulnerabilities.json (which replaces the
catalogue held). A DIR stands for the .zip and .json files below it, hidden
ones left out.

Each file is streamed to the center with a progress bar on stderr, then its
import is followed to its end, and what it added, updated, left unchanged
and rejected is printed with the problems found. The exit status is not zero
when an import failed. The center runs one import or sync at a time: while
another runs, the command waits for it.

The source a file is recorded under is, unless --source names it: kev for a
known exploited catalogue, the folder's name for an export named all.zip
(Debian/all.zip is Debian), else the file's name without its extension.

  vigil vulndb import osv/Debian/all.zip osv/Maven/all.zip
  vigil vulndb import osv/                       every export below osv/
  vigil vulndb import known_exploited_vulnerabilities.json`,
		Args: clikit.MinArgs(1, "FILE or DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if source != "" {
				if err := (feed.Source{Name: source, URL: "/"}).Validate(); err != nil {
					return clikit.UsageErr(cmd, "--source: %v", err)
				}
			}
			files, err := collectFiles(args, source)
			if err != nil {
				return err
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			var results []ImportResult
			var failed []string
			for _, f := range files {
				res, err := a.importOne(cmd.Context(), c, f, noWait)
				if err != nil {
					if a.JSON() && len(results) > 0 {
						_ = a.PrintJSON(results)
					}
					return err
				}
				results = append(results, res)
				if res.Job.State == vuln.JobFailed {
					failed = append(failed, f.path)
				}
			}
			if a.JSON() {
				if err := a.PrintJSON(results); err != nil {
					return err
				}
			}
			return failedError("import", failed)
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "record the advisories under this source (default: from the file, see above)")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once a file is sent, without following its import")
	return cmd
}

// importOne sends one file once no other job runs and, unless noWait,
// follows its import to the end.
func (a *app) importOne(ctx context.Context, c *apiclient.Client, f importFile, noWait bool) (ImportResult, error) {
	label := f.path + " (source " + f.source + ")"
	res := ImportResult{File: f.path, Source: f.source}
	j, err := a.startJob(ctx, c, "import "+f.path, func() (vuln.Job, error) { return a.upload(ctx, c, f, label) })
	if err != nil {
		return res, fmt.Errorf("import %s: %w", f.path, err)
	}
	if !noWait {
		if j, err = a.follow(ctx, c, j, label); err != nil {
			return res, err
		}
	}
	res.Job = j
	if !a.JSON() {
		a.printJob(label, j)
	}
	return res, nil
}

// upload streams a file to the center with a progress bar.
func (a *app) upload(ctx context.Context, c *apiclient.Client, f importFile, label string) (vuln.Job, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return vuln.Job{}, err
	}
	defer file.Close()
	var body io.Reader = file
	if !a.JSON() {
		bar := clikit.NewUploadBar(a.Env.Stderr, label, f.size)
		body = bar.Reader(file)
		defer bar.Stop()
	}
	j, err := c.ImportVulnDB(ctx, f.source, body, f.size)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return j, fmt.Errorf("read %s: %w", f.path, pe.Err)
	}
	return j, err
}

// collectFiles lists the files to import: each FILE, and the .zip and
// .json files below each DIR (hidden ones left out) in lexical order,
// with the source each is recorded under.
func collectFiles(args []string, source string) ([]importFile, error) {
	var files []importFile
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, statError(arg, err)
		}
		if !info.IsDir() {
			f, err := newImportFile(arg, info, source)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
			continue
		}
		found := 0
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			hidden := p != arg && strings.HasPrefix(d.Name(), ".")
			if d.IsDir() {
				if hidden {
					return filepath.SkipDir
				}
				return nil
			}
			ext := strings.ToLower(filepath.Ext(p))
			if hidden || !d.Type().IsRegular() || (ext != ".zip" && ext != ".json") {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			f, err := newImportFile(p, fi, source)
			if err != nil {
				return err
			}
			files = append(files, f)
			found++
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", arg, err)
		}
		if found == 0 {
			return nil, fmt.Errorf("%s: no .zip or .json file to import in it", arg)
		}
	}
	return files, nil
}

// statError says plainly that a named file is missing or unreadable.
func statError(arg string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no such file or folder", arg)
		}
		return fmt.Errorf("%s: %w", arg, pe.Err)
	}
	return err
}

// newImportFile checks one file and names its source.
func newImportFile(path string, info fs.FileInfo, source string) (importFile, error) {
	if !info.Mode().IsRegular() {
		return importFile{}, fmt.Errorf("%s: not a regular file", path)
	}
	if info.Size() == 0 {
		return importFile{}, fmt.Errorf("%s: the file is empty", path)
	}
	f := importFile{path: path, source: source, size: info.Size()}
	if f.source != "" {
		return f, nil
	}
	kev := false
	if strings.EqualFold(filepath.Ext(path), ".json") {
		head, err := readHead(path, kevHead)
		if err != nil {
			return importFile{}, err
		}
		kev = IsKEV(head)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return importFile{}, fmt.Errorf("%s: %w", path, err)
	}
	if f.source, err = SourceName(abs, kev); err != nil {
		return importFile{}, err
	}
	return f, nil
}

// readHead reads the first n bytes of a file (fewer when it is shorter).
func readHead(path string, n int) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, statError(path, err)
	}
	defer file.Close()
	head := make([]byte, n)
	got, err := io.ReadFull(file, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return head[:got], nil
}
