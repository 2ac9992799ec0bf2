package sigma

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// timespanUnits are the units of a correlation's timespan: s, m, h and d
// of the specification, and w, M (30 days) and y (365 days) as other
// Sigma tools read them.
var timespanUnits = map[string]time.Duration{
	"s": time.Second,
	"m": time.Minute,
	"h": time.Hour,
	"d": 24 * time.Hour,
	"w": 7 * 24 * time.Hour,
	"M": 30 * 24 * time.Hour,
	"y": 365 * 24 * time.Hour,
}

var timespanSyntax = regexp.MustCompile(`^([0-9]+)([a-zA-Z])$`)

// ParseTimespan reads a correlation timespan: a number and a unit letter
// (s, m, h, d; also w, M for 30 days and y for 365 days), such as "90m".
func ParseTimespan(s string) (time.Duration, error) {
	m := timespanSyntax.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("timespan %q is not a number and a unit such as 30s, 5m, 1h or 7d", s)
	}
	unit, ok := timespanUnits[m[2]]
	if !ok {
		return 0, fmt.Errorf("timespan %q: unknown unit %q (s, m, h, d, w, M or y)", s, m[2])
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n <= 0 || n > int64(100*365*24*time.Hour/unit) {
		return 0, fmt.Errorf("timespan %q is out of range (more than zero, at most 100 years)", s)
	}
	return time.Duration(n) * unit, nil
}

// unsupportedCorrelations are correlation types of later drafts that this
// parser names but does not take.
var unsupportedCorrelations = []string{"value_sum", "value_avg", "value_percentile", "value_median"}

// correlation parses a correlation rule.
func (d *docParser) correlation(root *yaml.Node) *Correlation {
	c := &Correlation{Meta: d.meta(root, []string{"correlation", "generate"})}
	if g := mapValue(root, "generate"); g != nil {
		c.Generate = d.boolean(g, "generate")
	}
	section := d.resolve(mapValue(root, "correlation"))
	if section == nil {
		return c
	}
	c.CorrelationPos = d.pos(section)
	if section.Kind != yaml.MappingNode {
		d.errorf(section, ErrInvalid, "correlation must be a mapping, not a %s", kindName(section))
		return c
	}
	keys, values, _ := d.pairs(section, "correlation")
	var condNode, aliasNode *yaml.Node
	for i, k := range keys {
		v := values[i]
		switch k.Value {
		case "type":
			t := d.scalar(v, "correlation type")
			switch CorrelationType(t) {
			case EventCount, ValueCount, Temporal, TemporalOrdered:
				c.Type = CorrelationType(t)
			default:
				if oneOf(t, unsupportedCorrelations) {
					d.errorf(v, ErrUnsupported, "unsupported: correlation type %s (supported: event_count, value_count, temporal, temporal_ordered)", t)
				} else {
					d.errorf(v, ErrInvalid, "unknown correlation type %q (event_count, value_count, temporal, temporal_ordered)", t)
				}
			}
		case "rules":
			c.Rules = d.ruleRefs(v)
		case "group-by":
			c.GroupBy = d.strings(v, "group-by")
		case "timespan":
			c.TimespanText = d.scalar(v, "timespan")
			ts, err := ParseTimespan(c.TimespanText)
			if err != nil {
				d.errorf(v, ErrInvalid, "%v", err)
			}
			c.Timespan = ts
		case "condition":
			condNode = v
		case "aliases":
			aliasNode = v
		case "generate":
			c.Generate = d.boolean(v, "generate")
		default:
			d.errorf(k, ErrInvalid, "unknown key %q in correlation (type, rules, group-by, timespan, condition, aliases, generate)", k.Value)
		}
	}
	if c.Type == "" && mapValue(section, "type") == nil {
		d.errorf(section, ErrInvalid, "correlation has no type")
	}
	if mapValue(section, "rules") == nil {
		d.errorf(section, ErrInvalid, "correlation has no rules")
	}
	if mapValue(section, "timespan") == nil {
		d.errorf(section, ErrInvalid, "correlation has no timespan")
	}
	if condNode != nil {
		c.Condition = d.correlationCondition(condNode, c.Type)
	} else if c.Type == EventCount || c.Type == ValueCount {
		d.errorf(section, ErrInvalid, "a %s correlation needs a condition", c.Type)
	}
	if aliasNode != nil {
		c.Aliases = d.aliases(aliasNode, c.Rules)
	}
	return c
}

