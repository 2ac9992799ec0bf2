package intel

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Fields Enrich writes.
const (
	FieldEnrichments   = "threat.enrichments"
	FieldIntelFields   = "vigil.intel.fields"
	FieldIntelSources  = "vigil.intel.sources"
	FieldIntelSeverity = "vigil.intel.severity"
	FieldIntelIDs      = "vigil.intel.ids"
	// MatchType is matched.type of the enrichments Enrich adds.
	MatchType = "indicator_match_rule"
)

// valueKind is how an event field's value is looked up.
type valueKind uint8

const (
	kindIP valueKind = iota
	kindDomain
	kindURL
	kindHash
)

// enrichField is one event field Enrich looks at.
type enrichField struct {
	path string
	kind valueKind
}

// enrichFields are the event fields Enrich looks at, in the order its
// enrichments are listed.
var enrichFields = []enrichField{
	{"source.ip", kindIP}, {"destination.ip", kindIP}, {"client.ip", kindIP}, {"server.ip", kindIP},
	{"dns.question.name", kindDomain}, {"destination.domain", kindDomain}, {"server.domain", kindDomain}, {"url.domain", kindDomain},
	{"url.full", kindURL}, {"url.original", kindURL},
	{"process.hash.md5", kindHash}, {"process.hash.sha1", kindHash}, {"process.hash.sha256", kindHash},
	{"process.parent.hash.md5", kindHash}, {"process.parent.hash.sha1", kindHash}, {"process.parent.hash.sha256", kindHash},
	{"file.hash.md5", kindHash}, {"file.hash.sha1", kindHash}, {"file.hash.sha256", kindHash},
	{"dll.hash.md5", kindHash}, {"dll.hash.sha1", kindHash}, {"dll.hash.sha256", kindHash},
}

// EnrichFields returns the event fields Enrich looks at.
func EnrichFields() []string {
	out := make([]string, len(enrichFields))
	for i, f := range enrichFields {
		out[i] = f.path
	}
	return out
}

// fieldNode is a level of the tree of enrichFields' paths: the event is
// walked along it by direct lookups, so that the keys of an event that
// hold nothing of interest cost nothing.
type fieldNode struct {
	name     string
	children []*fieldNode
	field    int // index in enrichFields of a leaf; -1 inside
	// flat are the paths of the leaves under the node, relative to its
	// parent ("hash.md5" under "process"): the keys to look for in the
	// parent object when the node's own object is absent.
	flat []flatLeaf
}

// flatLeaf is a dotted key and the field it names.
type flatLeaf struct {
	key   string
	field int
}

var fieldTree = buildFieldTree()

func buildFieldTree() *fieldNode {
	root := &fieldNode{field: -1}
	for i, f := range enrichFields {
		n := root
		for seg := range strings.SplitSeq(f.path, ".") {
			c := n.child(seg)
			if c == nil {
				c = &fieldNode{name: seg, field: -1}
				n.children = append(n.children, c)
			}
			n = c
		}
		n.field = i
	}
	root.addFlat()
	return root
}

// addFlat fills in the flat keys of the nodes under n.
func (n *fieldNode) addFlat() {
	for _, c := range n.children {
		c.addFlat()
		if c.field >= 0 {
			continue
		}
		for _, g := range c.children {
			if g.field >= 0 {
				c.flat = append(c.flat, flatLeaf{c.name + "." + g.name, g.field})
			}
			for _, l := range g.flat {
				c.flat = append(c.flat, flatLeaf{c.name + "." + l.key, l.field})
			}
		}
	}
}

func (n *fieldNode) child(name string) *fieldNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// candidate is one value of a field of interest found in an event.
type candidate struct {
	field int
	value string
}

// maxCandidates bounds the values looked up in one event.
const maxCandidates = 16

// candidates collects the string values of the fields of interest.
type candidates struct {
	n    int
	list [maxCandidates]candidate
}

func (c *candidates) add(field int, v any) {
	switch t := v.(type) {
	case string:
		if t != "" && c.n < maxCandidates {
			c.list[c.n] = candidate{field, t}
			c.n++
		}
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				c.add(field, s)
			}
		}
	case []string:
		for _, s := range t {
			c.add(field, s)
		}
	}
}

// walk looks up the fields of interest under node n in the event
// object m: each child's key; where a child's object is absent, the
// dotted keys of the leaves under it ({"process": {"hash.md5": ...}}, or
// {"process.hash.md5": ...} at the top). Objects whose own keys are
// partly dotted ({"process.parent": {"hash": ...}}) are not followed.
func (c *candidates) walk(m map[string]any, n *fieldNode) {
	for _, child := range n.children {
		v, ok := m[child.name]
		switch {
		case child.field >= 0:
			if !ok {
				continue
			}
			if s, isString := v.(string); isString {
				if s != "" && c.n < maxCandidates {
					c.list[c.n] = candidate{child.field, s}
					c.n++
				}
				continue
			}
			c.add(child.field, v)
			continue
		case ok:
			switch sub := v.(type) {
			case map[string]any:
				c.walk(sub, child)
				continue
			case event.Event:
				c.walk(sub, child)
				continue
			}
		}
		for _, l := range child.flat {
			if v, ok := m[l.key]; ok {
				c.add(l.field, v)
			}
		}
	}
}

