package policy

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// variableName is the form of a variable's name.
var variableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Expand replaces ${name} in s with the variable's value; "$${" stands
// for a literal "${". It fails on a variable not in vars or a "${"
// that is not closed.
func Expand(s string, vars map[string]string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("%q: ${ is not closed", s)
		}
		name := s[i+2 : i+end]
		val, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("unknown variable ${%s}", name)
		}
		b.WriteString(val)
		s = s[i+end+1:]
	}
}

// expandVariables checks the variables and expands them in every
// string of every rule.
func expandVariables(d *decoder, p *Policy) {
	for name, val := range p.Variables {
		if !variableName.MatchString(name) {
			d.problem(p.Line("variables."+name), "variables."+name, "a variable's name is letters, digits and _")
		}
		if strings.Contains(val, "${") {
			d.problem(p.Line("variables."+name), "variables."+name, "a variable's value cannot use other variables")
		}
	}
	vars := p.Variables
	expand := func(path string, s string) string {
		out, err := Expand(s, vars)
		if err != nil {
			d.problem(p.Line(path), path, "%v", err)
			return s
		}
		return out
	}
	if p.Requirements != nil {
		for i := range p.Requirements.Rules {
			expandValue(reflect.ValueOf(&p.Requirements.Rules[i]).Elem(), fmt.Sprintf("requirements.rules[%d]", i), expand)
		}
	}
	for c := range p.Checks {
		ch := &p.Checks[c]
		if ch.AppliesIf != nil {
			for i := range ch.AppliesIf.Rules {
				expandValue(reflect.ValueOf(&ch.AppliesIf.Rules[i]).Elem(), fmt.Sprintf("checks[%d].applies_if.rules[%d]", c, i), expand)
			}
		}
		for i := range ch.Rules {
			expandValue(reflect.ValueOf(&ch.Rules[i]).Elem(), fmt.Sprintf("checks[%d].rules[%d]", c, i), expand)
		}
	}
}

// expandValue applies expand to every string below v.
func expandValue(v reflect.Value, path string, expand func(path, s string) string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			expandValue(v.Elem(), path, expand)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			sub := path
			switch name {
			case "-":
			case "":
				if t.Field(i).Name != "Items" {
					continue
				}
			default:
				sub = join(path, name)
			}
			expandValue(v.Field(i), sub, expand)
		}
	case reflect.Slice:
		for i := range v.Len() {
			expandValue(v.Index(i), path, expand)
		}
	case reflect.String:
		if s := v.String(); strings.Contains(s, "${") {
			v.SetString(expand(path, s))
		}
	}
}
