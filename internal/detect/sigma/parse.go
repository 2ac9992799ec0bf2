package sigma

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Set is what a parse or a load found: the documents that parsed, and an
// error for each one that did not.
type Set struct {
	Rules        []*Rule
	Correlations []*Correlation
	Filters      []*Filter
	Errors       []*Error
}

// add appends the content of o.
func (s *Set) add(o *Set) {
	s.Rules = append(s.Rules, o.Rules...)
	s.Correlations = append(s.Correlations, o.Correlations...)
	s.Filters = append(s.Filters, o.Filters...)
	s.Errors = append(s.Errors, o.Errors...)
}

// MaxDocumentNodes bounds the YAML nodes read from one document (aliases
// counted each time they are used), so that no small file can make the
// parser do unbounded work.
const MaxDocumentNodes = 200000

// Parse reads every document of one file: rules, correlation rules, meta
// filters and the action documents of rule collections. file names the
// file in positions. A document that cannot be parsed is left out and
// reported in Set.Errors; the others are kept.
func Parse(file string, data []byte) *Set {
	p := &fileParser{file: file, set: &Set{}}
	p.parse(data)
	return p.set
}

// fileParser parses the documents of one file.
type fileParser struct {
	file string
	set  *Set
	// global is the merged content of the `action: global` documents.
	global *yaml.Node
	// previous is the last rule document (merged), for `action: repeat`.
	previous *yaml.Node
}

// chunk is one YAML document of a file: its text and the line it starts
// on.
type chunk struct {
	text []byte
	line int
}

// splitDocuments cuts a file at its document markers (`---` and `...` at
// the start of a line), so that a syntax error in one document does not
// hide the next ones.
func splitDocuments(data []byte) []chunk {
	var chunks []chunk
	start, startLine := 0, 1
	line := 1
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		l := bytes.TrimRight(data[i:next], "\r\n")
		switch {
		case isMarker(l, "---"):
			// The marker starts the next chunk: what follows it on its
			// line belongs to that document.
			chunks = append(chunks, chunk{text: data[start:i], line: startLine})
			start, startLine = i, line
		case isMarker(l, "..."):
			chunks = append(chunks, chunk{text: data[start:i], line: startLine})
			start, startLine = next, line+1
		}
		i = next
		line++
	}
	chunks = append(chunks, chunk{text: data[start:], line: startLine})
	return chunks
}

func isMarker(l []byte, m string) bool {
	if !bytes.HasPrefix(l, []byte(m)) {
		return false
	}
	rest := l[len(m):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}

// empty reports whether a chunk holds only blank lines, comments and
// directives.
func empty(text []byte) bool {
	for _, l := range bytes.Split(text, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) == 0 || l[0] == '#' || l[0] == '%' {
			continue
		}
		if bytes.Equal(l, []byte("---")) || bytes.HasPrefix(l, []byte("--- #")) {
			continue
		}
		return false
	}
	return true
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func (p *fileParser) parse(data []byte) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		data = data[3:]
	}
	for _, c := range splitDocuments(data) {
		if empty(c.text) {
			continue
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(c.text, &doc); err != nil {
			line := c.line
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
				n, _ := strconv.Atoi(msg[m[2]:m[3]])
				msg = strings.TrimSpace(strings.TrimPrefix(msg[:m[0]]+msg[m[1]:], ":"))
				// The YAML parser (unlike its scanner) counts lines from 0.
				if strings.HasPrefix(msg, "did not find expected") {
					n++
				}
				line = c.line + n - 1
			}
			p.set.Errors = append(p.set.Errors, &Error{Pos: Pos{File: p.file, Line: line}, Reason: "invalid YAML: " + msg, Err: ErrSyntax})
			continue
		}
		shiftLines(&doc, c.line-1)
		p.document(&doc)
	}
}

// shiftLines adds offset to the line of every node under n, once each.
func shiftLines(n *yaml.Node, offset int) {
	seen := map[*yaml.Node]bool{}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		n.Line += offset
		for _, c := range n.Content {
			walk(c)
		}
		walk(n.Alias)
	}
	walk(n)
}

// document parses one YAML document.
func (p *fileParser) document(doc *yaml.Node) {
	root := doc
	if root.Kind == 0 {
		return
	}
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return
		}
		root = root.Content[0]
	}
	d := &docParser{file: p.file, budget: MaxDocumentNodes}
	root = d.resolve(root)
	if root == nil {
		p.set.Errors = append(p.set.Errors, d.errs...)
		return
	}
	if root.Kind != yaml.MappingNode {
		d.errorf(root, ErrInvalid, "a Sigma document is a mapping, not a %s", kindName(root))
		p.set.Errors = append(p.set.Errors, d.errs...)
		return
	}
	if action := mapValue(root, "action"); action != nil {
		p.action(d, root, action)
		return
	}
	merged := root
	if p.global != nil {
		merged = mergeNodes(p.global, root)
	}
	p.previous = merged
	p.build(d, merged)
}

