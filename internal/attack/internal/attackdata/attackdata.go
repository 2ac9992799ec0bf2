// Package attackdata reads the MITRE ATT&CK data files of package attack
// (data/tactics.tsv and data/techniques.tsv), checks them, and renders them
// as the Go table that package attack compiles in. It is shared by the
// generator (internal/gen) and by the test that keeps the generated table in
// step with the data files.
//
// Both files are UTF-8 text with one record a line and fields separated by
// one tab. Blank lines and lines starting with "#" are ignored; lines starting
// with "@" carry metadata ("@version<TAB>18.1" in techniques.tsv).
package attackdata

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tactic is one row of tactics.tsv.
type Tactic struct {
	ID        string // TA0004
	ShortName string // privilege-escalation
	Name      string // Privilege Escalation
	NameZH    string // 权限提升
}

// Status values of a technique row.
const (
	StatusActive     = "active"
	StatusDeprecated = "deprecated"
	StatusRevoked    = "revoked"
)

// Technique is one row of techniques.tsv.
type Technique struct {
	ID        string   // T1059 or T1059.004
	Tactics   []string // tactic ids, in matrix order
	Platforms []string // ATT&CK spelling: Linux, Containers, PRE
	Name      string
	NameZH    string
	Status    string // StatusActive, StatusDeprecated or StatusRevoked
	RevokedBy string // the replacing technique id of a revoked one
	Line      int    // line in the data file, for messages
}

// Data is the content of both files.
type Data struct {
	Version    string      // ATT&CK release, from @version
	Tactics    []Tactic    // matrix order
	Techniques []Technique // sorted by id
	Sources    []string    // the file names, as given to Load
}

// Error is a problem in a data file, at a line (0 for the file as a whole).
type Error struct {
	File   string
	Line   int
	Reason string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Reason
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

func lineErr(file string, line int, format string, args ...any) error {
	return &Error{File: file, Line: line, Reason: fmt.Sprintf(format, args...)}
}

var (
	tacticIDPattern    = regexp.MustCompile(`^TA[0-9]{4}$`)
	shortNamePattern   = regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	techniqueIDPattern = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
	versionPattern     = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)
)

// platformNames maps the platform tokens of the data file to ATT&CK's
// spelling.
var platformNames = map[string]string{
	"linux":      "Linux",
	"containers": "Containers",
	"pre":        "PRE",
}

// platformOrder is the order in which platforms are listed.
var platformOrder = []string{"Linux", "Containers", "PRE"}

// Load reads and checks both data files.
func Load(tacticsPath, techniquesPath string) (*Data, error) {
	tf, err := os.Open(tacticsPath)
	if err != nil {
		return nil, fmt.Errorf("open tactics: %w", err)
	}
	defer tf.Close()
	tactics, err := ParseTactics(tf, tacticsPath)
	if err != nil {
		return nil, err
	}
	sf, err := os.Open(techniquesPath)
	if err != nil {
		return nil, fmt.Errorf("open techniques: %w", err)
	}
	defer sf.Close()
	version, techniques, err := ParseTechniques(sf, techniquesPath, tactics)
	if err != nil {
		return nil, err
	}
	return &Data{
		Version: version, Tactics: tactics, Techniques: techniques,
		Sources: []string{filepath.ToSlash(tacticsPath), filepath.ToSlash(techniquesPath)},
	}, nil
}

// record is one data line split into fields.
type record struct {
	line   int
	fields []string
}

// readRecords splits r into records, skipping blank and comment lines, and
// hands metadata lines to meta.
func readRecords(r io.Reader, file string, meta func(line int, key, value string) error) ([]record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var out []record
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if !utf8.ValidString(text) {
			return nil, lineErr(file, n, "line is not valid UTF-8")
		}
		switch {
		case strings.TrimSpace(text) == "", strings.HasPrefix(text, "#"):
			continue
		case strings.HasPrefix(text, "@"):
			key, value, ok := strings.Cut(text[1:], "\t")
			if !ok {
				return nil, lineErr(file, n, "metadata line needs a key, a tab and a value")
			}
			if err := meta(n, key, value); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, record{line: n, fields: strings.Split(text, "\t")})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, lineErr(file, n+1, "line longer than 1 MiB")
		}
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return out, nil
}

