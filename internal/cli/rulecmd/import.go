package rulecmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/detect/ruleset"
)

// maxImportFile bounds a rule file read for import, as the center does.
const maxImportFile = 1 << 20

func (a *app) importCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "import FILE|DIR...",
		Short: "Import Sigma rule files; nothing is imported when one has a problem, unless --force",
		Long: `Import Sigma rule files into the center. A FILE is imported under its base
name; the .yml and .yaml files under a DIR (hidden folders and rule tests,
*.test.yml, left out) under their path within DIR. A file of the same name
is replaced. The center loads the files with the rules it has before storing
anything: when a file has a problem nothing is imported and every problem is
printed, unless --force, which imports the files that load.`,
		Args: clikit.MinArgs(1, "FILE or DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := readRuleFiles(args)
			if err != nil {
				return err
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			res, err := c.ImportRules(cmd.Context(), files, force)
			var refused *apiclient.ImportError
			if errors.As(err, &refused) {
				printProblems(a.Env.Stderr, refused.Problems, false)
			}
			if err != nil {
				return err
			}
			if a.JSON() {
				if err := a.PrintJSON(res); err != nil {
					return err
				}
			} else if err := a.printImport(res); err != nil {
				return err
			}
			if len(res.Stored) == 0 {
				return clikit.Exitf("no rule file imported: each has a problem")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "import the files that load even when others have problems")
	return cmd
}

// printImport writes what was stored to stdout, what was skipped and
// why to stderr.
func (a *app) printImport(res apitypes.ImportResult) error {
	t := clikit.NewTable(a.Env.Stdout, "FILE", "RULES", "IMPORTED")
	for _, f := range res.Stored {
		what := "updated"
		if f.Created {
			what = "new"
		}
		t.Row(f.Name, strconv.Itoa(f.Rules), what)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	for _, name := range res.Skipped {
		fmt.Fprintf(a.Env.Stderr, "vigil: skipped %s\n", clikit.Clean(name))
	}
	printProblems(a.Env.Stderr, res.Problems, false)
	return nil
}

// printProblems writes one line per problem.
func printProblems(w io.Writer, problems []apitypes.Problem, withSource bool) {
	for _, p := range problems {
		fmt.Fprintln(w, problemLine(p, withSource))
	}
}

// readRuleFiles reads the rule files named by args: a file under its
// base name, the rule files under a folder under their path in it.
func readRuleFiles(args []string) ([]apitypes.ImportFile, error) {
	var files []apitypes.ImportFile
	seen := map[string]string{}
	add := func(name, file string) error {
		if prev, ok := seen[name]; ok {
			return fmt.Errorf("%s and %s would both be imported as %s", prev, file, name)
		}
		seen[name] = file
		data, err := readBounded(file)
		if err != nil {
			return err
		}
		files = append(files, apitypes.ImportFile{Name: name, Content: string(data)})
		return nil
	}
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			if err := add(filepath.Base(arg), arg); err != nil {
				return nil, err
			}
			continue
		}
		found := 0
		err = fs.WalkDir(os.DirFS(arg), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != "." && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				return nil
			}
			if !isRuleFile(p) {
				return nil
			}
			found++
			return add(p, filepath.Join(arg, filepath.FromSlash(p)))
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", arg, err)
		}
		if found == 0 {
			return nil, fmt.Errorf("%s: no .yml or .yaml rule file", arg)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// isRuleFile reports whether a file found in a folder is a rule file: a
// .yml or .yaml file that is not a rule test and not hidden.
func isRuleFile(p string) bool {
	lower := strings.ToLower(p)
	ext := path.Ext(lower)
	return (ext == ".yml" || ext == ".yaml") && !strings.HasSuffix(lower, ruleset.TestSuffix) && !strings.HasPrefix(path.Base(p), ".")
}

// readBounded reads a file of at most maxImportFile bytes.
func readBounded(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImportFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(data) > maxImportFile {
		return nil, fmt.Errorf("%s: larger than %d bytes, the most the center takes", file, maxImportFile)
	}
	return data, nil
}