// action handles an action document of a rule collection.
func (p *fileParser) action(d *docParser, root, action *yaml.Node) {
	rest := withoutKey(root, "action")
	switch d.scalar(action, "action") {
	case "global":
		if p.global == nil {
			p.global = rest
		} else {
			p.global = mergeNodes(p.global, rest)
		}
		return
	case "reset":
		p.global = nil
		return
	case "repeat":
		if p.previous == nil {
			d.errorf(action, ErrInvalid, "action repeat needs a rule document before it")
			break
		}
		merged := mergeNodes(p.previous, rest)
		p.previous = merged
		p.build(d, merged)
		return
	default:
		if len(d.errs) == 0 {
			d.errorf(action, ErrInvalid, "unknown action %q (global, reset or repeat)", action.Value)
		}
	}
	p.set.Errors = append(p.set.Errors, d.errs...)
}

// build parses a (merged) document as a rule, correlation or filter.
func (p *fileParser) build(d *docParser, root *yaml.Node) {
	switch {
	case mapValue(root, "correlation") != nil:
		if c := d.correlation(root); c != nil && len(d.errs) == 0 {
			p.set.Correlations = append(p.set.Correlations, c)
		}
	case mapValue(root, "filter") != nil && mapValue(root, "detection") == nil:
		if f := d.filter(root); f != nil && len(d.errs) == 0 {
			p.set.Filters = append(p.set.Filters, f)
		}
	case mapValue(root, "detection") != nil:
		if r := d.rule(root); r != nil && len(d.errs) == 0 {
			p.set.Rules = append(p.set.Rules, r)
		}
	default:
		d.meta(root, nil)
		d.errorf(root, ErrInvalid, "document has no detection, correlation or filter section")
	}
	p.set.Errors = append(p.set.Errors, d.errs...)
}

// mergeNodes returns base deep-merged with over, as rule collections
// merge: mappings merge key by key (recursively), anything else in over
// replaces what base has. Neither input is changed.
func mergeNodes(base, over *yaml.Node) *yaml.Node {
	base, over = follow(base), follow(over)
	if base == nil || base.Kind != yaml.MappingNode || over == nil || over.Kind != yaml.MappingNode {
		return over
	}
	out := *base
	out.Content = append([]*yaml.Node(nil), base.Content...)
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		replaced := false
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value == k.Value {
				out.Content[j+1] = mergeNodes(out.Content[j+1], v)
				replaced = true
				break
			}
		}
		if !replaced {
			out.Content = append(out.Content, k, v)
		}
	}
	out.Line, out.Column = over.Line, over.Column
	return &out
}

// follow returns the node an alias stands for (nil for a cycle).
func follow(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

// withoutKey returns a copy of mapping m without key.
func withoutKey(m *yaml.Node, key string) *yaml.Node {
	out := *m
	out.Content = nil
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			out.Content = append(out.Content, m.Content[i], m.Content[i+1])
		}
	}
	return &out
}

// mapValue returns the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return "scalar"
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	}
	return "node"
}

// docParser parses one document, collecting its errors.
type docParser struct {
	file      string
	id, title string
	errs      []*Error
	budget    int
}

func (d *docParser) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *docParser) errorf(n *yaml.Node, sentinel error, format string, args ...any) {
	d.errAt(d.pos(n), sentinel, fmt.Sprintf(format, args...))
}

func (d *docParser) errAt(pos Pos, sentinel error, reason string) {
	d.errs = append(d.errs, &Error{Pos: pos, RuleID: d.id, Title: d.title, Reason: reason, Err: sentinel})
}

// resolve follows aliases and charges the node to the budget; nil when
// the budget is spent or an alias cannot be followed (reported).
func (d *docParser) resolve(n *yaml.Node) *yaml.Node {
	if d.budget <= 0 {
		return nil
	}
	d.budget--
	if d.budget == 0 {
		d.errorf(n, ErrInvalid, "document too large: more than %d YAML nodes (aliases counted where used)", MaxDocumentNodes)
		return nil
	}
	r := follow(n)
	if r == nil {
		d.errorf(n, ErrInvalid, "alias cannot be resolved")
	}
	return r
}

