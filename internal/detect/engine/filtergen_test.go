package engine

import (
	"fmt"
	"regexp"
	"strings"
)

// genFilter is a generated meta filter: the rules it names (by number)
// and its searches and condition, whose search names start with prefix so
// that they can also be merged into the rules.
type genFilter struct {
	id       string
	targets  []int
	searches string
	cond     string
}

// filterSet is a rule set with meta filters: the rules alone, the filter
// documents, and the rules with each filter merged into the rules it
// names, as the Sigma tools apply filters (`rule and (filter)`).
type filterSet struct {
	rules, filters, merged string
	// named marks the rules some filter names, by id.
	named map[string]bool
}

// filters returns n meta filters over the rules 0 to rules-1 (made
// before by g.rules). Each names one to five rules of one log source, by
// id or by title, and searches what events of that source often hold
// (users, parents, ports, paths), so that filters do take matches away.
func (g *gen) filters(n, rules int) []genFilter {
	out := make([]genFilter, n)
	for k := range out {
		first := g.r.IntN(rules)
		ls := g.logsources[first]
		f := genFilter{id: fmt.Sprintf("flt-%04d", k), targets: []int{first}}
		want := 1 + g.r.IntN(5)
		for i := 0; i < 40 && len(f.targets) < want; i++ {
			if o := g.r.IntN(rules); g.logsources[o] == ls && !containsInt(f.targets, o) {
				f.targets = append(f.targets, o)
			}
		}
		prefix := fmt.Sprintf("mf%d_", k)
		var b strings.Builder
		nsearch := 1 + g.r.IntN(2)
		for s := 0; s < nsearch; s++ {
			fmt.Fprintf(&b, "    %s%c:\n%s", prefix, 'a'+s, g.filterMatch(ls))
		}
		f.searches = b.String()
		switch x := g.r.IntN(20); {
		case x < 12:
			f.cond = "not " + prefix + "a"
		case x < 15:
			// An inclusion filter: the rules keep only these events.
			f.cond = prefix + "a"
		case x < 17 && nsearch > 1:
			f.cond = fmt.Sprintf("not (%sa and %sb)", prefix, prefix)
		default:
			f.cond = "not 1 of " + prefix + "*"
		}
		out[k] = f
	}
	return out
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// filterMatch returns the field matches of one filter search for rules
// of logsource: common values of that source's events. auditd filters
// name ECS fields only, so that merging them into a rule does not widen
// the events the rule selects.
func (g *gen) filterMatch(logsource string) string {
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("        user.name: %s\n", quote(g.pick(genUsers)))
	case 1:
		return fmt.Sprintf("        user.name:\n            - %s\n            - %s\n", quote(g.pick(genUsers)), quote(g.pick(genUsers)))
	}
	switch {
	case strings.Contains(logsource, "process_creation"):
		switch g.r.IntN(4) {
		case 0:
			return fmt.Sprintf("        ParentImage: %s\n", quote(g.pick(genParents)))
		case 1:
			return fmt.Sprintf("        CommandLine|contains: %s\n", quote(g.pick(genArgs)))
		case 2:
			return "        process.ancestry.name: bash\n"
		}
		b := g.pick(genBinaries)
		return fmt.Sprintf("        Image|endswith: %s\n        CurrentDirectory|startswith: %s\n", quote(b[strings.LastIndexByte(b, '/'):]), quote(g.pick(genPaths)))
	case strings.Contains(logsource, "network_connection"):
		switch g.r.IntN(3) {
		case 0:
			return fmt.Sprintf("        DestinationPort:\n            - %d\n            - %d\n", []int{22, 53, 80}[g.r.IntN(3)], []int{443, 4444, 8080}[g.r.IntN(3)])
		case 1:
			return "        Initiated: 'true'\n"
		}
		return fmt.Sprintf("        DestinationIp|cidr: '198.51.%d.0/18'\n", 64*g.r.IntN(4))
	case strings.Contains(logsource, "file_event"):
		if g.r.IntN(2) == 0 {
			return fmt.Sprintf("        TargetFilename|startswith: %s\n", quote(g.pick(genPaths)))
		}
		return "        Image|endswith: /tee\n"
	case strings.Contains(logsource, "auditd"):
		return fmt.Sprintf("        process.parent.executable: %s\n", quote(g.pick(genParents)))
	}
	return "        - 'invalid user'\n"
}

var conditionLine = regexp.MustCompile(`(?m)^    condition: (.*)\n`)

// filterSet returns the rules text, n filters over them, and the rules
// with the filters merged in.
func (g *gen) filterSet(rules, n int) filterSet {
	docs := make([]string, rules)
	for i := range docs {
		docs[i] = g.rule(i)
	}
	fs := g.filters(n, rules)
	byRule := map[int][]genFilter{}
	var filterDocs []string
	named := map[string]bool{}
	for _, f := range fs {
		var refs []string
		for _, t := range f.targets {
			byRule[t] = append(byRule[t], f)
			named[fmt.Sprintf("gen-%04d", t)] = true
			if g.r.IntN(2) == 0 {
				refs = append(refs, fmt.Sprintf("gen-%04d", t))
			} else {
				refs = append(refs, quote(fmt.Sprintf("Generated rule %d", t)))
			}
		}
		ls := g.logsources[f.targets[0]]
		if g.r.IntN(3) == 0 {
			ls = "{product: linux}"
		}
		filterDocs = append(filterDocs, fmt.Sprintf("title: Generated filter %s\nid: %s\nlogsource: %s\nfilter:\n    rules: [%s]\n%s    condition: %s\n",
			f.id, f.id, ls, strings.Join(refs, ", "), f.searches, f.cond))
	}
	merged := make([]string, rules)
	for i, doc := range docs {
		merged[i] = doc
		if len(byRule[i]) == 0 {
			continue
		}
		m := conditionLine.FindStringSubmatchIndex(doc)
		cond := "(" + doc[m[2]:m[3]] + ")"
		var searches strings.Builder
		for _, f := range byRule[i] {
			searches.WriteString(f.searches)
			cond += " and (" + f.cond + ")"
		}
		merged[i] = doc[:m[0]] + searches.String() + "    condition: " + cond + "\n" + doc[m[1]:]
	}
	return filterSet{
		rules:   strings.Join(docs, "---\n"),
		filters: strings.Join(filterDocs, "---\n"),
		merged:  strings.Join(merged, "---\n"),
		named:   named,
	}
}
