package attack

//go:generate go run ./internal/gen -tactics data/tactics.tsv -techniques data/techniques.tsv -o table_gen.go

import (
	"slices"
	"strings"
)

// Tactic is an ATT&CK Enterprise tactic.
type Tactic struct {
	// ID is the ATT&CK id, e.g. "TA0004".
	ID string `json:"id"`
	// ShortName is the name in Sigma tags and STIX, e.g.
	// "privilege-escalation".
	ShortName string `json:"short_name"`
	// Name is the English name, e.g. "Privilege Escalation".
	Name string `json:"name"`
	// NameZH is the Chinese name, e.g. "权限提升".
	NameZH string `json:"name_zh"`
}

// Technique is an ATT&CK technique or sub-technique.
type Technique struct {
	// ID is the ATT&CK id: "T1059" or, for a sub-technique, "T1059.004".
	ID string `json:"id"`
	// Name is the English name ("Unix Shell"; for a sub-technique without
	// its parent's name).
	Name string `json:"name"`
	// NameZH is the Chinese name.
	NameZH string `json:"name_zh"`
	// Tactics are the ids of the tactics the technique belongs to, in
	// matrix order.
	Tactics []string `json:"tactics"`
	// Platforms are the platforms of the table that the technique applies
	// to: "Linux", "Containers", "PRE".
	Platforms []string `json:"platforms"`
	// Deprecated is set for a technique ATT&CK no longer maintains.
	Deprecated bool `json:"deprecated,omitempty"`
	// Revoked is set for a technique ATT&CK replaced by RevokedBy.
	Revoked bool `json:"revoked,omitempty"`
	// RevokedBy is the id of the technique that replaces a revoked one.
	RevokedBy string `json:"revoked_by,omitempty"`
}

// Active reports whether t is neither deprecated nor revoked.
func (t Technique) Active() bool { return !t.Deprecated && !t.Revoked }

// IsSubTechnique reports whether t is a sub-technique (T1234.001).
func (t Technique) IsSubTechnique() bool { return strings.Contains(t.ID, ".") }

// ParentID returns the id of a sub-technique's parent, or "" for a
// technique.
func (t Technique) ParentID() string {
	parent, _, sub := strings.Cut(t.ID, ".")
	if !sub {
		return ""
	}
	return parent
}

// URL returns the technique's page on the ATT&CK site.
func (t Technique) URL() string {
	return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(t.ID, ".", "/") + "/"
}

// clone returns t with slices of its own, so that callers cannot change
// the table.
func (t Technique) clone() Technique {
	t.Tactics = slices.Clone(t.Tactics)
	t.Platforms = slices.Clone(t.Platforms)
	return t
}

var (
	// techniqueIndex maps a canonical technique id to its place in
	// techniqueTable.
	techniqueIndex = indexTechniques()
	// tacticIndex maps a tactic id and short name to its place in
	// tacticTable.
	tacticIndex = indexTactics()
	// subTechniques maps a technique id to the places of its active
	// sub-techniques in techniqueTable.
	subTechniques = indexSubTechniques()
)

func indexTechniques() map[string]int {
	m := make(map[string]int, len(techniqueTable))
	for i, t := range techniqueTable {
		m[t.ID] = i
	}
	return m
}

func indexTactics() map[string]int {
	m := make(map[string]int, 2*len(tacticTable))
	for i, t := range tacticTable {
		m[t.ID] = i
		m[t.ShortName] = i
	}
	return m
}

func indexSubTechniques() map[string][]int {
	m := map[string][]int{}
	for i, t := range techniqueTable {
		if p := t.ParentID(); p != "" && t.Active() {
			m[p] = append(m[p], i)
		}
	}
	return m
}

// Tactics returns the fourteen Enterprise tactics in matrix order.
func Tactics() []Tactic { return slices.Clone(tacticTable) }

// LookupTactic finds a tactic by id ("TA0004", any case) or by short name
// as Sigma tags write it, with hyphens or underscores
// ("privilege-escalation", "privilege_escalation") or as its English name
// ("Privilege Escalation").
func LookupTactic(s string) (Tactic, bool) {
	key := strings.ToLower(strings.TrimSpace(s))
	if isTacticID(key) {
		key = strings.ToUpper(key)
	} else {
		key = strings.Map(hyphenate, key)
	}
	i, ok := tacticIndex[key]
	if !ok {
		return Tactic{}, false
	}
	return tacticTable[i], true
}

// hyphenate maps the separators of tactic names in Sigma tags and English
// ("_", " ") to the hyphen of short names.
func hyphenate(r rune) rune {
	if r == '_' || r == ' ' {
		return '-'
	}
	return r
}

// isTacticID reports whether s is "ta" and four digits.
func isTacticID(s string) bool {
	if len(s) != 6 || s[:2] != "ta" {
		return false
	}
	for _, c := range s[2:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// NormalizeID returns the canonical form of a technique id ("t1059.004" ->
// "T1059.004"), and false when s is not of the form T0000 or T0000.000
// (surrounding spaces and case aside). It does not look the id up.
func NormalizeID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 9 {
		return "", false
	}
	if s[0] != 'T' && s[0] != 't' {
		return "", false
	}
	for i := 1; i < len(s); i++ {
		if i == 5 {
			if s[i] != '.' {
				return "", false
			}
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return "T" + s[1:], true
}

// Lookup finds a technique or sub-technique by id, in any case
// ("t1059.004", "T1059.004"). It also finds revoked and deprecated ones;
// see Technique.Active and Resolve.
func Lookup(id string) (Technique, bool) {
	canon, ok := NormalizeID(id)
	if !ok {
		return Technique{}, false
	}
	i, ok := techniqueIndex[canon]
	if !ok {
		return Technique{}, false
	}
	return techniqueTable[i].clone(), true
}

// Resolve is Lookup that follows a revoked technique to its replacement
// (T1156 -> T1546.004). A deprecated technique resolves to itself; callers
// that want only current techniques check Active.
func Resolve(id string) (Technique, bool) {
	t, ok := Lookup(id)
	if ok && t.Revoked {
		return Lookup(t.RevokedBy)
	}
	return t, ok
}

// Techniques returns the active techniques and sub-techniques, sorted by
// id.
func Techniques() []Technique {
	out := make([]Technique, 0, len(techniqueTable))
	for _, t := range techniqueTable {
		if t.Active() {
			out = append(out, t.clone())
		}
	}
	return out
}

// Parent returns the parent technique of a sub-technique id ("T1059.004" ->
// T1059). The sub-technique itself need not be in the table (T1059.001,
// PowerShell, is Windows-only but its parent is here); false for a
// technique id, a malformed id or a parent that is not in the table.
func Parent(id string) (Technique, bool) {
	canon, ok := NormalizeID(id)
	if !ok {
		return Technique{}, false
	}
	parent, _, sub := strings.Cut(canon, ".")
	if !sub {
		return Technique{}, false
	}
	return Lookup(parent)
}

// SubTechniques returns the active sub-techniques of a technique, sorted by
// id; none for an unknown id or a sub-technique.
func SubTechniques(id string) []Technique {
	canon, ok := NormalizeID(id)
	if !ok {
		return nil
	}
	var out []Technique
	for _, i := range subTechniques[canon] {
		out = append(out, techniqueTable[i].clone())
	}
	return out
}
