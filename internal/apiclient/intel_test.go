package apiclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/center/baseline"
	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/store"
)

// Prefixes of the threat-intelligence and baseline routes.
const (
	intelRoutePrefix    = "/api/v1/intel"
	baselineRoutePrefix = "/api/v1/baselines"
)

// intelRoutes and baselineRoutes are the routes TestIntelRoutes calls.
var (
	intelRoutes = []string{"GET /api/v1/intel", "POST /api/v1/intel", "POST /api/v1/intel/import",
		"GET /api/v1/intel/sources", "DELETE /api/v1/intel/sources/{name}", "GET /api/v1/intel/check",
		"GET /api/v1/intel/{id}", "DELETE /api/v1/intel/{id}"}
	baselineRoutes = []string{"GET /api/v1/baselines/logins", "DELETE /api/v1/baselines/logins"}
)

// startIntelCenter starts the center's API with the real
// threat-intelligence service and login baseline when on, on the wall
// clock, which the store judges expiry by.
func startIntelCenter(t *testing.T, on bool) *apiclienttest.Env {
	t.Helper()
	opts := apiclienttest.Options{Now: time.Now}
	if on {
		zone, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			t.Fatal(err)
		}
		opts.Intel, opts.Baselines = true, zone
	}
	return apiclienttest.StartWith(t, opts)
}

func intPtr(n int) *int { return &n }

