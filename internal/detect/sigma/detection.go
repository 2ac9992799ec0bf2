package sigma

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// detection reads a detection section (or the filter section of a meta
// filter, whose keys in skip are not searches).
func (d *docParser) detection(n *yaml.Node, what string, skip []string) *Detection {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	det := &Detection{Searches: map[string]*Search{}, Pos: d.pos(n)}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, ErrInvalid, "%s must be a mapping, not a %s", what, kindName(n))
		return det
	}
	keys, values, _ := d.pairs(n, what)
	var condNode *yaml.Node
	for i, k := range keys {
		v := values[i]
		switch {
		case k.Value == "condition":
			condNode = v
		case k.Value == "timeframe":
			det.Timeframe = d.scalar(v, "timeframe")
		case oneOf(k.Value, skip):
		default:
			if s := d.search(k, v); s != nil {
				det.Searches[k.Value] = s
				det.Order = append(det.Order, k.Value)
			}
		}
	}
	if condNode == nil {
		d.errorf(n, ErrInvalid, "%s has no condition", what)
		return det
	}
	d.conditions(det, condNode)
	return det
}

// conditions reads the condition (one string or a list) and checks it
// against the searches.
func (d *docParser) conditions(det *Detection, n *yaml.Node) {
	n = d.resolve(n)
	if n == nil {
		return
	}
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
		if len(items) == 0 {
			d.errorf(n, ErrCondition, "condition list is empty")
		}
	default:
		d.errorf(n, ErrCondition, "condition must be a string or a list of strings, not a %s", kindName(n))
		return
	}
	for _, item := range items {
		item = d.resolve(item)
		if item == nil {
			return
		}
		if item.Kind != yaml.ScalarNode || item.ShortTag() == "!!null" {
			d.errorf(item, ErrCondition, "a condition must be a string, not a %s", kindName(item))
			continue
		}
		posOf := d.scalarOffsets(item)
		expr, err := parseCondition(item.Value, posOf)
		if err != nil {
			var ce *condError
			if errors.As(err, &ce) {
				d.errAt(posOf(ce.off), ce.err, ce.reason)
			} else {
				d.errorf(item, ErrCondition, "%v", err)
			}
			continue
		}
		for _, re := range resolveCondition(expr, det.Searches, det.Order) {
			d.errAt(re.pos, ErrCondition, re.reason)
		}
		det.Conditions = append(det.Conditions, &Condition{Text: item.Value, Expr: expr, Pos: d.pos(item)})
	}
}

// scalarOffsets returns a function that turns a byte offset in the text
// of scalar n into a position in the file: exact for a scalar on one line
// without escapes, the line for block scalars, the scalar's start
// otherwise.
func (d *docParser) scalarOffsets(n *yaml.Node) func(int) Pos {
	base := d.pos(n)
	text := n.Value
	switch n.Style {
	case 0, yaml.TaggedStyle, yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		if strings.ContainsAny(text, "\n'\\\"") {
			return func(int) Pos { return base }
		}
		shift := 0
		if n.Style == yaml.SingleQuotedStyle || n.Style == yaml.DoubleQuotedStyle {
			shift = 1
		}
		return func(off int) Pos {
			p := base
			p.Column += shift + off
			return p
		}
	case yaml.LiteralStyle, yaml.FoldedStyle:
		return func(off int) Pos {
			if off > len(text) {
				off = len(text)
			}
			return Pos{File: base.File, Line: base.Line + 1 + strings.Count(text[:off], "\n")}
		}
	}
	return func(int) Pos { return base }
}

