package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/center/api/apitest"
	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/store"
)

// Rule files of the import tests.
const (
	// badModifierRule fails on line 9: an unknown modifier.
	badModifierRule = `title: Bad modifier
id: 7b1c2d3e-4f5a-4b6c-9d8e-0f1a2b3c4d5e
name: bad_base
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        Image|sometimes: /bin/sh
    condition: selection
level: low
`
	// dependentRule correlates the rule of badModifierRule.
	dependentRule = `title: Needs the bad rule
id: 8c2d3e4f-5a6b-4c7d-8e9f-1a2b3c4d5e6f
correlation:
    type: event_count
    rules: bad_base
    group-by: [host.id]
    timespan: 1m
    condition:
        gte: 3
level: high
`
	// listenerCorrelation correlates the rule of apitest.NetcatRule by its name.
	listenerCorrelation = `title: Netcat listeners on many hosts
id: 9d3e4f5a-6b7c-4d8e-9f0a-2b3c4d5e6f70
correlation:
    type: value_count
    rules: netcat_listener
    timespan: 1h
    condition:
        field: host.id
        gte: 3
level: critical
`
)

func importBody(force bool, files ...string) apitypes.RuleImport {
	body := apitypes.RuleImport{Force: force}
	for i := 0; i+1 < len(files); i += 2 {
		body.Files = append(body.Files, apitypes.ImportFile{Name: files[i], Content: files[i+1]})
	}
	return body
}

func TestRuleImport(t *testing.T) {
	e := newEnv(t)
	var res apitypes.ImportResult
	e.call("POST", "/api/v1/rules/import", store.RoleResponder,
		importBody(false, "custom/proc_creation_nc.yml", apitest.NetcatRule, "custom/listeners.yaml", listenerCorrelation), 200, &res)
	sum := sha256.Sum256([]byte(apitest.NetcatRule))
	want := apitypes.ImportResult{
		Stored: []apitypes.ImportedFile{
			{Name: "custom/proc_creation_nc.yml", SHA256: hex.EncodeToString(sum[:]), Created: true, Rules: 1},
			{Name: "custom/listeners.yaml", SHA256: res.Stored[1].SHA256, Created: true, Rules: 1},
		},
		Skipped: []string{}, Problems: []apitypes.Problem{},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Fatalf("import (-want +got):\n%s", diff)
	}
	files, err := e.st.Rules().Files(context.Background())
	if err != nil || len(files) != 2 || files[1].Name != "custom/proc_creation_nc.yml" || string(files[1].Content) != apitest.NetcatRule ||
		files[1].Author != "token:responder-bot" || files[1].SHA256 != want.Stored[0].SHA256 {
		t.Fatalf("stored files %+v, %v", files, err)
	}
	// The rules are in use at once.
	var r apitypes.Rule
	e.call("GET", "/api/v1/rules/"+apitest.RuleNetcat, store.RoleViewer, nil, 200, &r)
	if r.Source != "imported" || r.File != "custom/proc_creation_nc.yml" || r.Severity != store.SeverityMedium {
		t.Errorf("imported rule %+v", r)
	}
	if diff := cmp.Diff([]string{apitest.RuleNetcat, "9d3e4f5a-6b7c-4d8e-9f0a-2b3c4d5e6f70"}, e.ruleIDs("source=imported")); diff != "" {
		t.Errorf("imported rules: %s", diff)
	}
	entries := e.audit("rule.import")
	if len(entries) != 1 || entries[0].Detail["file_count"] != float64(2) || entries[0].Detail["stored"] != float64(2) ||
		entries[0].Detail["force"] != false || strings.Contains(fmt.Sprint(entries[0].Detail), "Netcat") {
		t.Errorf("audit %+v", entries)
	}

	// Importing a file again replaces it.
	e.call("POST", "/api/v1/rules/import", store.RoleResponder, importBody(false, "custom/proc_creation_nc.yml", strings.Replace(apitest.NetcatRule, "level: medium", "level: high", 1)), 200, &res)
	if len(res.Stored) != 1 || res.Stored[0].Created {
		t.Errorf("reimport %+v", res)
	}
	e.call("GET", "/api/v1/rules/"+apitest.RuleNetcat, store.RoleViewer, nil, 200, &r)
	if r.Level != "high" {
		t.Errorf("reimported rule %+v", r)
	}
}