// pairs returns the keys and values of mapping n, checking that keys are
// scalars and unique. It reports merge keys as unsupported.
func (d *docParser) pairs(n *yaml.Node, what string) (keys []*yaml.Node, values []*yaml.Node, ok bool) {
	seen := map[string]*yaml.Node{}
	ok = true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i])
		v := d.resolve(n.Content[i+1])
		if k == nil || v == nil {
			return nil, nil, false
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, ErrInvalid, "keys of %s must be strings, not a %s", what, kindName(k))
			ok = false
			continue
		}
		if k.Tag == "!!merge" || k.Value == "<<" && k.Style == 0 {
			d.errorf(k, ErrUnsupported, "YAML merge keys (<<) are not supported in %s", what)
			ok = false
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.errorf(k, ErrInvalid, "key %q of %s is given twice (first on line %d)", k.Value, what, prev.Line)
			ok = false
			continue
		}
		seen[k.Value] = k
		keys = append(keys, k)
		values = append(values, v)
	}
	return keys, values, ok
}

// scalar returns the text of a scalar ("" for null), reporting any other
// node.
func (d *docParser) scalar(n *yaml.Node, what string) string {
	n = d.resolve(n)
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, ErrInvalid, "%s must be a string, not a %s", what, kindName(n))
		return ""
	}
	if n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// strings returns a list of strings, or one string as a list.
func (d *docParser) strings(n *yaml.Node, what string) []string {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return nil
		}
		return []string{n.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			c = d.resolve(c)
			if c == nil {
				return out
			}
			if c.Kind != yaml.ScalarNode {
				d.errorf(c, ErrInvalid, "items of %s must be strings, not a %s", what, kindName(c))
				continue
			}
			out = append(out, c.Value)
		}
		return out
	}
	d.errorf(n, ErrInvalid, "%s must be a list of strings, not a %s", what, kindName(n))
	return nil
}

var (
	statuses = []string{"stable", "test", "experimental", "deprecated", "unsupported"}
	levels   = []string{"informational", "low", "medium", "high", "critical"}
	relTypes = []string{"derived", "obsolete", "merged", "renamed", "similar"}
)

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if v == x {
			return true
		}
	}
	return false
}

// meta reads the metadata of a document. known lists the other keys of
// the document's kind; any key beyond them and the metadata is custom.
func (d *docParser) meta(root *yaml.Node, known []string) Meta {
	m := Meta{Pos: d.pos(root)}
	// id and title first, so that every error names the rule.
	if v := mapValue(root, "id"); v != nil {
		m.ID = d.scalar(v, "id")
		d.id = m.ID
	}
	if v := mapValue(root, "title"); v != nil {
		m.Title = d.scalar(v, "title")
		d.title = m.Title
	}
	keys, values, _ := d.pairs(root, "the document")
	for i, k := range keys {
		v := values[i]
		switch k.Value {
		case "id", "title":
		case "name":
			m.Name = d.scalar(v, "name")
		case "status":
			m.Status = d.scalar(v, "status")
			if m.Status != "" && !oneOf(m.Status, statuses) {
				d.errorf(v, ErrInvalid, "unknown status %q (%s)", m.Status, strings.Join(statuses, ", "))
			}
		case "description":
			m.Description = d.scalar(v, "description")
		case "license":
			m.License = d.scalar(v, "license")
		case "author":
			m.Author = strings.Join(d.strings(v, "author"), ", ")
		case "date":
			m.Date = d.scalar(v, "date")
		case "modified":
			m.Modified = d.scalar(v, "modified")
		case "level":
			m.Level = d.scalar(v, "level")
			if m.Level != "" && !oneOf(m.Level, levels) {
				d.errorf(v, ErrInvalid, "unknown level %q (%s)", m.Level, strings.Join(levels, ", "))
			}
		case "taxonomy":
			m.Taxonomy = d.scalar(v, "taxonomy")
		case "references":
			m.References = d.strings(v, "references")
		case "tags":
			m.Tags = d.strings(v, "tags")
		case "falsepositives":
			m.FalsePositives = d.strings(v, "falsepositives")
		case "fields":
			m.Fields = d.strings(v, "fields")
		case "scope":
			m.Scope = d.strings(v, "scope")
		case "related":
			m.Related = d.related(v)
		default:
			if oneOf(k.Value, known) {
				continue
			}
			if m.Custom == nil {
				m.Custom = map[string]Attribute{}
			}
			var val any
			if err := v.Decode(&val); err != nil {
				d.errorf(v, ErrInvalid, "attribute %s: %v", k.Value, err)
				continue
			}
			m.Custom[k.Value] = Attribute{Value: val, Pos: d.pos(k)}
		}
	}
	if m.Title == "" {
		d.errorf(root, ErrInvalid, "title is missing")
	} else if len(m.Title) > 256 {
		d.errorf(mapValue(root, "title"), ErrInvalid, "title longer than 256 characters")
	}
	return m
}

