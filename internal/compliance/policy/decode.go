package policy

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a policy file, at a line.
type Problem struct {
	File   string
	Line   int
	Field  string // the field's path: checks[12].rules[0].config
	Reason string
}

// Error formats the problem as "file:line: field: reason".
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// nodeDecoder is a type that reads itself from a YAML node.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// decoder turns yaml.Nodes into the policy types, collecting problems
// and the line of every field.
type decoder struct {
	file     string
	problems []*Problem
	pos      map[string]int
	visits   int
}

// maxVisits bounds the nodes one policy decodes, aliases expanded.
const maxVisits = 500_000

// maxProblems bounds the problems reported for one file.
const maxProblems = 1000

func (d *decoder) problem(line int, path, format string, args ...any) {
	if len(d.problems) > maxProblems {
		return
	}
	if len(d.problems) == maxProblems {
		format, args = "more than %d problems; the rest are not shown", []any{maxProblems}
	}
	d.problems = append(d.problems, &Problem{File: d.file, Line: line, Field: path, Reason: fmt.Sprintf(format, args...)})
}

func (d *decoder) mark(path string, n *yaml.Node) {
	if _, ok := d.pos[path]; !ok {
		d.pos[path] = n.Line
	}
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

var nodeDecoderType = reflect.TypeFor[nodeDecoder]()

// decode reads n into v (settable), reporting problems under path.
func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) {
	n = resolve(n)
	if n == nil {
		return
	}
	d.visits++
	if d.visits == maxVisits {
		d.problem(n.Line, path, "the policy expands to more than %d values (aliases)", maxVisits)
	}
	if d.visits >= maxVisits {
		return
	}
	d.mark(path, n)
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecoderType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(d, n, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			d.problem(n.Line, path, "has no value")
			return
		}
		e := reflect.New(v.Type().Elem())
		d.decode(n, path, e.Elem())
		v.Set(e)
	case reflect.Struct:
		d.decodeStruct(n, path, v, nil)
	case reflect.Slice:
		if d.visits >= maxVisits {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.problem(n.Line, path, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if d.visits >= maxVisits {
				break
			}
			d.decode(c, fmt.Sprintf("%s[%d]", path, i), s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.problem(n.Line, path, "want a map, got %s", kindName(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := resolve(n.Content[i]), n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				d.problem(k.Line, path, "a key must be a string")
				continue
			}
			if seen[k.Value] {
				d.problem(k.Line, join(path, k.Value), "duplicate key")
				continue
			}
			seen[k.Value] = true
			e := reflect.New(v.Type().Elem()).Elem()
			d.mark(join(path, k.Value), k)
			d.decode(val, join(path, k.Value), e)
			m.SetMapIndex(reflect.ValueOf(k.Value), e)
		}
		v.Set(m)
	case reflect.String:
		if s, ok := d.scalar(n, path); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		switch s {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.problem(n.Line, path, "want true or false, got %q", s)
		}
	case reflect.Int:
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		i, err := strconv.Atoi(s)
		if err != nil {
			d.problem(n.Line, path, "want a whole number, got %q", s)
			return
		}
		v.SetInt(int64(i))
	default:
		d.problem(n.Line, path, "cannot be read (%s)", v.Kind())
	}
}

// scalar returns n's text, refusing maps, lists and nothing.
func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.problem(n.Line, path, "want a value, got %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

type structFields struct {
	index map[string]int
	names []string
}

var fieldCache sync.Map // reflect.Type -> structFields

// fieldsOf maps the yaml tags of a struct type to field indexes.
func fieldsOf(t reflect.Type) (map[string]int, []string) {
	if f, ok := fieldCache.Load(t); ok {
		sf := f.(structFields)
		return sf.index, sf.names
	}
	m := map[string]int{}
	var names []string
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("yaml")
		name, _, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = i
		names = append(names, name)
	}
	fieldCache.Store(t, structFields{m, names})
	return m, names
}

// decodeStruct reads a mapping into a struct; keys not in the struct
// are problems unless skip accepts them.
func (d *decoder) decodeStruct(n *yaml.Node, path string, v reflect.Value, skip func(key string, val *yaml.Node) bool) {
	if n.Kind != yaml.MappingNode {
		d.problem(n.Line, path, "want a map, got %s", kindName(n))
		return
	}
	fields, names := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.problem(k.Line, path, "a key must be a string")
			continue
		}
		fp := join(path, k.Value)
		if seen[k.Value] {
			d.problem(k.Line, fp, "duplicate key")
			continue
		}
		seen[k.Value] = true
		if skip != nil && skip(k.Value, val) {
			continue
		}
		idx, ok := fields[k.Value]
		if !ok {
			d.problem(k.Line, path, "unknown field %q (known: %s)", k.Value, strings.Join(names, ", "))
			continue
		}
		d.mark(fp, k)
		d.decode(val, fp, v.Field(idx))
	}
}