func TestIntelRoutes(t *testing.T) {
	e := startIntelCenter(t, true)
	c, viewer := client(t, e, e.AdminToken), client(t, e, e.ViewerToken)
	ctx := context.Background()

	// Add: the invalid entry is a problem, the others are kept.
	res, err := c.AddIndicators(ctx, "", []apiclient.IndicatorInput{
		{Value: "203.0.113.9", Severity: "high", Confidence: intPtr(0), Tags: []string{"c2"}, Techniques: []string{"T1071"}},
		{Value: "not-a-value"},
		{Type: store.IndicatorDomain, Value: "Evil[.]Example", Description: "phishing", ExpiresAt: time.Now().Add(time.Hour)},
	})
	if err != nil || res.Value.Source != "manual" || res.Value.Read != 3 || res.Value.Added != 2 || len(res.Value.Problems) != 1 ||
		res.Value.Problems[0].Entry != "indicators[1]" || !strings.Contains(string(res.JSON), `"added":2`) {
		t.Fatalf("AddIndicators = %+v (%s), %v", res.Value, res.JSON, err)
	}
	_, err = c.AddIndicators(ctx, "typos", []apiclient.IndicatorInput{{Value: "not-a-value"}, {Value: "nor-this"}})
	var ae *apiclient.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, "no valid indicator") {
		t.Errorf("add of nothing valid: %v", err)
	}
	if _, err := viewer.AddIndicators(ctx, "", []apiclient.IndicatorInput{{Value: "192.0.2.1"}}); !apiclient.IsStatus(err, http.StatusForbidden) {
		t.Errorf("viewer adds: %v", err)
	}

	// Import: every option goes into the query.
	file := "# feed\n198.51.100.0/24 botnet\nbad-download.example\n999.1.1.1\n"
	imp, err := c.ImportIndicators(ctx, apiclient.IntelImport{Source: "tracker", Format: intel.FormatText, Severity: "critical",
		Confidence: intPtr(0), Tags: []string{"botnet", "tracker"}, ExpiresIn: 720 * time.Hour, Replace: true},
		strings.NewReader(file), int64(len(file)))
	if err != nil || imp.Value.Format != intel.FormatText || imp.Value.Read != 3 || imp.Value.Added != 2 ||
		len(imp.Value.Problems) != 1 || imp.Value.Problems[0].Line != 4 || !strings.Contains(string(imp.JSON), `"line":4`) {
		t.Fatalf("ImportIndicators = %+v (%s), %v", imp.Value, imp.JSON, err)
	}
	if want := "POST /api/v1/intel/import?confidence=0&expires_in=720h0m0s&format=text&replace=true&severity=critical&source=tracker&tags=botnet%2Ctracker"; e.LastRequest() != want {
		t.Errorf("request %q, want %q", e.LastRequest(), want)
	}
	// Of unknown size, with the format detected; --replace removes.
	imp, err = c.ImportIndicators(ctx, apiclient.IntelImport{Source: "tracker", Replace: true}, strings.NewReader("198.51.100.7/24\n"), -1)
	if err != nil || imp.Value.Updated != 1 || imp.Value.Removed != 1 {
		t.Errorf("replace of unknown size = %+v, %v", imp.Value, err)
	}
	// A role that may not import is refused before the file is sent.
	big := &countingBody{r: sparseFile(t, 8<<20)}
	if _, err := viewer.ImportIndicators(ctx, apiclient.IntelImport{Source: "x"}, big, 8<<20); !apiclient.IsStatus(err, http.StatusForbidden) {
		t.Errorf("viewer imports: %v", err)
	}
	if n := big.n.Load(); n != 0 {
		t.Errorf("%d bytes of the file were read before the refusal", n)
	}
	// A file the center cannot read is refused.
	_, err = c.ImportIndicators(ctx, apiclient.IntelImport{Source: "x", Format: intel.FormatSTIX}, strings.NewReader(`{"type":"bundle","objects":5}`), 29)
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, "unreadable indicator file") {
		t.Errorf("bad STIX: %v", err)
	}

	// Listings keep the center's JSON.
	page, err := viewer.Indicators(ctx, store.IndicatorFilter{Type: store.IndicatorIP, Source: "tracker", Q: "198", Expired: true, Page: store.Page{Limit: 5}})
	// The second import set what the first did not: the defaults.
	if err != nil || len(page.Items) != 1 || page.Items[0].Value.Value != "198.51.100.0/24" || page.Items[0].Value.Severity != intel.DefaultSeverity ||
		!strings.Contains(string(page.Items[0].JSON), `"source":"tracker"`) {
		t.Fatalf("Indicators = %+v, %v", page, err)
	}
	if want := "GET /api/v1/intel?expired=true&limit=5&q=198&source=tracker&type=ip"; e.LastRequest() != want {
		t.Errorf("request %q, want %q", e.LastRequest(), want)
	}
	id := page.Items[0].Value.ID
	in, err := viewer.Indicator(ctx, id)
	if err != nil || in.Value.ID != id || in.Value.Confidence != intel.DefaultConfidence || in.Value.UpdatedBy != "token:admin" {
		t.Errorf("Indicator = %+v, %v", in.Value, err)
	}
	if _, err := c.Indicator(ctx, "nope"); !apiclient.IsStatus(err, http.StatusNotFound) || err.Error() != "indicator nope not found (404 not_found)" {
		t.Errorf("unknown indicator: %v", err)
	}
	sources, err := viewer.IntelSources(ctx)
	var names []string
	for _, s := range sources {
		names = append(names, s.Value.Name)
	}
	if err != nil || !slices.Equal(names, []string{"manual", "tracker"}) || sources[0].Value.Count != 2 {
		t.Errorf("IntelSources = %v, %v", names, err)
	}

	// Check: a network holds the address, a domain its subdomains.
	chk, err := viewer.CheckIndicator(ctx, "198.51.100.23")
	if err != nil || chk.Value.Type != store.IndicatorIP || chk.Value.Normalized != "198.51.100.23" || len(chk.Value.Matches) != 1 ||
		chk.Value.Matches[0].ID != id {
		t.Errorf("CheckIndicator = %+v, %v", chk.Value, err)
	}
	if chk, err = viewer.CheckIndicator(ctx, "hxxp://www.evil[.]example/x"); err != nil || chk.Value.Type != store.IndicatorURL || len(chk.Value.Matches) != 0 {
		t.Errorf("CheckIndicator of a URL = %+v, %v", chk.Value, err)
	}
	if chk, err = viewer.CheckIndicator(ctx, "www.evil.example"); err != nil || len(chk.Value.Matches) != 1 || !strings.Contains(string(chk.JSON), `"matches":[{`) {
		t.Errorf("CheckIndicator of a subdomain = %+v, %v", chk.Value, err)
	}
	if chk, err = viewer.CheckIndicator(ctx, "192.0.2.1"); err != nil || chk.Value.Matches == nil || len(chk.Value.Matches) != 0 {
		t.Errorf("CheckIndicator without a match = %+v, %v", chk.Value, err)
	}
	if _, err := viewer.CheckIndicator(ctx, "no_such_thing"); !apiclient.IsStatus(err, http.StatusBadRequest) {
		t.Errorf("check of no value: %v", err)
	}

	// Deletes.
	if err := viewer.DeleteIndicator(ctx, id); !apiclient.IsStatus(err, http.StatusForbidden) {
		t.Errorf("viewer deletes: %v", err)
	}
	if err := c.DeleteIndicator(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteIndicator(ctx, id); !apiclient.IsStatus(err, http.StatusNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if n, err := c.DeleteIntelSource(ctx, "manual"); err != nil || n != 2 {
		t.Errorf("DeleteIntelSource = %d, %v", n, err)
	}
	if _, err := c.DeleteIntelSource(ctx, "manual"); !apiclient.IsStatus(err, http.StatusNotFound) || err.Error() != "intelligence source manual not found (404 not_found)" {
		t.Errorf("delete of an empty source: %v", err)
	}

	// Login profiles, with their host's name.
	if err := e.Store.Agents().Create(ctx, store.Agent{ID: "a1", Hostname: "web-1", Status: store.StatusOnline, EnrolledAt: time.Now(), UserKey: "UA1"}); err != nil {
		t.Fatal(err)
	}
	first := time.Now().Add(-30 * 24 * time.Hour).UTC().Truncate(time.Second)
	var hours [24]int64
	hours[9] = 20
	err = e.Store.Baselines().PutLoginProfiles(ctx, []store.LoginProfile{
		{AgentID: "a1", User: "alice", FirstSeen: first, LastSeen: first.Add(24 * time.Hour), Logins: 20, Hours: hours,
			Sources: []store.LoginSource{{IP: "10.0.0.5", FirstSeen: first, LastSeen: first, Count: 20}}},
		{AgentID: "a1", User: "bob", FirstSeen: first, LastSeen: first, Logins: 1},
		{AgentID: "a2", User: "root", FirstSeen: first, LastSeen: first, Logins: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := viewer.LoginProfiles(ctx, store.LoginProfileFilter{AgentID: "a1", Page: store.Page{Limit: 1}})
	if err != nil || len(ps.Items) != 1 || ps.NextCursor == "" {
		t.Fatalf("LoginProfiles = %+v, %v", ps, err)
	}
	p := ps.Items[0].Value
	if p.Hostname != "web-1" || p.User != "alice" || p.Status != baseline.StatusLearned || p.TimeZone != "Asia/Shanghai" ||
		p.Hours[9] != 20 || len(p.Sources) != 1 || p.LearnedAt.IsZero() || !strings.Contains(string(ps.Items[0].JSON), `"hostname":"web-1"`) {
		t.Errorf("login profile %+v", p)
	}
	if want := "GET /api/v1/baselines/logins?agent_id=a1&limit=1"; e.LastRequest() != want {
		t.Errorf("request %q, want %q", e.LastRequest(), want)
	}
	all, err := apiclient.Collect(apiclient.All(ctx, func(ctx context.Context, cursor string) (apiclient.Page[apiclient.Raw[apiclient.LoginProfile]], error) {
		return viewer.LoginProfiles(ctx, store.LoginProfileFilter{User: "root", Page: store.Page{Limit: 1, Cursor: cursor}})
	}), 0)
	if err != nil || len(all) != 1 || all[0].Value.AgentID != "a2" || all[0].Value.Hostname != "" || all[0].Value.Status != baseline.StatusLearning {
		t.Errorf("profiles of root: %+v, %v", all, err)
	}
	if _, err := viewer.ResetLoginProfiles(ctx, "a1", ""); !apiclient.IsStatus(err, http.StatusForbidden) {
		t.Errorf("viewer resets: %v", err)
	}
	if n, err := c.ResetLoginProfiles(ctx, "a1", "bob"); err != nil || n != 1 {
		t.Errorf("ResetLoginProfiles of a user = %d, %v", n, err)
	}
	if want := "DELETE /api/v1/baselines/logins?agent_id=a1&user=bob"; e.LastRequest() != want {
		t.Errorf("request %q, want %q", e.LastRequest(), want)
	}
	if n, err := c.ResetLoginProfiles(ctx, "a1", ""); err != nil || n != 1 {
		t.Errorf("ResetLoginProfiles of an agent = %d, %v", n, err)
	}
	if n, err := c.ResetLoginProfiles(ctx, "a1", ""); err != nil || n != 0 {
		t.Errorf("ResetLoginProfiles again = %d, %v", n, err)
	}
	checkRoutes(t, e, intelRoutePrefix, intelRoutes)
	checkRoutes(t, e, baselineRoutePrefix, baselineRoutes)
}

// TestIntelRoutesDescribed checks that the methods here call every
// threat-intelligence and baseline route api/openapi.yaml describes.
func TestIntelRoutesDescribed(t *testing.T) {
	for prefix, routes := range map[string][]string{intelRoutePrefix: intelRoutes, baselineRoutePrefix: baselineRoutes} {
		tested := slices.Sorted(slices.Values(routes))
		if described := describedRoutes(t, prefix); !slices.Equal(described, tested) {
			t.Errorf("routes described in api/openapi.yaml:\n %v\ncalled by the tests:\n %v", described, tested)
		}
	}
}

// TestIntelOff: a center with the services off answers 503 where they
// are needed; stored indicators are still listed.
func TestIntelOff(t *testing.T) {
	e := startIntelCenter(t, false)
	c := client(t, e, e.AdminToken)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"check": func() error { _, err := c.CheckIndicator(ctx, "192.0.2.1"); return err },
		"add": func() error {
			_, err := c.AddIndicators(ctx, "", []apiclient.IndicatorInput{{Value: "192.0.2.1"}})
			return err
		},
		"import": func() error {
			_, err := c.ImportIndicators(ctx, apiclient.IntelImport{Source: "x"}, strings.NewReader("192.0.2.1\n"), 10)
			return err
		},
	} {
		if err := call(); !apiclient.IsStatus(err, http.StatusServiceUnavailable) || err.Error() != "threat intelligence is off on this center (503 unavailable)" {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, call := range map[string]func() error{
		"list":  func() error { _, err := c.LoginProfiles(ctx, store.LoginProfileFilter{}); return err },
		"reset": func() error { _, err := c.ResetLoginProfiles(ctx, "a1", ""); return err },
	} {
		if err := call(); !apiclient.IsStatus(err, http.StatusServiceUnavailable) || err.Error() != "login baselines are off on this center (503 unavailable)" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if page, err := c.Indicators(ctx, store.IndicatorFilter{}); err != nil || page.Items == nil || len(page.Items) != 0 {
		t.Errorf("Indicators = %+v, %v", page, err)
	}
}

// TestIntelOnTheWire checks what the methods send and how the answers
// are read, against a handler that records them.
func TestIntelOnTheWire(t *testing.T) {
	const result = `{"format":"stix", "source":"apt","read":3,"added":1,"updated":1,"removed":0,"skipped":1,` +
		`"problems":[{"entry":"indicator--1","reason":"AND is not supported"}],"future":true}`
	var method, target, contentType, expect, body string
	calls := 0
	c, _ := newTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("source") == "forbidden" {
			// As the center's role check does: before the body is read.
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"code":"forbidden","message":"role viewer may not do this (needs analyst)"}}`)
			return
		}
		data, _ := io.ReadAll(r.Body)
		method, target, contentType, expect, body = r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), r.Header.Get("Expect"), string(data)
		switch {
		case r.Method == http.MethodDelete:
			io.WriteString(w, `{"removed":7}`)
		default:
			io.WriteString(w, result)
		}
	}), "vgt_x")
	ctx := context.Background()

	res, err := c.AddIndicators(ctx, "", []apiclient.IndicatorInput{{Value: "192.0.2.1", Confidence: intPtr(0)}, {Type: "url", Value: "http://x.example/"}})
	if err != nil || string(res.JSON) != result || res.Value.Problems[0].Entry != "indicator--1" || res.Value.Skipped != 1 {
		t.Fatalf("AddIndicators = %+v (%s), %v", res.Value, res.JSON, err)
	}
	if want := `{"indicators":[{"value":"192.0.2.1","confidence":0},{"type":"url","value":"http://x.example/"}]}`; method != "POST" ||
		target != "/api/v1/intel" || contentType != "application/json" || body != want {
		t.Errorf("sent %s %s, type %q, body %s; want body %s", method, target, contentType, body, want)
	}
	out, err := json.Marshal(res)
	if err != nil || string(out) != `{"format":"stix","source":"apt","read":3,"added":1,"updated":1,"removed":0,"skipped":1,"problems":[{"entry":"indicator--1","reason":"AND is not supported"}],"future":true}` {
		t.Errorf("encoded again: %s, %v", out, err)
	}

	file := "192.0.2.1\n"
	if _, err := c.ImportIndicators(ctx, apiclient.IntelImport{Source: "a b"}, strings.NewReader(file), int64(len(file))); err != nil {
		t.Fatal(err)
	}
	if target != "/api/v1/intel/import?source=a+b" || contentType != "application/octet-stream" || expect != "100-continue" || body != file {
		t.Errorf("import sent %s, type %q, expect %q, body %q", target, contentType, expect, body)
	}
	// Refused before the body is read: the reader is not touched.
	big := &countingBody{r: sparseFile(t, 8<<20)}
	if _, err := c.ImportIndicators(ctx, apiclient.IntelImport{Source: "forbidden"}, big, 8<<20); !apiclient.IsStatus(err, http.StatusForbidden) {
		t.Errorf("refused import: %v", err)
	}
	if n := big.n.Load(); n != 0 {
		t.Errorf("%d bytes read before the refusal", n)
	}
	if n, err := c.DeleteIntelSource(ctx, "feed/2"); err != nil || n != 7 || target != "/api/v1/intel/sources/feed%2F2" {
		t.Errorf("DeleteIntelSource = %d, %v; sent %s", n, err, target)
	}
	if n, err := c.ResetLoginProfiles(ctx, "a1", "r&d"); err != nil || n != 7 || target != "/api/v1/baselines/logins?agent_id=a1&user=r%26d" {
		t.Errorf("ResetLoginProfiles = %d, %v; sent %s", n, err, target)
	}

	// What the center would refuse is not sent.
	calls = 0
	for name, call := range map[string]func() error{
		"no indicator": func() error { _, err := c.AddIndicators(ctx, "", nil); return err },
		"too many": func() error {
			_, err := c.AddIndicators(ctx, "", make([]apiclient.IndicatorInput, apiclient.MaxIndicatorsAdded+1))
			return err
		},
		"no source": func() error {
			_, err := c.ImportIndicators(ctx, apiclient.IntelImport{}, strings.NewReader(file), 10)
			return err
		},
		"confidence": func() error {
			_, err := c.ImportIndicators(ctx, apiclient.IntelImport{Source: "x", Confidence: intPtr(101)}, strings.NewReader(file), 10)
			return err
		},
		"comma in a tag": func() error {
			_, err := c.ImportIndicators(ctx, apiclient.IntelImport{Source: "x", Tags: []string{"a,b"}}, strings.NewReader(file), 10)
			return err
		},
		"negative expiry": func() error {
			_, err := c.ImportIndicators(ctx, apiclient.IntelImport{Source: "x", ExpiresIn: -time.Hour}, strings.NewReader(file), 10)
			return err
		},
		"too large": func() error {
			_, err := c.ImportIndicators(ctx, apiclient.IntelImport{Source: "x"}, sparseFile(t, apiclient.MaxIntelUpload+1), apiclient.MaxIntelUpload+1)
			return err
		},
	} {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if calls != 0 {
		t.Errorf("%d requests sent for refused calls", calls)
	}
}

func TestIntelEmptyIDsAreRefused(t *testing.T) {
	e := startIntelCenter(t, true)
	c := client(t, e, e.AdminToken)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"indicator":     func() error { _, err := c.Indicator(ctx, ""); return err },
		"delete":        func() error { return c.DeleteIndicator(ctx, "") },
		"delete source": func() error { _, err := c.DeleteIntelSource(ctx, ""); return err },
		"check":         func() error { _, err := c.CheckIndicator(ctx, ""); return err },
		"reset":         func() error { _, err := c.ResetLoginProfiles(ctx, "", "alice"); return err },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(e.Requests()); n != 0 {
		t.Errorf("%d requests sent for empty ids", n)
	}
}

// TestImportResultDecodes: a result without problems decodes with an
// empty list, and the center's problems keep their line or entry.
func TestImportResultDecodes(t *testing.T) {
	var r apiclient.Raw[intel.ImportResult]
	doc := `{"format":"text","source":"s","read":2,"added":1,"updated":0,"removed":0,"skipped":0,"problems":[{"line":2,"entry":"x","reason":"bad"}]}`
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	want := intel.ImportResult{Format: intel.FormatText, Source: "s", Read: 2, Added: 1, Problems: []intel.Problem{{Line: 2, Entry: "x", Reason: "bad"}}}
	if diff := cmp.Diff(want, r.Value); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
}