// search reads one search identifier.
func (d *docParser) search(k, v *yaml.Node) *Search {
	name := k.Value
	s := &Search{Name: name, Pos: d.pos(k)}
	switch v.Kind {
	case yaml.MappingNode:
		s.Kind = SearchMap
		s.Matches = d.fieldMatches(v, name)
		if len(v.Content) == 0 {
			d.errorf(v, ErrInvalid, "search %s is empty", name)
		}
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			d.errorf(v, ErrInvalid, "search %s is an empty list", name)
			return nil
		}
		var maps []*Search
		var keywords []*yaml.Node
		var keywordsAt int
		for _, item := range v.Content {
			item = d.resolve(item)
			if item == nil {
				return nil
			}
			switch item.Kind {
			case yaml.MappingNode:
				if len(item.Content) == 0 {
					d.errorf(item, ErrInvalid, "search %s has an empty mapping", name)
					continue
				}
				maps = append(maps, &Search{Name: name, Kind: SearchMap, Matches: d.fieldMatches(item, name), Pos: d.pos(item)})
			case yaml.ScalarNode:
				if len(keywords) == 0 {
					keywordsAt = len(maps)
				}
				keywords = append(keywords, item)
			default:
				d.errorf(item, ErrInvalid, "search %s: a list holds values or mappings, not a %s", name, kindName(item))
			}
		}
		if len(maps) == 0 {
			s.Kind = SearchKeywords
			if m := d.fieldMatch("", "", v, keywords); m != nil {
				s.Matches = []*FieldMatch{m}
			}
			return s
		}
		s.Kind = SearchList
		s.Items = maps
		if len(keywords) > 0 {
			kw := &Search{Name: name, Kind: SearchKeywords, Pos: d.pos(keywords[0])}
			if m := d.fieldMatch("", "", keywords[0], keywords); m != nil {
				kw.Matches = []*FieldMatch{m}
			}
			s.Items = append(s.Items[:keywordsAt], append([]*Search{kw}, s.Items[keywordsAt:]...)...)
		}
	case yaml.ScalarNode:
		if v.ShortTag() == "!!null" {
			d.errorf(v, ErrInvalid, "search %s is empty", name)
			return nil
		}
		s.Kind = SearchKeywords
		if m := d.fieldMatch("", "", v, []*yaml.Node{v}); m != nil {
			s.Matches = []*FieldMatch{m}
		}
	default:
		d.errorf(v, ErrInvalid, "search %s must be a mapping or a list", name)
		return nil
	}
	return s
}

// fieldMatches reads the keys of a search mapping.
func (d *docParser) fieldMatches(n *yaml.Node, search string) []*FieldMatch {
	keys, values, _ := d.pairs(n, "search "+search)
	var out []*FieldMatch
	for i, k := range keys {
		v := values[i]
		var items []*yaml.Node
		switch v.Kind {
		case yaml.SequenceNode:
			if len(v.Content) == 0 {
				d.errorf(v, ErrInvalid, "%s: empty list of values", k.Value)
				continue
			}
			for _, c := range v.Content {
				c = d.resolve(c)
				if c == nil {
					return out
				}
				if c.Kind != yaml.ScalarNode {
					d.errorf(c, ErrInvalid, "%s: values must be strings, numbers, booleans or null, not a %s", k.Value, kindName(c))
					continue
				}
				items = append(items, c)
			}
		case yaml.ScalarNode:
			items = []*yaml.Node{v}
		default:
			d.errorf(v, ErrInvalid, "%s: a value must be a scalar or a list of scalars, not a %s", k.Value, kindName(v))
			continue
		}
		field, _, _ := strings.Cut(k.Value, "|")
		if m := d.fieldMatch(field, k.Value, k, items); m != nil {
			out = append(out, m)
		}
	}
	return out
}

// fieldMatch builds one field match from its key (field and modifiers)
// and values; at is where the key is.
func (d *docParser) fieldMatch(field, key string, at *yaml.Node, items []*yaml.Node) *FieldMatch {
	m := &FieldMatch{Field: field, Key: key, Pos: d.pos(at)}
	if _, mods, ok := strings.Cut(key, "|"); ok {
		mo, err := ParseModifiers(strings.Split(mods, "|"))
		if err != nil {
			var me *modError
			sentinel := ErrModifierCombination
			if errors.As(err, &me) {
				sentinel = me.err
			}
			d.errAt(m.Pos, sentinel, fmt.Sprintf("%s: %v", key, err))
			return nil
		}
		m.Modifiers = mo
	}
	for _, item := range items {
		m.Values = append(m.Values, d.value(item, m.Modifiers))
	}
	if err := CheckValues(m); err != nil {
		name := key
		if name == "" {
			name = "keywords"
		}
		d.errAt(m.Pos, ErrModifierCombination, fmt.Sprintf("%s: %v", name, err))
		return nil
	}
	return m
}

// value reads one scalar under the field match's modifiers.
func (d *docParser) value(n *yaml.Node, mods Modifiers) *Value {
	v := &Value{Raw: n.Value, Pos: d.pos(n)}
	switch n.ShortTag() {
	case "!!null":
		v.Kind, v.Raw = ValueNull, ""
	case "!!bool":
		v.Kind = ValueBool
		v.Bool, _ = strconv.ParseBool(strings.ToLower(n.Value))
	case "!!int", "!!float":
		if num, ok := parseNumber(n.Value); ok {
			v.Kind, v.Number = ValueNumber, num
		} else {
			v.Kind = ValueString
		}
	default:
		v.Kind = ValueString
	}
	needsNumber := mods.Op.Numeric() || mods.Time != TimeNone
	if v.Kind == ValueString && needsNumber {
		if num, ok := parseNumber(strings.TrimSpace(v.Raw)); ok {
			v.Kind, v.Number = ValueNumber, num
		}
	}
	if v.Kind == ValueString && mods.Op == OpExists {
		if b, err := strconv.ParseBool(v.Raw); err == nil {
			v.Kind, v.Bool = ValueBool, b
		}
	}
	switch mods.Op {
	case OpMatch, OpContains, OpStartsWith, OpEndsWith:
		if mods.FieldRef {
			break
		}
		if v.Kind == ValueString {
			v.Pattern = ParsePattern(v.Raw, mods.Expand)
		} else if v.Kind != ValueNull {
			v.Pattern = LiteralPattern(v.Raw)
		}
	}
	return v
}