// sort orders the candidates by field, keeping the order of values of
// one field (a few values: insertion sort, no allocation).
func (c *candidates) sort() {
	for i := 1; i < c.n; i++ {
		for j := i; j > 0 && c.list[j].field < c.list[j-1].field; j-- {
			c.list[j], c.list[j-1] = c.list[j-1], c.list[j]
		}
	}
}

// match is one indicator matched by one candidate.
type match struct {
	cand int   // index in candidates
	ind  int32 // position in the matcher's indicators
}

// Enrich adds to ev what the indicators say of it and returns the number
// of enrichments added (0 when nothing matched). It looks at the values
// of the fields EnrichFields lists (strings, or lists of strings), in
// nested objects as Vigil's events hold them, or under dotted keys where
// the object is absent ({"source.ip": ...}, {"process": {"hash.md5":
// ...}}): addresses (IPv4-mapped ones unmapped, zones
// ignored, private and loopback ones too) exactly and in every network
// indicator holding them; domains (any case, with or without the
// trailing dot, international ones converted) and their parents; URLs
// in their canonical form (see Normalize); hashes in either case. An
// indicator that expired since the last load does not match.
//
// For each match it appends to threat.enrichments
//
//	{"indicator": {"type": "ipv4-addr"|"ipv6-addr"|"domain-name"|"url"|"file",
//	               "ip"|"domain": VALUE | "url": {"full": VALUE} | "file": {"hash": {"sha256": VALUE}},
//	               "provider": SOURCE, "description": ..., "confidence": "Low"|"Medium"|"High",
//	               "reference": ... (when there is one)},
//	 "matched": {"atomic": THE EVENT'S VALUE, "field": "source.ip", "id": INDICATOR ID,
//	             "type": "indicator_match_rule"}}
//
// (confidence: Low below 30, Medium below 70, High from 70), unless an
// equal one (same indicator, same field) is there already, and sets
// vigil.intel.fields, vigil.intel.sources and vigil.intel.ids (sorted,
// unique) and vigil.intel.severity (the highest). Lists are []any and
// objects map[string]any, as in decoded events.
//
// When nothing matches, ev is left untouched and nothing is allocated.
// Safe for concurrent use.
func (s *Service) Enrich(ev event.Event) int {
	m := s.state.Load().m
	if m.Len() == 0 || len(ev) == 0 {
		return 0
	}
	var c candidates
	c.walk(ev, fieldTree)
	if c.n == 0 {
		return 0
	}
	c.sort()
	var (
		buf     [16]match
		matches = buf[:0]
		groups  [8]int32
		name    [maxDomainLen + 1]byte
		urlBuf  [512]byte
	)
	for i := range c.n {
		cand := &c.list[i]
		gs := groups[:0]
		switch enrichFields[cand.field].kind {
		case kindIP:
			gs = m.lookupEventAddr(cand.value, gs)
		case kindDomain:
			gs = m.lookupEventDomain(cand.value, name[:0], gs)
		case kindURL:
			gs = m.lookupEventURL(cand.value, urlBuf[:0], gs)
		case kindHash:
			gs = m.lookupHash(cand.value, gs)
		}
		for _, g := range gs {
			for _, ind := range m.group(g) {
				matches = append(matches, match{cand: i, ind: ind})
			}
		}
	}
	if len(matches) == 0 {
		return 0
	}
	return s.apply(ev, m, &c, matches)
}

// lookupEventAddr looks up an address as events write it.
func (m *Matcher) lookupEventAddr(v string, dst []int32) []int32 {
	if !addrChars(v) {
		// Not an address: netip's error would allocate.
		return dst
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return dst
	}
	return m.lookupAddr(a, 128, dst)
}

