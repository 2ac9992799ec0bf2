package agent

import (
	"encoding/json"
	"strconv"
	"strings"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/event"
)

// dropFilter is one compiled busv1.EventFilter.
type dropFilter struct {
	field, action string
	equals        map[string]struct{}
	prefixes      []string
}

// compileFilters turns a policy's drop filters into matchers; nil when
// there are none. The center validated them; what is still unusable (no
// field, no value) is left out rather than matching everything.
func compileFilters(fs []*busv1.EventFilter) []dropFilter {
	var out []dropFilter
	for _, f := range fs {
		if f.GetField() == "" || len(f.GetEquals())+len(f.GetPrefixes()) == 0 {
			continue
		}
		d := dropFilter{field: f.GetField(), action: f.GetAction(), prefixes: f.GetPrefixes()}
		if len(f.GetEquals()) > 0 {
			d.equals = make(map[string]struct{}, len(f.GetEquals()))
			for _, v := range f.GetEquals() {
				d.equals[v] = struct{}{}
			}
		}
		out = append(out, d)
	}
	return out
}

// matchAny reports whether e matches one of the filters.
func matchAny(fs []dropFilter, e event.Event) bool {
	for i := range fs {
		if fs[i].match(e) {
			return true
		}
	}
	return false
}

// match reports whether e matches: its action (when the filter names one)
// and the field's value, or one element of it when it is an array.
func (d *dropFilter) match(e event.Event) bool {
	if d.action != "" && e.String(event.FieldAction) != d.action {
		return false
	}
	v, ok := e.Get(d.field)
	if !ok {
		return false
	}
	if list, ok := v.([]any); ok {
		for _, item := range list {
			if d.matchValue(item) {
				return true
			}
		}
		return false
	}
	if list, ok := v.([]string); ok {
		for _, item := range list {
			if d.matchValue(item) {
				return true
			}
		}
		return false
	}
	return d.matchValue(v)
}

func (d *dropFilter) matchValue(v any) bool {
	s, ok := scalarText(v)
	if !ok {
		return false
	}
	if _, hit := d.equals[s]; hit {
		return true
	}
	for _, p := range d.prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// scalarText returns the text of a scalar field value as it appears in
// JSON (numbers in their shortest form).
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case uint16:
		return strconv.FormatUint(uint64(x), 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}
