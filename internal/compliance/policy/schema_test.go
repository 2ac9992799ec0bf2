package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The module graph holds no JSON Schema validator this module requires,
// so this file has a small one for the keywords policies/schema.json
// uses (draft 2020-12); a keyword it does not know fails the test
// rather than being ignored.

const schemaPath = "../../../policies/schema.json"

type schemaValidator struct {
	root map[string]any
}

func loadSchema(t *testing.T) *schemaValidator {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("schema.json: want draft 2020-12, got %v", root["$schema"])
	}
	return &schemaValidator{root: root}
}

var annotations = map[string]bool{"$schema": true, "$id": true, "$defs": true, "title": true, "description": true}

// validate returns the errors of v against schema s at path.
func (sv *schemaValidator) validate(s map[string]any, v any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	for k, kv := range s {
		switch k {
		case "$ref":
			ref := kv.(string)
			name, ok := strings.CutPrefix(ref, "#/$defs/")
			if !ok {
				fail("unsupported $ref %s", ref)
				continue
			}
			def, ok := sv.root["$defs"].(map[string]any)[name].(map[string]any)
			if !ok {
				fail("$ref %s not found", ref)
				continue
			}
			errs = append(errs, sv.validate(def, v, path)...)
		case "type":
			types := []any{kv}
			if l, ok := kv.([]any); ok {
				types = l
			}
			ok := false
			for _, t := range types {
				ok = ok || isType(v, t.(string))
			}
			if !ok {
				fail("want type %v, got %T", kv, v)
			}
		case "const":
			if !jsonEqual(v, kv) {
				fail("want %v", kv)
			}
		case "enum":
			found := false
			for _, e := range kv.([]any) {
				found = found || jsonEqual(v, e)
			}
			if !found {
				fail("%v not in %v", v, kv)
			}
		case "pattern":
			if str, ok := v.(string); ok && !regexp.MustCompile(kv.(string)).MatchString(str) {
				fail("%q does not match %s", str, kv)
			}
		case "minLength":
			if str, ok := v.(string); ok && len([]rune(str)) < int(kv.(float64)) {
				fail("shorter than %v", kv)
			}
		case "minimum":
			if n, ok := number(v); ok && n < kv.(float64) {
				fail("%v below %v", n, kv)
			}
		case "maximum":
			if n, ok := number(v); ok && n > kv.(float64) {
				fail("%v above %v", n, kv)
			}
		case "minItems", "maxItems":
			if a, ok := v.([]any); ok {
				if (k == "minItems" && len(a) < int(kv.(float64))) || (k == "maxItems" && len(a) > int(kv.(float64))) {
					fail("%d items, %s %v", len(a), k, kv)
				}
			}
		case "items":
			if a, ok := v.([]any); ok {
				for i, it := range a {
					errs = append(errs, sv.validate(kv.(map[string]any), it, fmt.Sprintf("%s[%d]", path, i))...)
				}
			}
		case "minProperties", "maxProperties":
			if m, ok := v.(map[string]any); ok {
				if (k == "minProperties" && len(m) < int(kv.(float64))) || (k == "maxProperties" && len(m) > int(kv.(float64))) {
					fail("%d properties, %s %v", len(m), k, kv)
				}
			}
		case "required":
			if m, ok := v.(map[string]any); ok {
				for _, r := range kv.([]any) {
					if _, has := m[r.(string)]; !has {
						fail("missing %s", r)
					}
				}
			}
		case "properties", "additionalProperties", "propertyNames":
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			props, _ := s["properties"].(map[string]any)
			for name, val := range m {
				if k == "propertyNames" {
					errs = append(errs, sv.validate(kv.(map[string]any), name, path+"."+name+"(name)")...)
					continue
				}
				sub, known := props[name]
				switch {
				case k == "properties" && known:
					errs = append(errs, sv.validate(sub.(map[string]any), val, path+"."+name)...)
				case k == "additionalProperties" && !known:
					switch ap := kv.(type) {
					case bool:
						if !ap {
							fail("unknown property %q", name)
						}
					case map[string]any:
						errs = append(errs, sv.validate(ap, val, path+"."+name)...)
					}
				}
			}
		case "oneOf", "anyOf", "allOf":
			n := 0
			var sub []string
			for _, alt := range kv.([]any) {
				e := sv.validate(alt.(map[string]any), v, path)
				if len(e) == 0 {
					n++
				}
				sub = append(sub, e...)
			}
			switch {
			case k == "oneOf" && n != 1:
				fail("matches %d of oneOf, want exactly 1 (%s)", n, strings.Join(sub, "; "))
			case k == "anyOf" && n == 0:
				fail("matches no anyOf (%s)", strings.Join(sub, "; "))
			case k == "allOf" && n != len(kv.([]any)):
				errs = append(errs, sub...)
			}
		default:
			if !annotations[k] {
				fail("the test's validator does not know keyword %q", k)
			}
		}
	}
	return errs
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func isType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := number(v)
		return ok
	case "integer":
		n, ok := number(v)
		return ok && n == math.Trunc(n)
	case "null":
		return v == nil
	}
	return false
}