func (d *docParser) boolean(n *yaml.Node, what string) bool {
	n = d.resolve(n)
	if n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return b
	}
	d.errorf(n, ErrInvalid, "%s must be true or false", what)
	return false
}

// correlationCondition reads `condition: {gte: 10, field: x}`.
func (d *docParser) correlationCondition(n *yaml.Node, typ CorrelationType) CorrelationCondition {
	n = d.resolve(n)
	cond := CorrelationCondition{Pos: d.pos(n)}
	if n == nil {
		return cond
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, ErrInvalid, "correlation condition must be a mapping such as {gte: 10}, not a %s", kindName(n))
		return cond
	}
	keys, values, _ := d.pairs(n, "the correlation condition")
	for i, k := range keys {
		v := values[i]
		switch op := CompareOp(k.Value); op {
		case CountGT, CountGTE, CountLT, CountLTE, CountEQ, CountNEQ:
			s := d.scalar(v, "condition "+k.Value)
			num, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil || v.Kind != yaml.ScalarNode {
				d.errorf(v, ErrInvalid, "condition %s takes an integer, not %q", k.Value, s)
				continue
			}
			cond.Comparisons = append(cond.Comparisons, Comparison{Op: op, Value: num})
		case "field":
			fields := d.strings(v, "condition field")
			switch {
			case len(fields) == 1 && fields[0] != "":
				cond.Field = fields[0]
			case len(fields) > 1:
				d.errorf(v, ErrUnsupported, "unsupported: value_count of several fields; count one field")
			default:
				d.errorf(v, ErrInvalid, "condition field is empty")
			}
		default:
			d.errorf(k, ErrInvalid, "unknown key %q in the correlation condition (gt, gte, lt, lte, eq, neq, field)", k.Value)
		}
	}
	if len(cond.Comparisons) == 0 {
		d.errorf(n, ErrInvalid, "correlation condition has no comparison (gt, gte, lt, lte, eq, neq)")
	}
	switch {
	case typ == ValueCount && cond.Field == "" && mapValue(n, "field") == nil:
		d.errorf(n, ErrInvalid, "a value_count correlation needs the field whose values it counts (condition: field)")
	case typ != ValueCount && typ != "" && cond.Field != "":
		d.errorf(n, ErrInvalid, "condition field is for value_count correlations, not %s", typ)
	}
	return cond
}

// aliases reads `aliases: {alias: {rule name: field}}`.
func (d *docParser) aliases(n *yaml.Node, rules []RuleRef) []Alias {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, ErrInvalid, "aliases must be a mapping of alias to {rule name: field}, not a %s", kindName(n))
		return nil
	}
	referenced := map[string]bool{}
	for _, r := range rules {
		referenced[r.Ref] = true
	}
	var out []Alias
	keys, values, _ := d.pairs(n, "aliases")
	for i, k := range keys {
		v := values[i]
		a := Alias{Name: k.Value, Fields: map[string]string{}, Pos: d.pos(k)}
		if v.Kind != yaml.MappingNode {
			d.errorf(v, ErrInvalid, "alias %s must be a mapping of rule name to field, not a %s", k.Value, kindName(v))
			continue
		}
		rk, rv, _ := d.pairs(v, "alias "+k.Value)
		for j, r := range rk {
			if !referenced[r.Value] {
				d.errorf(r, ErrInvalid, "alias %s names rule %q, which the correlation does not reference", k.Value, r.Value)
			}
			f := d.scalar(rv[j], "alias field")
			if f == "" {
				d.errorf(rv[j], ErrInvalid, "alias %s: empty field for rule %s", k.Value, r.Value)
			}
			a.Fields[r.Value] = f
		}
		out = append(out, a)
	}
	return out
}
