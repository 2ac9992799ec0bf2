package attack

import (
	"slices"
	"strings"
)

// tagPrefix is the namespace of ATT&CK tags in Sigma rules.
const tagPrefix = "attack."

// tagValue returns what follows "attack." in a Sigma tag, in any case.
func tagValue(tag string) (string, bool) {
	tag = strings.TrimSpace(tag)
	if len(tag) < len(tagPrefix) || !strings.EqualFold(tag[:len(tagPrefix)], tagPrefix) {
		return "", false
	}
	return tag[len(tagPrefix):], true
}

// FromTags returns the technique ids of Sigma tags ("attack.t1059.004",
// "attack.T1548" -> "T1059.004", "T1548"), sorted and unique, never nil.
// Other tags (tactics, groups "attack.g0047", software "attack.s0001",
// other namespaces, malformed ids) are skipped. Well-formed ids outside
// the table are kept, since rules may name techniques of other platforms.
func FromTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, tag := range tags {
		v, ok := tagValue(tag)
		if !ok {
			continue
		}
		if id, ok := NormalizeID(v); ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TacticsFromTags returns the tactic ids of Sigma tags, written by short
// name with hyphens or underscores ("attack.privilege-escalation",
// "attack.privilege_escalation") or by id ("attack.ta0004"), in matrix order
// and unique, never nil. Tags that name no tactic are skipped.
func TacticsFromTags(tags []string) []string {
	seen := make([]bool, len(tacticTable))
	n := 0
	for _, tag := range tags {
		v, ok := tagValue(tag)
		if !ok || strings.ContainsRune(v, ' ') {
			continue
		}
		if i, ok := lookupTacticIndex(v); ok && !seen[i] {
			seen[i] = true
			n++
		}
	}
	out := make([]string, 0, n)
	for i, t := range tacticTable {
		if seen[i] {
			out = append(out, t.ID)
		}
	}
	return out
}

// lookupTacticIndex is LookupTactic returning the place in tacticTable.
func lookupTacticIndex(s string) (int, bool) {
	t, ok := LookupTactic(s)
	if !ok {
		return 0, false
	}
	return tacticIndex[t.ID], true
}