func jsonEqual(a, b any) bool {
	if na, ok := number(a); ok {
		nb, ok := number(b)
		return ok && na == nb
	}
	return reflect.DeepEqual(a, b)
}

// yamlValue reads a policy file as generic data (anchors resolved).
func yamlValue(t *testing.T, f string) any {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return v
}

func TestSchemaAcceptsGoodPolicies(t *testing.T) {
	sv := loadSchema(t)
	files := append(policyFiles(t, "good"), "../eval/testdata/example.yml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if errs := sv.validate(sv.root, yamlValue(t, f), "$"); len(errs) > 0 {
				t.Errorf("the schema refuses a policy the parser accepts:\n%s", strings.Join(errs, "\n"))
			}
			if _, err := ParseFile(f); err != nil {
				t.Errorf("the parser refuses it: %v", err)
			}
		})
	}
}

func TestSchemaRefusesBadPolicies(t *testing.T) {
	sv := loadSchema(t)
	for _, f := range policyFiles(t, "bad/schema") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if errs := sv.validate(sv.root, yamlValue(t, f), "$"); len(errs) == 0 {
				t.Error("the schema accepts a broken policy")
			}
			if _, err := ParseFile(f); err == nil {
				t.Error("the parser accepts a broken policy")
			}
		})
	}
}

// TestSchemaMatchesTypes walks the schema and the parser's types
// together: every field the parser reads is in the schema and the
// other way round.
func TestSchemaMatchesTypes(t *testing.T) {
	sv := loadSchema(t)
	defs := sv.root["$defs"].(map[string]any)
	props := func(s map[string]any) []string {
		var out []string
		for k := range s["properties"].(map[string]any) {
			if k != "not" {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	fields := func(v any) []string {
		_, names := fieldsOf(reflect.TypeOf(v))
		names = slices.Clone(names)
		sort.Strings(names)
		return names
	}
	rt := reflect.TypeOf(Rule{})
	for i := range rt.NumField() {
		name := strings.Split(rt.Field(i).Tag.Get("yaml"), ",")[0]
		if name == "-" {
			continue
		}
		def, ok := defs[name].(map[string]any)
		if !ok {
			t.Errorf("rule type %s has no $defs entry", name)
			continue
		}
		if got, want := props(def), fields(reflect.New(rt.Field(i).Type.Elem()).Elem().Interface()); !slices.Equal(got, want) {
			t.Errorf("rule %s: schema properties %v, parser fields %v", name, got, want)
		}
	}
	if got, want := props(defs["rule"].(map[string]any)), fields(Rule{}); !slices.Equal(got, want) {
		t.Errorf("rule: schema %v, parser %v", got, want)
	}
	if got, want := props(defs["check"].(map[string]any)), fields(Check{}); !slices.Equal(got, want) {
		t.Errorf("check: schema %v, parser %v", got, want)
	}
	if got, want := props(sv.root), fields(Policy{}); !slices.Equal(got, want) {
		t.Errorf("policy file: schema %v, parser %v", got, want)
	}
	meta := sv.root["properties"].(map[string]any)["policy"].(map[string]any)
	if got, want := props(meta), fields(Meta{}); !slices.Equal(got, want) {
		t.Errorf("policy: schema %v, parser %v", got, want)
	}
	if got, want := props(defs["account"].(map[string]any)["properties"].(map[string]any)["select"].(map[string]any)), fields(AccountSelect{}); !slices.Equal(got, want) {
		t.Errorf("account.select: schema %v, parser %v", got, want)
	}
}
