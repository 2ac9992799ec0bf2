package attack

import (
	"cmp"
	"slices"
	"strings"
)

// Cell is one technique of the matrix with its counts.
type Cell struct {
	// ID, Name and NameZH name the technique.
	ID     string `json:"id"`
	Name   string `json:"name"`
	NameZH string `json:"name_zh,omitempty"`
	// Covered is the count given for this very id in Matrix's covered map
	// (say, the number of rules tagged with it); Fired the same for the
	// fired map (say, the number of alerts).
	Covered int `json:"covered"`
	Fired   int `json:"fired"`
	// TotalCovered and TotalFired add the counts of the sub-techniques
	// shown under the technique in this column; a console colours a cell
	// by them.
	TotalCovered int `json:"total_covered"`
	TotalFired   int `json:"total_fired"`
	// SubTechniques are the sub-techniques of the technique that belong to
	// the column's tactic, by name.
	SubTechniques []Cell `json:"sub_techniques,omitempty"`
}

// Column is one tactic of the matrix.
type Column struct {
	Tactic Tactic `json:"tactic"`
	// Techniques are the tactic's techniques, by name.
	Techniques []Cell `json:"techniques"`
	// CoveredTechniques and FiredTechniques count the techniques of the
	// column whose TotalCovered, respectively TotalFired, is above zero.
	CoveredTechniques int `json:"covered_techniques"`
	FiredTechniques   int `json:"fired_techniques"`
}

// Coverage is the ATT&CK matrix with counts, as Matrix returns it.
type Coverage struct {
	// Version is the ATT&CK release of the table.
	Version string `json:"version"`
	// Columns are the fourteen tactics in matrix order.
	Columns []Column `json:"columns"`
	// Unmapped are the ids of the maps that are not in the matrix: ids of
	// other platforms, deprecated ids and malformed keys, by id.
	Unmapped []Cell `json:"unmapped,omitempty"`
}

// counts are the two counts of one id.
type counts struct{ covered, fired int }

// Matrix lays out every active technique under each of its tactics with the
// counts of covered and fired, keyed by technique id in any case (either
// map may be nil). A technique of several tactics appears, with the same
// counts, in each of their columns. Counts of a revoked id go to its
// replacement; counts of ids the matrix does not show are listed in
// Unmapped, so that nothing given is lost. Counts of zero or less are
// ignored.
func Matrix(covered, fired map[string]int) Coverage {
	shown := map[string]counts{}  // active techniques of the matrix
	hidden := map[string]counts{} // everything else, for Unmapped
	tally := func(m map[string]int, fired bool) {
		for key, n := range m {
			if n <= 0 {
				continue
			}
			id, inMatrix := place(key)
			dst := hidden
			if inMatrix {
				dst = shown
			}
			c := dst[id]
			if fired {
				c.fired += n
			} else {
				c.covered += n
			}
			dst[id] = c
		}
	}
	tally(covered, false)
	tally(fired, true)

	cov := Coverage{Version: Version, Columns: make([]Column, len(tacticTable))}
	for i, tactic := range tacticTable {
		col := Column{Tactic: tactic, Techniques: []Cell{}}
		for _, t := range techniqueTable {
			if !t.Active() || t.IsSubTechnique() || !slices.Contains(t.Tactics, tactic.ID) {
				continue
			}
			cell := newCell(t, shown[t.ID])
			for _, si := range subTechniques[t.ID] {
				sub := techniqueTable[si]
				if !slices.Contains(sub.Tactics, tactic.ID) {
					continue
				}
				sc := newCell(sub, shown[sub.ID])
				cell.TotalCovered += sc.Covered
				cell.TotalFired += sc.Fired
				cell.SubTechniques = append(cell.SubTechniques, sc)
			}
			sortCells(cell.SubTechniques)
			if cell.TotalCovered > 0 {
				col.CoveredTechniques++
			}
			if cell.TotalFired > 0 {
				col.FiredTechniques++
			}
			col.Techniques = append(col.Techniques, cell)
		}
		sortCells(col.Techniques)
		cov.Columns[i] = col
	}
	for id, c := range hidden {
		cell := Cell{ID: id, Covered: c.covered, Fired: c.fired, TotalCovered: c.covered, TotalFired: c.fired}
		if t, ok := Lookup(id); ok {
			cell.Name, cell.NameZH = t.Name, t.NameZH
		}
		cov.Unmapped = append(cov.Unmapped, cell)
	}
	slices.SortFunc(cov.Unmapped, func(a, b Cell) int { return strings.Compare(a.ID, b.ID) })
	return cov
}

// place returns the id under which the counts of a key are kept, and
// whether that id is an active technique of the matrix: a revoked id counts
// for its replacement, a well-formed id outside the matrix is kept in
// canonical form, anything else as given (without surrounding spaces).
func place(key string) (string, bool) {
	if t, ok := Resolve(key); ok && t.Active() {
		return t.ID, true
	}
	if canon, ok := NormalizeID(key); ok {
		return canon, false
	}
	return strings.TrimSpace(key), false
}

// newCell is the cell of t with its own counts.
func newCell(t Technique, c counts) Cell {
	return Cell{
		ID: t.ID, Name: t.Name, NameZH: t.NameZH,
		Covered: c.covered, Fired: c.fired,
		TotalCovered: c.covered, TotalFired: c.fired,
	}
}

// sortCells orders cells by English name, as the ATT&CK site does, then id.
func sortCells(cells []Cell) {
	slices.SortFunc(cells, func(a, b Cell) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
}