// checkName rejects empty names, surrounding spaces and control characters.
func checkName(file string, line int, what, s string) error {
	if s == "" {
		return lineErr(file, line, "%s is empty", what)
	}
	if strings.TrimSpace(s) != s {
		return lineErr(file, line, "%s %q has leading or trailing spaces", what, s)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return lineErr(file, line, "%s %q has a control character", what, s)
	}
	return nil
}

// ParseTactics reads tactics.tsv: id, short name, English name, Chinese
// name. The rows are the matrix order. file names the input in errors.
func ParseTactics(r io.Reader, file string) ([]Tactic, error) {
	recs, err := readRecords(r, file, func(line int, key, _ string) error {
		return lineErr(file, line, "unknown metadata %q", key)
	})
	if err != nil {
		return nil, err
	}
	var out []Tactic
	seen := map[string]int{}
	for _, rec := range recs {
		if len(rec.fields) != 4 {
			return nil, lineErr(file, rec.line, "want 4 tab-separated fields (id, short name, name, Chinese name), got %d", len(rec.fields))
		}
		t := Tactic{ID: rec.fields[0], ShortName: rec.fields[1], Name: rec.fields[2], NameZH: rec.fields[3]}
		if !tacticIDPattern.MatchString(t.ID) {
			return nil, lineErr(file, rec.line, "tactic id %q is not of the form TA0000", t.ID)
		}
		if !shortNamePattern.MatchString(t.ShortName) {
			return nil, lineErr(file, rec.line, "short name %q is not lower-case words joined by hyphens", t.ShortName)
		}
		for _, key := range []string{t.ID, t.ShortName} {
			if first, dup := seen[key]; dup {
				return nil, lineErr(file, rec.line, "%q is already used on line %d", key, first)
			}
			seen[key] = rec.line
		}
		if err := checkName(file, rec.line, "name", t.Name); err != nil {
			return nil, err
		}
		if err := checkName(file, rec.line, "Chinese name", t.NameZH); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, &Error{File: file, Reason: "no tactics"}
	}
	return out, nil
}