func (d *docParser) related(n *yaml.Node) []Related {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, ErrInvalid, "related must be a list of {id, type}, not a %s", kindName(n))
		return nil
	}
	var out []Related
	for _, item := range n.Content {
		item = d.resolve(item)
		if item == nil {
			return out
		}
		if item.Kind != yaml.MappingNode {
			d.errorf(item, ErrInvalid, "items of related must be mappings with id and type")
			continue
		}
		r := Related{Pos: d.pos(item)}
		keys, values, _ := d.pairs(item, "related")
		for i, k := range keys {
			switch k.Value {
			case "id":
				r.ID = d.scalar(values[i], "related id")
			case "type":
				r.Type = d.scalar(values[i], "related type")
			default:
				d.errorf(k, ErrInvalid, "unknown key %q in related (id, type)", k.Value)
			}
		}
		if r.ID == "" {
			d.errorf(item, ErrInvalid, "related item without id")
		}
		if !oneOf(r.Type, relTypes) {
			d.errorf(item, ErrInvalid, "related type %q is not one of %s", r.Type, strings.Join(relTypes, ", "))
		}
		out = append(out, r)
	}
	return out
}

// logsource reads a logsource mapping.
func (d *docParser) logsource(n *yaml.Node) Logsource {
	n = d.resolve(n)
	if n == nil {
		return Logsource{}
	}
	ls := Logsource{Pos: d.pos(n)}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, ErrInvalid, "logsource must be a mapping, not a %s", kindName(n))
		return ls
	}
	keys, values, _ := d.pairs(n, "logsource")
	for i, k := range keys {
		v := d.scalar(values[i], "logsource "+k.Value)
		switch k.Value {
		case "category":
			ls.Category = v
		case "product":
			ls.Product = v
		case "service":
			ls.Service = v
		case "definition":
			ls.Definition = v
		default:
			if ls.Custom == nil {
				ls.Custom = map[string]string{}
			}
			ls.Custom[k.Value] = v
		}
	}
	if ls.Category == "" && ls.Product == "" && ls.Service == "" {
		d.errorf(n, ErrInvalid, "logsource needs a category, product or service")
	}
	return ls
}

// rule parses a detection rule.
func (d *docParser) rule(root *yaml.Node) *Rule {
	r := &Rule{Meta: d.meta(root, []string{"logsource", "detection"})}
	if ls := mapValue(root, "logsource"); ls != nil {
		r.Logsource = d.logsource(ls)
	} else {
		d.errorf(root, ErrInvalid, "logsource is missing")
	}
	r.Detection = d.detection(mapValue(root, "detection"), "detection", nil)
	return r
}

// filter parses a meta filter.
func (d *docParser) filter(root *yaml.Node) *Filter {
	f := &Filter{Meta: d.meta(root, []string{"logsource", "filter"})}
	if ls := mapValue(root, "logsource"); ls != nil {
		f.Logsource = d.logsource(ls)
	} else {
		d.errorf(root, ErrInvalid, "logsource is missing")
	}
	section := d.resolve(mapValue(root, "filter"))
	if section == nil {
		return f
	}
	if section.Kind != yaml.MappingNode {
		d.errorf(section, ErrInvalid, "filter must be a mapping, not a %s", kindName(section))
		return f
	}
	if rules := mapValue(section, "rules"); rules != nil {
		f.Rules = d.ruleRefs(rules)
	} else {
		d.errorf(section, ErrInvalid, "filter has no rules to apply to")
	}
	f.Detection = d.detection(section, "filter", []string{"rules"})
	return f
}

// ruleRefs reads a list of rule ids or names.
func (d *docParser) ruleRefs(n *yaml.Node) []RuleRef {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		d.errorf(n, ErrInvalid, "rules must be a list of rule ids or names, not a %s", kindName(n))
		return nil
	}
	var refs []RuleRef
	seen := map[string]bool{}
	for _, item := range items {
		s := d.scalar(item, "a rule reference")
		if s == "" {
			d.errorf(item, ErrInvalid, "empty rule reference")
			continue
		}
		if seen[s] {
			d.errorf(item, ErrInvalid, "rule %q is referenced twice", s)
			continue
		}
		seen[s] = true
		refs = append(refs, RuleRef{Ref: s, Pos: d.pos(item)})
	}
	if len(refs) == 0 && len(d.errs) == 0 {
		d.errorf(n, ErrInvalid, "rules is empty")
	}
	return refs
}