func TestRuleImportRefusesProblems(t *testing.T) {
	e := newEnv(t)
	dupID := strings.Replace(apitest.NetcatRule, apitest.RuleNetcat, apitest.RuleCurlPipe, 1)
	for _, tc := range []struct {
		name   string
		files  []string
		reason []string // per problem, in order
	}{
		{"bad modifier", []string{"a/bad.yml", badModifierRule, "a/nc.yml", apitest.NetcatRule}, []string{"sometimes"}},
		{"an id of a shipped rule", []string{"dup.yml", dupID}, []string{"already used"}},
		{"a reference to a rule that fails", []string{"a/bad.yml", badModifierRule, "a/dep.yml", dependentRule}, []string{"sometimes", "bad_base"}},
		{"not YAML", []string{"x.yml", "title: [unclosed"}, []string{""}},
	} {
		status, data := e.do("POST", "/api/v1/rules/import", e.tokens[store.RoleResponder], importBody(false, tc.files...))
		var refusal apitypes.ImportRefusal
		if err := json.Unmarshal(data, &refusal); err != nil || status != 422 || refusal.Error.Code != "unprocessable" ||
			!strings.Contains(refusal.Error.Message, "nothing was imported") {
			t.Errorf("%s: %d %s", tc.name, status, data)
			continue
		}
		if len(refusal.Problems) != len(tc.reason) {
			t.Errorf("%s: problems %+v", tc.name, refusal.Problems)
			continue
		}
		for i, p := range refusal.Problems {
			if p.Source != "imported" || p.File == "" || p.Reason == "" || !strings.Contains(p.Reason, tc.reason[i]) {
				t.Errorf("%s: problem %+v", tc.name, p)
			}
		}
	}
	if got := e.storedFiles(); len(got) != 0 {
		t.Errorf("refused imports stored %v", got)
	}
	// The problem names the file and line.
	_, data := e.do("POST", "/api/v1/rules/import", e.tokens[store.RoleResponder], importBody(false, "a/bad.yml", badModifierRule))
	var refusal apitypes.ImportRefusal
	if err := json.Unmarshal(data, &refusal); err != nil || len(refusal.Problems) != 1 || refusal.Problems[0].File != "a/bad.yml" ||
		refusal.Problems[0].Line != 9 || refusal.Problems[0].RuleID != "7b1c2d3e-4f5a-4b6c-9d8e-0f1a2b3c4d5e" || refusal.Problems[0].Title != "Bad modifier" {
		t.Errorf("problem %s", data)
	}
	if entries := e.audit("rule.import"); len(entries) != 5 || entries[0].Result != "error" || entries[0].Detail["status"] != float64(422) || entries[0].Detail["problems"] != float64(1) {
		t.Errorf("audit %+v", entries)
	}

	// With force the files that load are stored, also after those they
	// needed were dropped.
	var res apitypes.ImportResult
	e.call("POST", "/api/v1/rules/import", store.RoleResponder,
		importBody(true, "a/bad.yml", badModifierRule, "a/dep.yml", dependentRule, "a/nc.yml", apitest.NetcatRule), 200, &res)
	if len(res.Stored) != 1 || res.Stored[0].Name != "a/nc.yml" || !cmp.Equal(res.Skipped, []string{"a/bad.yml", "a/dep.yml"}) || len(res.Problems) != 2 {
		t.Errorf("forced import %+v", res)
	}
	if got := e.storedFiles(); !cmp.Equal(got, []string{"a/nc.yml"}) {
		t.Errorf("stored %v", got)
	}
	// Nothing loads: nothing is stored, and the answer says why.
	e.call("POST", "/api/v1/rules/import", store.RoleResponder, importBody(true, "a/bad.yml", badModifierRule), 200, &res)
	if len(res.Stored) != 0 || len(res.Skipped) != 1 || len(res.Problems) != 1 {
		t.Errorf("forced import of a bad file %+v", res)
	}
}

func TestRuleImportInput(t *testing.T) {
	e := newEnv(t)
	many := make([]string, 0, 2*(maxImportFiles+1))
	for i := range maxImportFiles + 1 {
		many = append(many, fmt.Sprintf("r%d.yml", i), "x")
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		msg    string
	}{
		{"no files", `{"files":[]}`, 400, "want 1 to"},
		{"too many files", importBody(false, many...), 400, "want 1 to 1000 files"},
		{"dot dot", importBody(false, "../x.yml", apitest.NetcatRule), 400, "clean relative path"},
		{"absolute", importBody(false, "/etc/x.yml", apitest.NetcatRule), 400, "relative path"},
		{"empty part", importBody(false, "a//x.yml", apitest.NetcatRule), 400, "clean relative path"},
		{"hidden", importBody(false, "a/.x.yml", apitest.NetcatRule), 400, "start with '.'"},
		{"backslash", importBody(false, `a\x.yml`, apitest.NetcatRule), 400, "letters, digits"},
		{"space", importBody(false, "a x.yml", apitest.NetcatRule), 400, "letters, digits"},
		{"not yaml", importBody(false, "x.txt", apitest.NetcatRule), 400, ".yml or .yaml"},
		{"rule test", importBody(false, "x.test.yml", apitest.NetcatRule), 400, "rule tests"},
		{"long name", importBody(false, strings.Repeat("a", 252)+".yml", apitest.NetcatRule), 400, "1 to 255 bytes"},
		{"twice", importBody(false, "x.yml", apitest.NetcatRule, "x.yml", apitest.NetcatRule), 400, "given twice"},
		{"large file", importBody(false, "x.yml", strings.Repeat("#", maxRuleFileSize+1)), 400, "at most 1048576"},
		{"unknown field", `{"files":[],"dry_run":true}`, 400, `unknown field "dry_run"`},
		{"wrong type", `{"files":[{"name":1,"content":"x"}]}`, 400, `field "files.name": want string`},
		{"huge body", `{"files":[{"name":"x.yml","content":"` + strings.Repeat("x", maxImportBody) + `"}]}`, 413, "larger than"},
	} {
		status, data := e.do("POST", "/api/v1/rules/import", e.tokens[store.RoleResponder], tc.body)
		if status != tc.status || !strings.Contains(errorMessage(data), tc.msg) {
			t.Errorf("%s: %d %s", tc.name, status, clip(string(data)))
		}
	}
	if got := e.storedFiles(); len(got) != 0 {
		t.Errorf("stored %v", got)
	}
}