// ParseTechniques reads techniques.tsv against the tactics of
// ParseTactics, and returns the @version metadata and the rows sorted by
// id. Besides each row, it checks that ids are unique, that every
// sub-technique's parent is listed (and active when the sub-technique is),
// and that a revoked technique names an active replacement.
func ParseTechniques(r io.Reader, file string, tactics []Tactic) (string, []Technique, error) {
	tacticRank := map[string]int{}
	tacticID := map[string]string{}
	for i, t := range tactics {
		tacticRank[t.ID] = i
		tacticID[t.ShortName] = t.ID
	}
	version := ""
	recs, err := readRecords(r, file, func(line int, key, value string) error {
		if key != "version" {
			return lineErr(file, line, "unknown metadata %q (want version)", key)
		}
		if version != "" {
			return lineErr(file, line, "version given twice")
		}
		if !versionPattern.MatchString(value) {
			return lineErr(file, line, "version %q is not dotted numbers", value)
		}
		version = value
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	if version == "" {
		return "", nil, &Error{File: file, Reason: "no @version line"}
	}
	var out []Technique
	byID := map[string]int{} // id -> index in out
	for _, rec := range recs {
		t, err := parseTechnique(file, rec, tacticID, tacticRank)
		if err != nil {
			return "", nil, err
		}
		if i, dup := byID[t.ID]; dup {
			return "", nil, lineErr(file, rec.line, "technique %s is already listed on line %d", t.ID, out[i].Line)
		}
		byID[t.ID] = len(out)
		out = append(out, t)
	}
	if len(out) == 0 {
		return "", nil, &Error{File: file, Reason: "no techniques"}
	}
	for _, t := range out {
		if parent, _, sub := strings.Cut(t.ID, "."); sub {
			i, ok := byID[parent]
			if !ok {
				return "", nil, lineErr(file, t.Line, "sub-technique %s has no parent %s in the file", t.ID, parent)
			}
			if t.Status == StatusActive && out[i].Status != StatusActive {
				return "", nil, lineErr(file, t.Line, "active sub-technique %s has a %s parent %s", t.ID, out[i].Status, parent)
			}
		}
		if t.Status == StatusRevoked {
			i, ok := byID[t.RevokedBy]
			if !ok {
				return "", nil, lineErr(file, t.Line, "%s is revoked by %s, which is not in the file", t.ID, t.RevokedBy)
			}
			if out[i].Status != StatusActive {
				return "", nil, lineErr(file, t.Line, "%s is revoked by %s, which is %s", t.ID, t.RevokedBy, out[i].Status)
			}
		}
	}
	slices.SortFunc(out, func(a, b Technique) int { return strings.Compare(a.ID, b.ID) })
	return version, out, nil
}

// parseTechnique checks one row on its own.
func parseTechnique(file string, rec record, tacticID map[string]string, tacticRank map[string]int) (Technique, error) {
	if len(rec.fields) != 7 {
		return Technique{}, lineErr(file, rec.line, "want 7 tab-separated fields (id, tactics, platforms, name, Chinese name, status, revoked by), got %d", len(rec.fields))
	}
	f := rec.fields
	t := Technique{ID: f[0], Name: f[3], NameZH: f[4], Status: f[5], Line: rec.line}
	if !techniqueIDPattern.MatchString(t.ID) {
		return Technique{}, lineErr(file, rec.line, "technique id %q is not of the form T0000 or T0000.000", t.ID)
	}
	for _, short := range strings.Split(f[1], ",") {
		id, ok := tacticID[short]
		if !ok {
			return Technique{}, lineErr(file, rec.line, "%s: %q is not a tactic short name of the tactics file", t.ID, short)
		}
		if slices.Contains(t.Tactics, id) {
			return Technique{}, lineErr(file, rec.line, "%s: tactic %q is listed twice", t.ID, short)
		}
		t.Tactics = append(t.Tactics, id)
	}
	slices.SortFunc(t.Tactics, func(a, b string) int { return tacticRank[a] - tacticRank[b] })
	for _, token := range strings.Split(f[2], ",") {
		name, ok := platformNames[token]
		if !ok {
			return Technique{}, lineErr(file, rec.line, "%s: platform %q is not one of linux, containers, pre", t.ID, token)
		}
		if slices.Contains(t.Platforms, name) {
			return Technique{}, lineErr(file, rec.line, "%s: platform %q is listed twice", t.ID, token)
		}
		t.Platforms = append(t.Platforms, name)
	}
	slices.SortFunc(t.Platforms, func(a, b string) int {
		return slices.Index(platformOrder, a) - slices.Index(platformOrder, b)
	})
	if err := checkName(file, rec.line, t.ID+" name", t.Name); err != nil {
		return Technique{}, err
	}
	if err := checkName(file, rec.line, t.ID+" Chinese name", t.NameZH); err != nil {
		return Technique{}, err
	}
	revokedBy := f[6]
	switch t.Status {
	case StatusActive, StatusDeprecated:
		if revokedBy != "-" {
			return Technique{}, lineErr(file, rec.line, "%s is %s, so its revoked-by field must be \"-\", not %q", t.ID, t.Status, revokedBy)
		}
	case StatusRevoked:
		if !techniqueIDPattern.MatchString(revokedBy) {
			return Technique{}, lineErr(file, rec.line, "%s is revoked, so its revoked-by field must be a technique id, not %q", t.ID, revokedBy)
		}
		if revokedBy == t.ID {
			return Technique{}, lineErr(file, rec.line, "%s cannot be revoked by itself", t.ID)
		}
		t.RevokedBy = revokedBy
	default:
		return Technique{}, lineErr(file, rec.line, "%s: status %q is not active, deprecated or revoked", t.ID, t.Status)
	}
	return t, nil
}
