package sigma

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// MaxFileSize bounds one rule file.
const MaxFileSize = 16 << 20

// LoadFS parses every .yml and .yaml file under root in fsys (hidden
// folders left out), in lexical order, then validates the set as a whole
// (Validate). Files and documents that cannot be read or parsed are
// reported in Set.Errors, with their file and line; they never stop the
// others. Positions name files by their path in fsys.
func LoadFS(fsys fs.FS, root string) *Set {
	set := ReadFS(fsys, root)
	set.Validate()
	return set
}

// ReadFS is LoadFS without the final Validate, for a caller that puts
// several trees together and validates the whole once (a correlation in
// one tree may reference rules of another).
func ReadFS(fsys fs.FS, root string) *Set {
	return loadFS(fsys, root, func(p string) string { return p })
}

// LoadDir is LoadFS over a folder of the host; positions name files by
// their path joined to dir.
func LoadDir(dir string) *Set {
	set := loadFS(os.DirFS(dir), ".", func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) })
	set.Validate()
	return set
}

func loadFS(fsys fs.FS, root string, name func(string) string) *Set {
	set := &Set{}
	err := fs.WalkDir(fsys, root, func(p string, entry fs.DirEntry, err error) error {
		if err != nil {
			set.Errors = append(set.Errors, &Error{Pos: Pos{File: name(p)}, Reason: fmt.Sprintf("cannot read: %v", err), Err: ErrSyntax})
			if entry != nil && entry.IsDir() && p != root {
				return fs.SkipDir
			}
			return nil
		}
		if entry.IsDir() {
			if p != root && strings.HasPrefix(entry.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(path.Ext(p))
		if ext != ".yml" && ext != ".yaml" {
			return nil
		}
		file := name(p)
		info, err := entry.Info()
		if err == nil && info.Size() > MaxFileSize {
			set.Errors = append(set.Errors, &Error{Pos: Pos{File: file}, Reason: fmt.Sprintf("file of %d bytes is larger than %d", info.Size(), MaxFileSize), Err: ErrInvalid})
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			set.Errors = append(set.Errors, &Error{Pos: Pos{File: file}, Reason: fmt.Sprintf("cannot read: %v", err), Err: ErrSyntax})
			return nil
		}
		set.add(Parse(file, data))
		return nil
	})
	if err != nil {
		set.Errors = append(set.Errors, &Error{Pos: Pos{File: name(root)}, Reason: fmt.Sprintf("cannot read: %v", err), Err: ErrSyntax})
	}
	return set
}

// Validate checks what only the whole set can show, and removes the
// documents that fail, with an error each: an id or name that an earlier
// rule, correlation or filter took (ids and names share one space, as
// correlations reference both), and a correlation whose rules are not
// all in the set or that references itself through other correlations.
// It attaches each meta filter to the detection rules it names (by id,
// name or title: Rule.Filters); a reference that names no detection rule
// is an error of its own, and the filter still applies to the rules its
// other references name (a filter that names none is removed). Parse
// leaves this to the caller, as a file's references may point into other
// files. Validate may be called again: it starts the attachments afresh.
func (s *Set) Validate() {
	type owner struct{ pos Pos }
	taken := map[string]owner{}
	claim := func(key string, m *Meta, what string) bool {
		if key == "" {
			return true
		}
		if prev, ok := taken[key]; ok {
			s.Errors = append(s.Errors, &Error{Pos: m.Pos, RuleID: m.ID, Title: m.Title, Err: ErrDuplicate,
				Reason: fmt.Sprintf("%s %q is already used by the document at %s", what, key, prev.pos)})
			return false
		}
		taken[key] = owner{pos: m.Pos}
		return true
	}
	claimBoth := func(m *Meta) bool {
		if !claim(m.ID, m, "id") {
			return false
		}
		if m.Name != "" && m.Name != m.ID && !claim(m.Name, m, "name") {
			delete(taken, m.ID)
			return false
		}
		return true
	}
	rules := s.Rules[:0]
	for _, r := range s.Rules {
		if claimBoth(&r.Meta) {
			rules = append(rules, r)
		}
	}
	s.Rules = rules
	corrs := s.Correlations[:0]
	for _, c := range s.Correlations {
		if claimBoth(&c.Meta) {
			corrs = append(corrs, c)
		}
	}
	s.Correlations = corrs
	filters := s.Filters[:0]
	for _, f := range s.Filters {
		if claimBoth(&f.Meta) {
			filters = append(filters, f)
		}
	}
	s.Filters = filters

	// Filter out correlations with unknown references, until no more go
	// (one may reference another that goes).
	byKey := map[string]*Correlation{}
	ruleKeys := map[string]bool{}
	for _, r := range s.Rules {
		ruleKeys[r.ID], ruleKeys[r.Name] = true, true
	}
	delete(ruleKeys, "")
	for {
		for k := range byKey {
			delete(byKey, k)
		}
		for _, c := range s.Correlations {
			if c.ID != "" {
				byKey[c.ID] = c
			}
			if c.Name != "" {
				byKey[c.Name] = c
			}
		}
		kept := s.Correlations[:0]
		removed := false
		for _, c := range s.Correlations {
			var missing []string
			for _, ref := range c.Rules {
				if !ruleKeys[ref.Ref] && byKey[ref.Ref] == nil {
					missing = append(missing, ref.Ref)
				}
			}
			if len(missing) > 0 {
				s.Errors = append(s.Errors, &Error{Pos: c.CorrelationPos, RuleID: c.ID, Title: c.Title, Err: ErrReference,
					Reason: fmt.Sprintf("correlation references %s, not among the loaded rules", strings.Join(quoteAll(missing), ", "))})
				removed = true
				continue
			}
			kept = append(kept, c)
		}
		s.Correlations = kept
		if !removed {
			break
		}
	}

	// Cycles among correlations.
	const (
		visiting = 1
		done     = 2
	)
	state := map[*Correlation]int{}
	cyclic := map[*Correlation]bool{}
	var visit func(c *Correlation) bool
	visit = func(c *Correlation) bool {
		switch state[c] {
		case visiting:
			return true
		case done:
			return cyclic[c]
		}
		state[c] = visiting
		for _, ref := range c.Rules {
			if next := byKey[ref.Ref]; next != nil && !ruleKeys[ref.Ref] && visit(next) {
				cyclic[c] = true
			}
		}
		state[c] = done
		return cyclic[c]
	}
	kept := s.Correlations[:0]
	for _, c := range s.Correlations {
		if visit(c) {
			s.Errors = append(s.Errors, &Error{Pos: c.CorrelationPos, RuleID: c.ID, Title: c.Title, Err: ErrReference,
				Reason: "correlation is part of, or depends on, a cycle of correlations"})
			continue
		}
		kept = append(kept, c)
	}
	s.Correlations = kept
	s.attachFilters()
}

// attachFilters resolves the references of the meta filters and fills in
// Rule.Filters. A reference is a rule's id or name (unique in the set),
// else its title (every rule of that title).
func (s *Set) attachFilters() {
	byKey := map[string]*Rule{}
	byTitle := map[string][]*Rule{}
	for _, r := range s.Rules {
		r.Filters = nil
		for _, k := range []string{r.ID, r.Name} {
			if k != "" {
				byKey[k] = r
			}
		}
		byTitle[r.Title] = append(byTitle[r.Title], r)
	}
	correlation := map[string]bool{}
	for _, c := range s.Correlations {
		for _, k := range []string{c.ID, c.Name, c.Title} {
			if k != "" {
				correlation[k] = true
			}
		}
	}
	kept := s.Filters[:0]
	for _, f := range s.Filters {
		var targets []*Rule
		for _, ref := range f.Rules {
			found := byTitle[ref.Ref]
			if r := byKey[ref.Ref]; r != nil {
				found = []*Rule{r}
			}
			if len(found) == 0 {
				s.Errors = append(s.Errors, &Error{Pos: ref.Pos, RuleID: f.ID, Title: f.Title, Err: ErrReference, Reason: unknownFilterTarget(ref.Ref, correlation[ref.Ref])})
				continue
			}
			for _, r := range found {
				if !slices.Contains(targets, r) {
					targets = append(targets, r)
				}
			}
		}
		if len(targets) == 0 {
			continue
		}
		for _, r := range targets {
			r.Filters = append(r.Filters, f)
		}
		kept = append(kept, f)
	}
	s.Filters = kept
}

// unknownFilterTarget says why a filter's reference names no rule.
func unknownFilterTarget(ref string, isCorrelation bool) string {
	switch {
	case isCorrelation:
		return fmt.Sprintf("filter names correlation rule %q: a filter applies to detection rules; name the rules whose matches the correlation counts", ref)
	case strings.EqualFold(ref, "any") || strings.EqualFold(ref, "all"):
		return fmt.Sprintf("filter rules %q (every rule of the log source) is not supported: list the rules by id, name or title", ref)
	}
	return fmt.Sprintf("filter names %q, which is not the id, name or title of a loaded detection rule", ref)
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
