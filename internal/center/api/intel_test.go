package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/baseline"
	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// The center's services fit the API's seams.
var (
	_ Intel          = (*intel.Service)(nil)
	_ LoginBaselines = (*baseline.Service)(nil)
)

// indicatorList is the answer of GET /intel.
type indicatorList struct {
	Items      []store.Indicator `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

// TestIntelRoutes: indicators added one by one and imported from a file
// are listed, checked, matched at once and removed; each change is
// audited with its figures.
func TestIntelRoutes(t *testing.T) {
	e := newEnv(t)

	var res intel.ImportResult
	e.call("POST", "/api/v1/intel", store.RoleAnalyst, map[string]any{"indicators": []map[string]any{
		{"value": "203.0.113.7", "severity": "high", "description": "C2 server", "confidence": 90},
		{"value": "hxxp://evil[.]example[.]net/x.sh"},
		{"value": "not an indicator at all"},
		{"type": "md5", "value": "44d88612fea8a8f36de82e1278abb02f"},
	}}, http.StatusOK, &res)
	if res.Source != "manual" || res.Added != 3 || len(res.Problems) != 1 || res.Problems[0].Entry != "indicators[2]" {
		t.Errorf("add: %+v", res)
	}
	if a := e.audit("intel.add"); len(a) == 0 || a[0].Result != "ok" || a[0].Target != "manual" || !strings.Contains(string(mustJSON(t, a[0].Detail)), `"added":3`) {
		t.Errorf("audit of the add: %+v", a)
	}

	// A file: text with a comment, a network and a bad line.
	body := "# partner feed\n198.51.100.0/24 scanner network\nbad..name\nmalware.example.com\n"
	status, data := e.do("POST", "/api/v1/intel/import?source=partner&severity=medium&tags=scan,partner&expires_in=720h",
		e.tokens[store.RoleAnalyst], body)
	if status != http.StatusOK {
		t.Fatalf("import: %d %s", status, data)
	}
	res = intel.ImportResult{}
	mustUnmarshal(t, data, &res)
	if res.Format != intel.FormatText || res.Added != 2 || len(res.Problems) != 1 || res.Problems[0].Line != 3 {
		t.Errorf("import: %+v", res)
	}

	var list indicatorList
	e.call("GET", "/api/v1/intel?source=partner", store.RoleViewer, nil, http.StatusOK, &list)
	if len(list.Items) != 2 || list.Items[0].Source != "partner" || list.Items[0].ExpiresAt.IsZero() ||
		strings.Join(list.Items[0].Tags, ",") != "partner,scan" {
		t.Errorf("partner's indicators: %+v", list.Items)
	}
	e.call("GET", "/api/v1/intel?type=ip&limit=1", store.RoleViewer, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.NextCursor == "" {
		t.Fatalf("first page of ip indicators: %+v", list)
	}
	first := list.Items[0]
	e.call("GET", "/api/v1/intel?type=ip&limit=1&cursor="+url.QueryEscape(list.NextCursor), store.RoleViewer, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ID == first.ID || list.NextCursor != "" {
		t.Errorf("second page of ip indicators: %+v", list)
	}
	var one store.Indicator
	e.call("GET", "/api/v1/intel/"+first.ID, store.RoleViewer, nil, http.StatusOK, &one)
	if one.ID != first.ID || one.Value != first.Value {
		t.Errorf("one indicator: %+v", one)
	}

	// Check: an address inside the partner's network.
	var check checkAnswer
	e.call("GET", "/api/v1/intel/check?value=198.51.100.23", store.RoleViewer, nil, http.StatusOK, &check)
	if check.Type != store.IndicatorIP || len(check.Matches) != 1 || check.Matches[0].Value != "198.51.100.0/24" {
		t.Errorf("check: %+v", check)
	}
	e.call("GET", "/api/v1/intel/check?value=www.malware.example.com", store.RoleViewer, nil, http.StatusOK, &check)
	if check.Type != store.IndicatorDomain || len(check.Matches) != 1 {
		t.Errorf("check of a subdomain: %+v", check)
	}

	// The matcher took the changes at once: an event is enriched.
	ev := event.Event{"source": map[string]any{"ip": "203.0.113.7"}}
	if n := e.intel.Enrich(ev); n != 1 {
		t.Errorf("an event from the added address: %d matches", n)
	}
	if fields, _ := ev.Get("vigil.intel.fields"); !strings.Contains(jsonString(t, fields), "source.ip") {
		t.Errorf("vigil.intel.fields %v", fields)
	}

	var sources struct{ Items []store.IntelSource }
	e.call("GET", "/api/v1/intel/sources", store.RoleViewer, nil, http.StatusOK, &sources)
	if len(sources.Items) != 2 || sources.Items[0].Name != "manual" || sources.Items[0].Count != 3 || sources.Items[1].Count != 2 {
		t.Errorf("sources: %+v", sources.Items)
	}

	// Removal: one indicator, then a source.
	e.call("DELETE", "/api/v1/intel/"+first.ID, store.RoleAnalyst, nil, http.StatusNoContent, nil)
	e.call("GET", "/api/v1/intel/"+first.ID, store.RoleViewer, nil, http.StatusNotFound, nil)
	var removed struct{ Removed int }
	e.call("DELETE", "/api/v1/intel/sources/partner", store.RoleAnalyst, nil, http.StatusOK, &removed)
	if removed.Removed < 1 {
		t.Errorf("removed %d of partner", removed.Removed)
	}
	e.call("DELETE", "/api/v1/intel/sources/partner", store.RoleAnalyst, nil, http.StatusNotFound, nil)
	e.call("GET", "/api/v1/intel/check?value=198.51.100.23", store.RoleViewer, nil, http.StatusOK, &check)
	if len(check.Matches) != 0 {
		t.Errorf("a removed source still matches: %+v", check)
	}
}

// TestIntelRefusedIndicators: when no indicator of POST /intel is valid
// the 400 lists the problem of each.
func TestIntelRefusedIndicators(t *testing.T) {
	e := newEnv(t)
	var refusal indicatorRefusal
	e.call("POST", "/api/v1/intel", store.RoleAnalyst, map[string]any{"indicators": []map[string]any{
		{"value": "???"}, {"value": "1.2.3.4", "type": "ipv9"}, {"value": "1.2.3.4", "confidence": 400},
	}}, http.StatusBadRequest, &refusal)
	if refusal.Error.Code != "bad_request" || len(refusal.Problems) != 3 || refusal.Problems[1].Entry != "indicators[1]" ||
		!strings.Contains(refusal.Problems[1].Reason, "ipv9") {
		t.Errorf("refusal: %+v", refusal)
	}
	if a := e.audit("intel.add"); len(a) == 0 || a[0].Result == "ok" {
		t.Errorf("audit of the refused add: %+v", a)
	}
}

// TestIntelRefusals: bad requests get a 400 that says what is wrong.
func TestIntelRefusals(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		message      string
	}{
		{"GET", "/api/v1/intel?type=ipv9", nil, 400, "type"},
		{"GET", "/api/v1/intel?expired=maybe", nil, 400, "expired"},
		{"GET", "/api/v1/intel/check", nil, 400, "value"},
		{"GET", "/api/v1/intel/check?value=hello%20world", nil, 400, "value"},
		{"POST", "/api/v1/intel", map[string]any{"indicators": []any{}}, 400, "at least one"},
		{"POST", "/api/v1/intel", map[string]any{"indicators": []map[string]any{{"value": "???"}}}, 400, "no valid indicator"},
		{"POST", "/api/v1/intel", map[string]any{"indicators": []map[string]any{{"value": "1.2.3.4", "type": "ipv9"}}}, 400, "no valid indicator"},
		{"POST", "/api/v1/intel", `{"indicators":[{"value":"1.2.3.4","colour":"red"}]}`, 400, "colour"},
		{"POST", "/api/v1/intel/import", "1.2.3.4\n", 400, "source"},
		{"POST", "/api/v1/intel/import?source=x&format=yaml", "1.2.3.4\n", 400, "format"},
		{"POST", "/api/v1/intel/import?source=x&confidence=101", "1.2.3.4\n", 400, "confidence"},
		{"POST", "/api/v1/intel/import?source=x&expires_in=soon", "1.2.3.4\n", 400, "expires_in"},
		{"POST", "/api/v1/intel/import?source=x&replace=yes", "1.2.3.4\n", 400, "replace"},
		{"POST", "/api/v1/intel/import?source=x&format=stix", `{"type":"bundle","objects":`, 400, ""},
		{"GET", "/api/v1/intel/nope", nil, 404, "not found"},
		{"DELETE", "/api/v1/intel/nope", nil, 404, "not found"},
		{"GET", "/api/v1/baselines/logins?agent_id=" + strings.Repeat("a", 300), nil, 400, "agent_id"},
		{"DELETE", "/api/v1/baselines/logins", nil, 400, "agent_id"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			status, data := e.do(tc.method, tc.path, e.tokens[store.RoleAdmin], tc.body)
			if status != tc.status || !strings.Contains(string(data), tc.message) {
				t.Errorf("status %d %s, want %d with %q", status, data, tc.status, tc.message)
			}
		})
	}
}

// TestLoginBaselineRoutes: profiles learned from logins are listed with
// their host's name and status, and reset.
func TestLoginBaselineRoutes(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if err := e.st.Agents().Create(ctx, store.Agent{ID: "a1", Hostname: "web-1", Status: store.StatusOnline,
		EnrolledAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	login := func(agent, user, ip string, at time.Time) {
		ev := event.Event{"@timestamp": at.Format(time.RFC3339Nano), "agent": map[string]any{"id": agent},
			"event": map[string]any{"category": []any{"authentication"}, "action": "logged-in", "outcome": "success"},
			"user":  map[string]any{"name": user}, "source": map[string]any{"ip": ip}}
		if !e.logins.Observe(ev) {
			t.Fatalf("a login of %s on %s not observed", user, agent)
		}
	}
	start := e.clock.Now().Add(-30 * 24 * time.Hour) // 08:00 UTC
	for i := range 12 {
		login("a1", "alice", "192.0.2.10", start.Add(time.Duration(i)*24*time.Hour+9*time.Hour))
	}
	login("a1", "bob", "192.0.2.11", start)
	login("a2", "carol", "192.0.2.12", start)

	var list struct {
		Items      []loginProfile `json:"items"`
		NextCursor string         `json:"next_cursor"`
	}
	e.call("GET", "/api/v1/baselines/logins?agent_id=a1", store.RoleViewer, nil, http.StatusOK, &list)
	if len(list.Items) != 2 {
		t.Fatalf("profiles of a1: %+v", list.Items)
	}
	alice := list.Items[0]
	if alice.User != "alice" || alice.Hostname != "web-1" || alice.Status != "learned" || alice.Logins != 12 ||
		alice.Hours[17] != 12 || len(alice.Sources) != 1 || alice.TimeZone != "UTC" || alice.LearnedAt.IsZero() {
		t.Errorf("alice: %+v", alice)
	}
	if bob := list.Items[1]; bob.User != "bob" || bob.Status != "learning" {
		t.Errorf("bob: %+v", bob)
	}
	e.call("GET", "/api/v1/baselines/logins?limit=1", store.RoleViewer, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.NextCursor == "" {
		t.Errorf("first page: %+v", list)
	}

	var removed struct{ Removed int }
	e.call("DELETE", "/api/v1/baselines/logins?agent_id=a1&user=alice", store.RoleAnalyst, nil, http.StatusOK, &removed)
	if removed.Removed != 1 {
		t.Errorf("reset of alice removed %d", removed.Removed)
	}
	if a := e.audit("baseline.login.reset"); len(a) == 0 || a[0].Target != "a1" || !strings.Contains(string(mustJSON(t, a[0].Detail)), `"user":"alice"`) {
		t.Errorf("audit of the reset: %+v", a)
	}
	e.call("GET", "/api/v1/baselines/logins?agent_id=a1", store.RoleViewer, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].User != "bob" {
		t.Errorf("after the reset of alice: %+v", list.Items)
	}
	// alice learns again from nothing.
	login("a1", "alice", "198.51.100.99", e.clock.Now())
	e.call("GET", "/api/v1/baselines/logins?agent_id=a1&user=alice", store.RoleViewer, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Logins != 1 || list.Items[0].Status != "learning" {
		t.Errorf("alice after the reset and a login: %+v", list.Items)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonString(t *testing.T, v any) string { return string(mustJSON(t, v)) }

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
}
