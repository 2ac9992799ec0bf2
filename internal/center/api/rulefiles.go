package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/center/api/httpjson"
	"github.com/vigilsec/vigil/internal/center/detect"
	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/internal/store"
)

// Bounds of a rule import.
const (
	// maxImportFiles bounds the files of one import.
	maxImportFiles = 1000
	// maxRuleFileSize bounds one file's content.
	maxRuleFileSize = 1 << 20
	// maxImportBody bounds the body of an import.
	maxImportBody = 32 << 20
	// maxRuleFileName bounds a file's name.
	maxRuleFileName = 255
	// maxAuditNames bounds the file names an audit entry lists.
	maxAuditNames = 50
)

// checkRuleFileName accepts a relative slash-separated path of letters,
// digits and ._+- whose parts do not start with a dot, ending in .yml or
// .yaml but not in the rule tests' suffix.
func checkRuleFileName(name string) error {
	bad := func(why string) error {
		return errorf(http.StatusBadRequest, "file name %q: %s", name, why)
	}
	switch {
	case name == "" || len(name) > maxRuleFileName:
		return bad(fmt.Sprintf("want 1 to %d bytes", maxRuleFileName))
	case strings.HasPrefix(name, "/"):
		return bad("want a relative path")
	case !fs.ValidPath(name):
		return bad("want a clean relative path without '.', '..' or empty parts")
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			return bad("parts may not start with '.'")
		}
		if strings.IndexFunc(part, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '+')
		}) >= 0 {
			return bad("want letters, digits, '.', '_', '-', '+' and '/'")
		}
	}
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ruleset.TestSuffix) {
		return bad("rule tests are not imported")
	}
	if ext := path.Ext(lower); ext != ".yml" && ext != ".yaml" {
		return bad("want a .yml or .yaml file")
	}
	return nil
}

// checkImport validates an import's files.
func checkImport(body apitypes.RuleImport) error {
	if len(body.Files) == 0 || len(body.Files) > maxImportFiles {
		return errorf(http.StatusBadRequest, "files: want 1 to %d files", maxImportFiles)
	}
	seen := make(map[string]bool, len(body.Files))
	for _, f := range body.Files {
		if err := checkRuleFileName(f.Name); err != nil {
			return err
		}
		if seen[f.Name] {
			return errorf(http.StatusBadRequest, "file %s: given twice", f.Name)
		}
		seen[f.Name] = true
		if len(f.Content) > maxRuleFileSize {
			return errorf(http.StatusBadRequest, "file %s: %d bytes, at most %d", f.Name, len(f.Content), maxRuleFileSize)
		}
	}
	return nil
}