// parseNumber reads a YAML integer or float.
func parseNumber(s string) (Number, bool) {
	clean := strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(clean, 0, 64); err == nil {
		return Number{IsInt: true, Int: i, Float: float64(i)}, true
	}
	if strings.HasPrefix(clean, "0o") || strings.HasPrefix(clean, "0x") || strings.HasPrefix(clean, "0b") {
		return Number{}, false
	}
	f, err := strconv.ParseFloat(clean, 64)
	if err != nil {
		return Number{}, false
	}
	return Number{Float: f}, true
}

// CheckValues checks the values of a field match against its modifiers:
// the type each comparison needs, what a keyword match can do, and that
// `all` has more than one value to link.
func CheckValues(m *FieldMatch) error {
	mods := m.Modifiers
	if m.Keyword() {
		switch {
		case mods.Op == OpExists || mods.Op == OpCIDR || mods.Op.Numeric():
			return fmt.Errorf("modifier %s needs a field: keywords are searched in the whole event", mods.Op)
		case mods.FieldRef:
			return errors.New("modifier fieldref needs a field: keywords are searched in the whole event")
		case mods.Time != TimeNone:
			return fmt.Errorf("modifier %s needs a field: keywords are searched in the whole event", mods.Time)
		}
	}
	if len(m.Values) == 0 {
		return errors.New("no value")
	}
	if mods.All && len(m.Values) < 2 {
		return errors.New("modifier all needs a list of at least two values")
	}
	for _, v := range m.Values {
		if err := checkValue(mods, v, m.Keyword()); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(mods Modifiers, v *Value, keyword bool) error {
	switch {
	case mods.Op == OpExists:
		if v.Kind != ValueBool {
			return fmt.Errorf("modifier exists takes true or false, not %s %q", v.Kind, v.Raw)
		}
		return nil
	case mods.Op.Numeric() || mods.Time != TimeNone:
		if v.Kind != ValueNumber {
			name := mods.Op.String()
			if mods.Time != TimeNone {
				name = mods.Time.String()
			}
			return fmt.Errorf("modifier %s compares numbers, not %s %q", name, v.Kind, v.Raw)
		}
		return nil
	}
	if v.Kind == ValueNull {
		if len(mods.Names) > 0 || keyword {
			if keyword {
				return errors.New("a keyword cannot be null")
			}
			return fmt.Errorf("null takes no modifier (%s)", mods)
		}
		return nil
	}
	switch mods.Op {
	case OpCIDR:
		if v.Kind != ValueString {
			return fmt.Errorf("modifier cidr takes a network such as 10.0.0.0/8, not %s %q", v.Kind, v.Raw)
		}
		if _, err := ParsePrefix(v.Raw); err != nil {
			return err
		}
		return nil
	case OpRegex:
		if v.Raw == "" {
			return errors.New("modifier re: empty regular expression")
		}
		return nil
	}
	if mods.FieldRef {
		if v.Kind != ValueString || v.Raw == "" {
			return fmt.Errorf("modifier fieldref takes a field name, not %s %q", v.Kind, v.Raw)
		}
		return nil
	}
	if v.Kind == ValueBool && (mods.Op != OpMatch || len(mods.Transforms) > 0) {
		return fmt.Errorf("modifier %s takes a string, not the boolean %s", mods.Names[0], v.Raw)
	}
	if v.Kind == ValueBool && keyword {
		return fmt.Errorf("a keyword must be a string, not the boolean %s", v.Raw)
	}
	for _, t := range mods.Transforms {
		if t == TransformWindash {
			continue
		}
		if v.Pattern.HasWildcards() {
			return fmt.Errorf("modifier %s cannot encode the wildcards of %q (escape them as \\* and \\?)", t, v.Raw)
		}
	}
	if mods.Expand && len(v.Pattern.Placeholders()) == 0 {
		return fmt.Errorf("modifier expand: value %q has no %%placeholder%%", v.Raw)
	}
	return nil
}

// ParsePrefix reads the value of a cidr modifier: a network in CIDR
// notation (IPv4 or IPv6), or one address.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("modifier cidr: %q is not a network such as 10.0.0.0/8 or fd00::/8", s)
}
