package engine

// automaton is an Aho-Corasick automaton over ASCII-case-folded bytes: it
// finds, in one pass over a text, every occurrence of every pattern,
// ignoring the case of ASCII letters. Its transitions are a full table
// over byte classes (each byte that occurs in a pattern has a class of
// its own, all others share class 0), so a step is two array reads.
type automaton struct {
	// class maps a text byte (folded) to its class.
	class [256]uint8
	// nclass is the number of classes.
	nclass int
	// delta is the transition table: state*nclass + class.
	delta []int32
	// outStart[s]:outStart[s+1] is the range of outIDs holding the
	// patterns that end at state s (its own and its suffixes').
	outStart []int32
	outIDs   []int32
	npat     int
}

// buildAutomaton builds the automaton of patterns (already folded, at
// least one byte each); pattern i is reported as id i. It returns nil
// for no patterns, or when the patterns use more than 255 distinct
// bytes (the caller then keeps every rule as a candidate).
func buildAutomaton(patterns []string) *automaton {
	if len(patterns) == 0 {
		return nil
	}
	a := &automaton{npat: len(patterns)}
	var used [256]bool
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	next := 1
	var folded [256]uint8
	for b := 0; b < 256; b++ {
		if used[b] {
			if next > 255 {
				return nil
			}
			folded[b] = uint8(next)
			next++
		}
	}
	a.nclass = next
	for b := 0; b < 256; b++ {
		a.class[b] = folded[lower[b]]
	}

	// The trie, with sparse children while building.
	type trieNode struct {
		next map[uint8]int32
		fail int32
		out  []int32
	}
	nodes := []trieNode{{next: map[uint8]int32{}}}
	for id, p := range patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := folded[p[i]]
			n, ok := nodes[s].next[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, trieNode{next: map[uint8]int32{}})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}

	// Breadth first: failure links and the full transition table.
	a.delta = make([]int32, len(nodes)*a.nclass)
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < a.nclass; c++ {
		if n, ok := nodes[0].next[uint8(c)]; ok {
			a.delta[c] = n
			nodes[n].fail = 0
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		// A state reports its failure state's patterns too.
		nodes[s].out = append(nodes[s].out, nodes[f].out...)
		for c := 0; c < a.nclass; c++ {
			n, ok := nodes[s].next[uint8(c)]
			if !ok {
				a.delta[int(s)*a.nclass+c] = a.delta[int(f)*a.nclass+c]
				continue
			}
			a.delta[int(s)*a.nclass+c] = n
			nodes[n].fail = a.delta[int(f)*a.nclass+c]
			queue = append(queue, n)
		}
	}
	a.outStart = make([]int32, len(nodes)+1)
	for s := range nodes {
		a.outStart[s] = int32(len(a.outIDs))
		a.outIDs = append(a.outIDs, nodes[s].out...)
	}
	a.outStart[len(nodes)] = int32(len(a.outIDs))
	return a
}

// step returns the state after reading byte b in state s.
func (a *automaton) step(s int32, b byte) int32 {
	return a.delta[int(s)*a.nclass+int(a.class[b])]
}

// outputs returns the ids of the patterns that end at state s.
func (a *automaton) outputs(s int32) []int32 {
	return a.outIDs[a.outStart[s]:a.outStart[s+1]]
}