// importRules checks the files together with the rules in use and, when
// none has a problem (or with force, for those that have none), stores
// them and reloads the rules.
func (s *server) importRules(w http.ResponseWriter, r *http.Request, c *call) error {
	rs, err := s.rules()
	if err != nil {
		return err
	}
	var body apitypes.RuleImport
	if err := httpjson.DecodeBody(w, r, &body, maxImportBody); err != nil {
		return err
	}
	if err := checkImport(body); err != nil {
		return err
	}
	names := make([]string, len(body.Files))
	for i, f := range body.Files {
		names[i] = f.Name
	}
	c.note("files", names[:min(len(names), maxAuditNames)])
	c.note("file_count", len(names))
	c.note("force", body.Force)

	check, err := s.newImportCheck(r.Context(), rs, body.Files)
	if err != nil {
		return err
	}
	loaded, problems := check.run(body.Force)
	c.note("problems", len(problems))
	if len(problems) > 0 && !body.Force {
		refuse(w, problems, len(check.files))
		return nil
	}
	res := apitypes.ImportResult{Stored: []apitypes.ImportedFile{}, Skipped: []string{}, Problems: problems}
	var storeErr error
	for _, f := range body.Files {
		if !check.accepted[f.Name] {
			res.Skipped = append(res.Skipped, f.Name)
			continue
		}
		if storeErr != nil {
			continue
		}
		content := []byte(f.Content)
		created, err := s.cfg.Store.Rules().PutFile(r.Context(), store.RuleFile{
			Name: f.Name, Content: content, Author: c.p.Actor(), UpdatedAt: s.now().UTC(),
		})
		if err != nil {
			storeErr = fmt.Errorf("store rule file %s: %w", f.Name, err)
			continue
		}
		sum := sha256.Sum256(content)
		res.Stored = append(res.Stored, apitypes.ImportedFile{
			Name: f.Name, SHA256: hex.EncodeToString(sum[:]), Created: created, Rules: countRules(loaded, detect.SourceImported, f.Name),
		})
	}
	c.note("stored", len(res.Stored))
	c.note("skipped", len(res.Skipped))
	if len(res.Stored) == 0 && storeErr != nil {
		return storeError(storeErr, "rule files")
	}
	// What was stored is put to use even when storing the rest failed.
	if len(res.Stored) > 0 {
		if err := s.cfg.Detection.ReloadRules(r.Context()); err != nil {
			return s.partial(err, "%d rule files stored, but reloading the rules failed; see the center's log", len(res.Stored))
		}
	}
	if storeErr != nil {
		return s.partial(storeErr, "%d rule files stored and in use, then storing the others failed; see the center's log", len(res.Stored))
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// refuse answers 422 with the problems of an import.
func refuse(w http.ResponseWriter, problems []apitypes.Problem, files int) {
	bad := map[string]bool{}
	for _, p := range problems {
		bad[p.File] = true
	}
	var body apitypes.ImportRefusal
	body.Error.Code = httpjson.Code(http.StatusUnprocessableEntity)
	body.Error.Message = fmt.Sprintf("%d of %d files have problems; nothing was imported (force imports the files that load)", len(bad), files)
	body.Problems = problems
	writeJSON(w, http.StatusUnprocessableEntity, body)
}

// countRules counts the loaded rules of one file.
func countRules(rs *ruleset.RuleSet, source, file string) int {
	n := 0
	for _, r := range rs.Rules {
		if r.Source == source && r.File == file {
			n++
		}
	}
	return n
}

// importCheck loads an import's files together with the rules in use:
// the shipped files, the stored ones (but those the import replaces) and
// the new ones last, so that an id the import repeats is the new file's
// problem.
type importCheck struct {
	sources []ruleset.Source
	opts    ruleset.Options
	files   map[string][]byte
	// accepted are the new files that load.
	accepted map[string]bool
}

func (s *server) newImportCheck(ctx context.Context, rs *ruleset.RuleSet, files []apitypes.ImportFile) (*importCheck, error) {
	ic := &importCheck{files: map[string][]byte{}, accepted: map[string]bool{},
		opts: ruleset.Options{Settings: map[string]ruleset.Setting{}}}
	for _, f := range files {
		ic.files[f.Name] = []byte(f.Content)
		ic.accepted[f.Name] = true
	}
	builtin := fstest.MapFS{}
	for _, rule := range rs.Rules {
		if rule.Source != detect.SourceBuiltin || builtin[rule.File] != nil {
			continue
		}
		text, err := s.cfg.Detection.RuleSource(rule)
		if err != nil {
			return nil, fmt.Errorf("source of rule %s: %w", rule.ID, err)
		}
		builtin[rule.File] = &fstest.MapFile{Data: text}
	}
	stored, err := s.cfg.Store.Rules().Files(ctx)
	if err != nil {
		return nil, storeError(err, "rule files")
	}
	imported := fstest.MapFS{}
	for _, f := range stored {
		if ic.files[f.Name] == nil {
			imported[f.Name] = &fstest.MapFile{Data: f.Content}
		}
	}
	settings, err := s.cfg.Store.Rules().Settings(ctx)
	if err != nil {
		return nil, storeError(err, "rule settings")
	}
	for _, st := range settings {
		ic.opts.Settings[st.RuleID] = ruleset.Setting{Disabled: st.Disabled, Level: string(st.Severity)}
	}
	ic.sources = []ruleset.Source{
		{Name: detect.SourceBuiltin, FS: builtin, Root: "."},
		{Name: detect.SourceImported, FS: imported, Root: "."},
	}
	return ic, nil
}

// run loads the rules with the accepted new files. Without force it
// returns the problems of the new files; with force it drops the files
// that have problems, and then those that needed them, until the rest
// loads, and returns the problems of the dropped files. loaded is the
// last set loaded.
func (ic *importCheck) run(force bool) (loaded *ruleset.RuleSet, problems []apitypes.Problem) {
	problems = []apitypes.Problem{}
	for range len(ic.files) + 1 {
		fresh := fstest.MapFS{}
		for name := range ic.accepted {
			fresh[name] = &fstest.MapFile{Data: ic.files[name]}
		}
		loaded = ruleset.Load(append(slices.Clone(ic.sources), ruleset.Source{Name: detect.SourceImported, FS: fresh, Root: "."}), ic.opts)
		var found []apitypes.Problem
		for _, p := range loaded.Problems {
			if p.Source == detect.SourceImported && ic.accepted[p.File] {
				found = append(found, viewProblem(p))
			}
		}
		problems = append(problems, found...)
		if len(found) == 0 || !force {
			return loaded, problems
		}
		for _, p := range found {
			delete(ic.accepted, p.File)
		}
	}
	return loaded, problems
}

func (s *server) listRuleFiles(w http.ResponseWriter, r *http.Request, c *call) error {
	rs, p, err := s.rulesPage(r)
	if err != nil {
		return err
	}
	files, err := s.cfg.Store.Rules().Files(r.Context())
	if err != nil {
		return storeError(err, "rule files")
	}
	problems := map[string]int{}
	for _, pr := range rs.Problems {
		if pr.Source == detect.SourceImported {
			problems[pr.File]++
		}
	}
	views := make([]apitypes.RuleFile, len(files))
	for i, f := range files {
		views[i] = apitypes.RuleFile{Name: f.Name, SHA256: f.SHA256, Size: len(f.Content), Author: f.Author,
			CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
			Rules: countRules(rs, detect.SourceImported, f.Name), Problems: problems[f.Name]}
	}
	items, next, err := offsetPage(views, p)
	if err != nil {
		return err
	}
	writeList(w, items, next)
	return nil
}

func (s *server) deleteRuleFile(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	c.target = name
	if _, err := s.detection(); err != nil {
		return err
	}
	if err := checkRuleFileName(name); err != nil {
		return err
	}
	files, err := s.cfg.Store.Rules().Files(r.Context())
	if err != nil {
		return storeError(err, "rule files")
	}
	i := slices.IndexFunc(files, func(f store.RuleFile) bool { return f.Name == name })
	if i < 0 {
		return errorf(http.StatusNotFound, "rule file %s not found", name)
	}
	c.note("sha256", files[i].SHA256)
	if err := s.cfg.Store.Rules().DeleteFile(r.Context(), name); err != nil {
		return storeError(err, "rule file "+name)
	}
	if err := s.cfg.Detection.ReloadRules(r.Context()); err != nil {
		return s.partial(err, "rule file %s deleted, but reloading the rules failed; see the center's log", name)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
