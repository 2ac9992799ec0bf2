package api

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// openAPIPath is api/openapi.yaml from this package's folder.
func openAPIPath(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "api", "openapi.yaml")
}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(openAPIPath(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// TestOpenAPIDescribesEveryRoute fails when a served route is missing from
// api/openapi.yaml or the file describes a route that is not served.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi version %q", v)
	}
	var described []string
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
			default:
				continue
			}
			described = append(described, strings.ToUpper(method)+" "+path)
			o, _ := op.(map[string]any)
			if resp, _ := o["responses"].(map[string]any); len(resp) == 0 {
				t.Errorf("%s %s has no responses", method, path)
			}
		}
	}
	var served []string
	for _, rt := range routeTable() {
		served = append(served, rt.pattern())
	}
	sort.Strings(described)
	sort.Strings(served)
	if diff := cmp.Diff(served, described); diff != "" {
		t.Errorf("routes (-served +described in openapi.yaml):\n%s", diff)
	}
}

// TestOpenAPIRefsResolve checks every $ref points at a component.
func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if !resolves(doc, ref) {
					t.Errorf("unresolved $ref %q", ref)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
}

func resolves(doc map[string]any, ref string) bool {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = doc
	for _, part := range strings.Split(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

// TestOpenAPIParameters checks that every parameter has only the keys
// OpenAPI allows (a comma in a YAML flow mapping silently adds keys).
func TestOpenAPIParameters(t *testing.T) {
	doc := loadOpenAPI(t)
	allowed := map[string]bool{"name": true, "in": true, "description": true, "required": true, "schema": true,
		"style": true, "explode": true, "example": true, "deprecated": true, "$ref": true}
	var check func(where string, v any)
	check = func(where string, v any) {
		list, _ := v.([]any)
		for _, p := range list {
			for k := range p.(map[string]any) {
				if !allowed[k] {
					t.Errorf("%s: parameter key %q", where, k)
				}
			}
		}
	}
	for path, item := range doc["paths"].(map[string]any) {
		ops := item.(map[string]any)
		check(path, ops["parameters"])
		for method, op := range ops {
			if o, ok := op.(map[string]any); ok {
				check(method+" "+path, o["parameters"])
			}
		}
	}
	for name, p := range doc["components"].(map[string]any)["parameters"].(map[string]any) {
		check(name, []any{p})
	}
}

// TestRouteTable checks each route's shape: a role or none, an audit
// action for everything that changes state, no duplicates.
func TestRouteTable(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range routeTable() {
		if seen[rt.pattern()] {
			t.Errorf("duplicate route %s", rt.pattern())
		}
		seen[rt.pattern()] = true
		if rt.method != "GET" && rt.action == "" && rt.path != "/api/v1/enroll" {
			t.Errorf("%s changes state but has no audit action", rt.pattern())
		}
		if rt.handle == nil {
			t.Errorf("%s has no handler", rt.pattern())
		}
	}
}