// clip shortens an answer for a failure message.
func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func TestRuleFiles(t *testing.T) {
	e := newEnv(t)
	e.call("POST", "/api/v1/rules/import", store.RoleResponder,
		importBody(true, "b/nc.yml", apitest.NetcatRule, "a/listeners.yml", listenerCorrelation), 200, nil)
	var page struct {
		Items      []apitypes.RuleFile `json:"items"`
		NextCursor string              `json:"next_cursor"`
	}
	e.call("GET", "/api/v1/rule-files?limit=1", store.RoleViewer, nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].Name != "a/listeners.yml" || page.Items[0].Rules != 1 || page.Items[0].Size != len(listenerCorrelation) ||
		page.Items[0].Author != "token:responder-bot" || page.NextCursor == "" {
		t.Fatalf("first page %+v", page)
	}
	page.Items = nil
	e.call("GET", "/api/v1/rule-files?limit=1&cursor="+page.NextCursor, store.RoleViewer, nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].Name != "b/nc.yml" || page.NextCursor != "" {
		t.Fatalf("second page %+v", page)
	}
	// The raw content is never listed.
	if data := e.call("GET", "/api/v1/rule-files", store.RoleViewer, nil, 200, nil); strings.Contains(string(data), "Netcat") {
		t.Errorf("listing carries content: %s", data)
	}

	e.call("DELETE", "/api/v1/rule-files/b/nc.yml", store.RoleResponder, nil, 204, nil)
	e.call("GET", "/api/v1/rules/"+apitest.RuleNetcat, store.RoleViewer, nil, 404, nil)
	if got := e.storedFiles(); !cmp.Equal(got, []string{"a/listeners.yml"}) {
		t.Errorf("stored %v", got)
	}
	// The correlation lost the rule it needs.
	page.Items = nil
	e.call("GET", "/api/v1/rule-files", store.RoleViewer, nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].Rules != 0 || page.Items[0].Problems != 1 {
		t.Errorf("after the delete %+v", page.Items)
	}
	entries := e.audit("rulefile.delete")
	sum := sha256.Sum256([]byte(apitest.NetcatRule))
	if len(entries) != 1 || entries[0].Target != "b/nc.yml" || entries[0].Detail["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("audit %+v", entries)
	}
	e.call("DELETE", "/api/v1/rule-files/b/nc.yml", store.RoleResponder, nil, 404, nil)
	e.call("DELETE", "/api/v1/rule-files/b/nc.txt", store.RoleResponder, nil, 400, nil)
	// A file named like a route of /rules is still a file.
	e.call("DELETE", "/api/v1/rule-files/x/setting", store.RoleResponder, nil, 400, nil)
}

// FuzzRuleFileName: a name is refused with a 400 or is a clean relative
// path of a rule file, never a panic.
func FuzzRuleFileName(f *testing.F) {
	for _, s := range []string{"linux/x.yml", "../x.yml", "/x.yml", "a//b.yaml", ".x.yml", "x.test.yml", "x.YML", "a/./b.yml", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := checkRuleFileName(name)
		var ae *apiError
		if err != nil {
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
				t.Fatalf("not a 400: %v", err)
			}
			return
		}
		if !fs.ValidPath(name) || strings.HasPrefix(name, "/") || strings.Contains(name, "/.") || strings.HasPrefix(name, ".") {
			t.Fatalf("accepted %q", name)
		}
	})
}

// FuzzDecodeImport feeds arbitrary bodies to the strict decoder and the
// checks of an import: never a panic, only client errors.
func FuzzDecodeImport(f *testing.F) {
	f.Add(`{"files":[{"name":"linux/x.yml","content":"title: x"}],"force":true}`)
	f.Add(`{"files":[{"name":"../x.yml","content":""}]}`)
	f.Add(`{"files":null}`)
	f.Add(`{"files":[{"name":"x.yml","content":"\ud800"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var b apitypes.RuleImport
		err := decodeJSON([]byte(body), &b)
		if err == nil {
			err = checkImport(b)
		}
		var ae *apiError
		if err != nil && (!errors.As(err, &ae) || ae.Status != http.StatusBadRequest) {
			t.Fatalf("not a 400: %v", err)
		}
	})
}