// addrChars reports whether s may be an address: hex digits, dots and
// colons, then an optional zone.
func addrChars(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			return i > 0
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// lookupEventDomain lower-cases a name into buf (on the caller's stack)
// and looks it up with its parents. Names that are not plain ASCII go
// through Normalize.
func (m *Matcher) lookupEventDomain(v string, buf []byte, dst []int32) []int32 {
	v = strings.TrimSuffix(v, ".")
	if len(v) == 0 || len(m.domains) == 0 {
		return dst
	}
	if len(v) > maxDomainLen || !isASCII(v) {
		n, err := normalizeDomain(v)
		if err != nil {
			return dst
		}
		return m.lookupDomain(n, dst)
	}
	buf = appendLower(buf, v)
	for i := 0; ; {
		j := slices.Index(buf[i:], '.')
		if j < 0 {
			// The last label alone: no domain indicator.
			return dst
		}
		if m.filter.has(m.hashBytes(kindDomainKey, buf[i:])) {
			if g, ok := m.domains[string(buf[i:])]; ok {
				dst = append(dst, g)
			}
		}
		i += j + 1
	}
}

// lookupEventURL puts a URL in its canonical form in buf and looks it
// up. URLs with a host that is not plain ASCII go through Normalize.
func (m *Matcher) lookupEventURL(v string, buf []byte, dst []int32) []int32 {
	if len(m.urls) == 0 {
		return dst
	}
	canon, ok := appendCanonicalURL(buf, v)
	if !ok {
		// A relative URL (url.original of a web request) has no
		// scheme: nothing to match. Only an international host needs
		// the full normalization.
		if isASCII(v) || !strings.Contains(v, "://") {
			return dst
		}
		n, err := normalizeURL(v)
		if err != nil {
			return dst
		}
		canon = []byte(n)
	}
	return m.lookupURL(canon, dst)
}

// apply writes the matches into the event and counts the hits.
func (s *Service) apply(ev event.Event, m *Matcher, c *candidates, matches []match) int {
	now := s.cfg.Now()
	existing, _ := ev.Get(FieldEnrichments)
	list, _ := existing.([]any)
	// have are the (indicator id, field) pairs listed already: those of
	// an earlier Enrich, then those added now.
	var have [][2]string
	for _, e := range list {
		if mm, ok := e.(map[string]any); ok {
			if matched, ok := mm["matched"].(map[string]any); ok {
				id, _ := matched["id"].(string)
				field, _ := matched["field"].(string)
				have = append(have, [2]string{id, field})
			}
		}
	}
	var (
		fields, sources, ids []string
		severity             string
		added                int
		hit                  []int32 // distinct positions of the indicators matched
	)
	for _, mt := range matches {
		in := &m.ins[mt.ind]
		if !in.ExpiresAt.IsZero() && !now.Before(in.ExpiresAt) {
			continue
		}
		cand := c.list[mt.cand]
		field := enrichFields[cand.field].path
		fields = append(fields, field)
		sources = append(sources, in.Source)
		ids = append(ids, in.ID)
		if severities[in.Severity] > severities[severity] {
			severity = in.Severity
		}
		if !slices.Contains(hit, mt.ind) {
			hit = append(hit, mt.ind)
		}
		key := [2]string{in.ID, field}
		if slices.Contains(have, key) {
			continue
		}
		have = append(have, key)
		list = append(list, enrichment(in, field, cand.value))
		added++
	}
	if len(ids) == 0 {
		return 0
	}
	ev.Set(FieldEnrichments, list)
	ev.Set(FieldIntelFields, sortedUnique(fields))
	ev.Set(FieldIntelSources, sortedUnique(sources))
	ev.Set(FieldIntelSeverity, severity)
	ev.Set(FieldIntelIDs, sortedUnique(ids))
	s.enriched.Add(1)
	s.hitTotal.Add(uint64(len(hit)))
	for _, ind := range hit {
		s.hits.add(m.ins[ind].ID, ind)
	}
	return added
}

// enrichment is the threat.enrichments entry of one match.
func enrichment(in *store.Indicator, field, atomic string) map[string]any {
	ind := map[string]any{
		"provider":    in.Source,
		"description": in.Description,
		"confidence":  confidenceLevel(in.Confidence),
	}
	if in.Reference != "" {
		ind["reference"] = in.Reference
	}
	switch in.Type {
	case store.IndicatorIP:
		ind["type"] = "ipv4-addr"
		if strings.Contains(in.Value, ":") {
			ind["type"] = "ipv6-addr"
		}
		ind["ip"] = in.Value
	case store.IndicatorDomain:
		ind["type"] = "domain-name"
		ind["domain"] = in.Value
	case store.IndicatorURL:
		ind["type"] = "url"
		ind["url"] = map[string]any{"full": in.Value}
	default:
		ind["type"] = "file"
		ind["file"] = map[string]any{"hash": map[string]any{string(in.Type): in.Value}}
	}
	return map[string]any{
		"indicator": ind,
		"matched": map[string]any{
			"atomic": atomic,
			"field":  field,
			"id":     in.ID,
			"type":   MatchType,
		},
	}
}

// confidenceLevel maps a confidence of 0-100 to ECS's words.
func confidenceLevel(c int) string {
	switch {
	case c >= 70:
		return "High"
	case c >= 30:
		return "Medium"
	}
	return "Low"
}

// sortedUnique returns the sorted distinct strings as a []any.
func sortedUnique(s []string) []any {
	slices.Sort(s)
	s = slices.Compact(s)
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