func (v *Value) decodeNode(d *decoder, n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.SequenceNode:
		v.List, v.Items = true, make([]string, 0, len(n.Content))
		for i, c := range n.Content {
			c = resolve(c)
			if s, ok := d.scalar(c, fmt.Sprintf("%s[%d]", path, i)); ok {
				v.Items = append(v.Items, s)
			}
		}
	default:
		if s, ok := d.scalar(n, path); ok {
			v.List, v.Items = false, []string{s}
		}
	}
}

func (ns *Names) decodeNode(d *decoder, n *yaml.Node, path string) {
	var v Value
	v.decodeNode(d, n, path)
	*ns = Names(v.Items)
	if *ns == nil {
		*ns = Names{}
	}
}

func (ps *Patterns) decodeNode(d *decoder, n *yaml.Node, path string) {
	var v Value
	v.decodeNode(d, n, path)
	*ps = Patterns(v.Items)
	if *ps == nil {
		*ps = Patterns{}
	}
}

func (ps *Ports) decodeNode(d *decoder, n *yaml.Node, path string) {
	var v Value
	v.decodeNode(d, n, path)
	out := Ports{}
	for _, s := range v.Items {
		p, err := strconv.Atoi(s)
		if err != nil || p < 0 || p > 65535 {
			d.problem(n.Line, path, "want a port number 0-65535, got %q", s)
			continue
		}
		out = append(out, p)
	}
	*ps = out
}

// decodeNode reads a rule: a map with exactly one key, the rule's type,
// and `not: true` either inside the rule's own map or beside the type.
func (r *Rule) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(n.Line, path, "a rule must be a map with one key, the rule's type (%s); got %s", strings.Join(RuleTypes, ", "), kindName(n))
		return
	}
	fields, _ := fieldsOf(reflect.TypeFor[Rule]())
	rv := reflect.ValueOf(r).Elem()
	var types []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Value == "not" {
			d.decodeNot(val, join(path, "not"), r)
			continue
		}
		idx, ok := fields[k.Value]
		if !ok {
			d.problem(k.Line, path, "unknown rule type %q (known: %s)", k.Value, strings.Join(RuleTypes, ", "))
			continue
		}
		types = append(types, k.Value)
		fp := join(path, k.Value)
		d.mark(fp, k)
		if val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
			d.problem(val.Line, fp, "has no settings")
			continue
		}
		body := reflect.New(rv.Field(idx).Type().Elem())
		d.mark(fp, val)
		d.decodeStruct(val, fp, body.Elem(), func(key string, kv *yaml.Node) bool {
			if key != "not" {
				return false
			}
			d.decodeNot(resolve(kv), join(fp, "not"), r)
			return true
		})
		rv.Field(idx).Set(body)
	}
	if len(types) == 0 {
		d.problem(n.Line, path, "a rule needs a type (%s)", strings.Join(RuleTypes, ", "))
	} else if len(types) > 1 {
		d.problem(n.Line, path, "a rule has exactly one type, got %s", strings.Join(types, " and "))
	}
}

func (d *decoder) decodeNot(n *yaml.Node, path string, r *Rule) {
	var b bool
	d.decode(n, path, reflect.ValueOf(&b).Elem())
	r.Not = r.Not || b
}
