package intel

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// testNow is the clock of the enrichment tests.
var testNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// enricher returns a Service whose matcher holds ins, without a store:
// Enrich reads only the matcher.
func enricher(ins ...store.Indicator) *Service {
	s := New(Config{Now: func() time.Time { return testNow }})
	s.state.Store(&loaded{m: NewMatcher(ins), at: testNow})
	return s
}

// decoded returns an event as the center decodes it from JSON.
func decoded(t testing.TB, js string) event.Event {
	t.Helper()
	e, err := event.DecodeJSONNumbers([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// jsonOf encodes v for comparisons.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEnrichFields(t *testing.T) {
	loop := ind(store.IndicatorIP, "127.0.0.0/8", "lab-feed")
	loop.Description, loop.Confidence, loop.Severity = "loopback test range", 80, "high"
	loop.Reference = "https://intel.example.com/r/9"
	exact := ind(store.IndicatorIP, "127.0.0.7", "manual")
	exact.Description, exact.Confidence, exact.Severity = "test address", 10, "low"
	dom := ind(store.IndicatorDomain, "example.net", "dns-feed")
	dom.Severity, dom.Confidence = "critical", 50
	s := enricher(loop, exact, dom)

	ev := decoded(t, `{"event":{"id":"e1","category":"network"},
		"source":{"ip":"127.0.0.7","port":40000},
		"destination":{"ip":"192.0.2.1","domain":"WWW.Example.NET."}}`)
	if n := s.Enrich(ev); n != 3 {
		t.Fatalf("Enrich = %d, want 3", n)
	}
	want := `{"destination":{"domain":"WWW.Example.NET.","ip":"192.0.2.1"},"event":{"category":"network","id":"e1"},` +
		`"source":{"ip":"127.0.0.7","port":40000},` +
		`"threat":{"enrichments":[` +
		`{"indicator":{"confidence":"Low","description":"test address","ip":"127.0.0.7","provider":"manual","type":"ipv4-addr"},` +
		`"matched":{"atomic":"127.0.0.7","field":"source.ip","id":"` + exact.ID + `","type":"indicator_match_rule"}},` +
		`{"indicator":{"confidence":"High","description":"loopback test range","ip":"127.0.0.0/8","provider":"lab-feed",` +
		`"reference":"https://intel.example.com/r/9","type":"ipv4-addr"},` +
		`"matched":{"atomic":"127.0.0.7","field":"source.ip","id":"` + loop.ID + `","type":"indicator_match_rule"}},` +
		`{"indicator":{"confidence":"Medium","description":"","domain":"example.net","provider":"dns-feed","type":"domain-name"},` +
		`"matched":{"atomic":"WWW.Example.NET.","field":"destination.domain","id":"` + dom.ID + `","type":"indicator_match_rule"}}]},` +
		`"vigil":{"intel":{"fields":["destination.domain","source.ip"],"ids":` + jsonOf(t, sortedUnique([]string{exact.ID, loop.ID, dom.ID})) +
		`,"severity":"critical","sources":["dns-feed","lab-feed","manual"]}}}`
	if d := cmp.Diff(want, jsonOf(t, ev)); d != "" {
		t.Errorf("event (-want +got):\n%s", d)
	}
	if _, ok := ev.Get(FieldEnrichments); !ok {
		t.Fatal("no enrichments")
	}
	if v, _ := ev.Get(FieldIntelFields); reflect.TypeOf(v) != reflect.TypeOf([]any{}) {
		t.Errorf("vigil.intel.fields is %T, want []any as decoded events hold", v)
	}
	st := s.Stats()
	if st.Enriched != 1 || st.Hits != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestEnrichIndicatorForms(t *testing.T) {
	sha := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	tests := []struct {
		name   string
		in     store.Indicator
		event  string
		field  string
		indObj string // the indicator object, less provider, description, confidence
	}{
		{"ipv6", ind(store.IndicatorIP, "2001:db8::/32", "f"), `{"client":{"ip":"2001:DB8::5"}}`, "client.ip",
			`"ip":"2001:db8::/32","type":"ipv6-addr"`},
		{"mapped", ind(store.IndicatorIP, "198.51.100.4", "f"), `{"server":{"ip":"::ffff:198.51.100.4"}}`, "server.ip",
			`"ip":"198.51.100.4","type":"ipv4-addr"`},
		{"zone", ind(store.IndicatorIP, "fe80::1", "f"), `{"destination":{"ip":"fe80::1%eth0"}}`, "destination.ip",
			`"ip":"fe80::1","type":"ipv6-addr"`},
		{"dns", ind(store.IndicatorDomain, "example.com", "f"), `{"dns":{"question":{"name":"a.b.example.com"}}}`, "dns.question.name",
			`"domain":"example.com","type":"domain-name"`},
		{"idn", ind(store.IndicatorDomain, "xn--bcher-kva.example", "f"), `{"url":{"domain":"BÜCHER.example"}}`, "url.domain",
			`"domain":"xn--bcher-kva.example","type":"domain-name"`},
		{"server domain", ind(store.IndicatorDomain, "example.org", "f"), `{"server":{"domain":"example.org"}}`, "server.domain",
			`"domain":"example.org","type":"domain-name"`},
		{"url", ind(store.IndicatorURL, "http://example.com/x?y=1", "f"), `{"url":{"full":"HTTP://Example.com:80/x?y=1#top"}}`, "url.full",
			`"type":"url","url":{"full":"http://example.com/x?y=1"}`},
		{"url original", ind(store.IndicatorURL, "https://example.com/", "f"), `{"url":{"original":"https://example.com"}}`, "url.original",
			`"type":"url","url":{"full":"https://example.com/"}`},
		{"idn url", ind(store.IndicatorURL, "http://xn--bcher-kva.example/", "f"), `{"url":{"full":"http://bücher.example/"}}`, "url.full",
			`"type":"url","url":{"full":"http://xn--bcher-kva.example/"}`},
		{"process hash", ind(store.IndicatorSHA256, sha, "f"), `{"process":{"hash":{"sha256":"` + strings.ToUpper(sha) + `"}}}`,
			"process.hash.sha256", `"file":{"hash":{"sha256":"` + sha + `"}},"type":"file"`},
		{"parent hash", ind(store.IndicatorMD5, "44d88612fea8a8f36de82e1278abb02f", "f"),
			`{"process":{"parent":{"hash":{"md5":"44d88612fea8a8f36de82e1278abb02f"}}}}`, "process.parent.hash.md5",
			`"file":{"hash":{"md5":"44d88612fea8a8f36de82e1278abb02f"}},"type":"file"`},
		{"file hash", ind(store.IndicatorSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "f"),
			`{"file":{"hash":{"sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709"}}}`, "file.hash.sha1",
			`"file":{"hash":{"sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709"}},"type":"file"`},
		{"dll hash", ind(store.IndicatorSHA256, sha, "f"), `{"dll":{"hash":{"sha256":"` + sha + `"}}}`, "dll.hash.sha256",
			`"file":{"hash":{"sha256":"` + sha + `"}},"type":"file"`},
		{"flat key", ind(store.IndicatorIP, "192.0.2.9", "f"), `{"source.ip":"192.0.2.9"}`, "source.ip",
			`"ip":"192.0.2.9","type":"ipv4-addr"`},
		{"dotted key inside", ind(store.IndicatorSHA256, sha, "f"), `{"process":{"parent.hash.sha256":"` + sha + `"}}`,
			"process.parent.hash.sha256", `"file":{"hash":{"sha256":"` + sha + `"}},"type":"file"`},
		{"list value", ind(store.IndicatorIP, "192.0.2.9", "f"), `{"destination":{"ip":["192.0.2.8","192.0.2.9"]}}`, "destination.ip",
			`"ip":"192.0.2.9","type":"ipv4-addr"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := enricher(tt.in)
			ev := decoded(t, tt.event)
			if n := s.Enrich(ev); n != 1 {
				t.Fatalf("Enrich = %d, want 1", n)
			}
			list, _ := ev.Get(FieldEnrichments)
			enr := list.([]any)[0].(map[string]any)
			indicator := enr["indicator"].(map[string]any)
			delete(indicator, "provider")
			delete(indicator, "description")
			delete(indicator, "confidence")
			if got := jsonOf(t, indicator); got != "{"+tt.indObj+"}" {
				t.Errorf("indicator %s, want {%s}", got, tt.indObj)
			}
			matched := enr["matched"].(map[string]any)
			if matched["field"] != tt.field || matched["id"] != tt.in.ID {
				t.Errorf("matched %v", matched)
			}
			if f, _ := ev.Get(FieldIntelFields); !reflect.DeepEqual(f, []any{tt.field}) {
				t.Errorf("vigil.intel.fields %v", f)
			}
		})
	}
}

func TestEnrichNoMatch(t *testing.T) {
	s := enricher(
		ind(store.IndicatorIP, "198.51.100.0/24", "f"),
		ind(store.IndicatorDomain, "example.com", "f"),
		ind(store.IndicatorURL, "http://example.com/x", "f"),
		ind(store.IndicatorMD5, "44d88612fea8a8f36de82e1278abb02f", "f"),
	)
	events := []string{
		`{}`,
		`{"event":{"id":"x"},"message":"198.51.100.7 example.com"}`,
		`{"source":{"ip":"198.51.101.7"},"destination":{"ip":"not an address","domain":"notexample.com"}}`,
		`{"url":{"original":"/x","full":"http://example.com/y","domain":"example.org"}}`,
		`{"process":{"hash":{"md5":"44d88612fea8a8f36de82e1278abb02e","sha1":42}},"source":{"ip":7}}`,
		`{"dns":{"question":{"name":"com"}},"file":{"hash":"44d88612fea8a8f36de82e1278abb02f"}}`,
		`{"source":"198.51.100.7","threat":{"enrichments":[]}}`,
	}
	for _, js := range events {
		ev := decoded(t, js)
		before := decoded(t, js)
		if n := s.Enrich(ev); n != 0 {
			t.Errorf("%s: Enrich = %d, want 0", js, n)
		}
		if !reflect.DeepEqual(ev, before) {
			t.Errorf("%s: event changed to %s", js, jsonOf(t, ev))
		}
		allocs := testing.AllocsPerRun(50, func() { s.Enrich(ev) })
		if allocs != 0 {
			t.Errorf("%s: %.0f allocations when nothing matches", js, allocs)
		}
	}
	if st := s.Stats(); st.Enriched != 0 || st.Hits != 0 {
		t.Errorf("stats %+v", st)
	}
	// Before any load the matcher is empty.
	if n := New(Config{}).Enrich(decoded(t, `{"source":{"ip":"198.51.100.7"}}`)); n != 0 {
		t.Errorf("an empty service matched %d", n)
	}
}

func TestEnrichExpired(t *testing.T) {
	old := ind(store.IndicatorIP, "192.0.2.1", "f")
	old.ExpiresAt = testNow // expires at this very time: no longer matches
	live := ind(store.IndicatorIP, "192.0.2.0/24", "f")
	live.ExpiresAt = testNow.Add(time.Minute)
	s := enricher(old, live)
	ev := decoded(t, `{"source":{"ip":"192.0.2.1"}}`)
	if n := s.Enrich(ev); n != 1 {
		t.Fatalf("Enrich = %d, want 1 (the expired indicator left out)", n)
	}
	if ids, _ := ev.Get(FieldIntelIDs); !reflect.DeepEqual(ids, []any{live.ID}) {
		t.Errorf("ids %v", ids)
	}
	only := enricher(old)
	ev = decoded(t, `{"source":{"ip":"192.0.2.1"}}`)
	if n := only.Enrich(ev); n != 0 || len(ev) != 1 {
		t.Errorf("only an expired indicator: Enrich = %d, event %v", n, ev)
	}
}

func TestEnrichKeepsAndDoesNotRepeat(t *testing.T) {
	in := ind(store.IndicatorIP, "192.0.2.1", "f")
	s := enricher(in)
	ev := decoded(t, `{"source":{"ip":"192.0.2.1"},"destination":{"ip":"192.0.2.1"},
		"threat":{"enrichments":[{"indicator":{"type":"url"},"matched":{"id":"other","field":"url.full"}}],"framework":"MITRE ATT&CK"}}`)
	if n := s.Enrich(ev); n != 2 {
		t.Fatalf("Enrich = %d, want 2 (one per field)", n)
	}
	again := s.Enrich(ev)
	list, _ := ev.Get(FieldEnrichments)
	if again != 0 || len(list.([]any)) != 3 {
		t.Errorf("second Enrich = %d, %d enrichments; want 0 and the first 3", again, len(list.([]any)))
	}
	if fw := ev.String("threat.framework"); fw != "MITRE ATT&CK" {
		t.Errorf("threat.framework lost: %q", fw)
	}
	if ids, _ := ev.Get(FieldIntelIDs); !reflect.DeepEqual(ids, []any{in.ID}) {
		t.Errorf("ids %v", ids)
	}
	if f, _ := ev.Get(FieldIntelFields); !reflect.DeepEqual(f, []any{"destination.ip", "source.ip"}) {
		t.Errorf("fields %v", f)
	}
	// Hits count events, once per indicator each.
	if st := s.Stats(); st.Enriched != 2 || st.Hits != 2 {
		t.Errorf("stats %+v", st)
	}
	if got := s.hits.take(); got[in.ID] != 2 {
		t.Errorf("hit counts %v", got)
	}
}

func TestEnrichFieldsListed(t *testing.T) {
	got := EnrichFields()
	for _, f := range []string{"source.ip", "destination.ip", "client.ip", "server.ip", "dns.question.name",
		"destination.domain", "server.domain", "url.domain", "url.full", "url.original", "process.hash.md5",
		"process.parent.hash.sha256", "file.hash.sha1", "dll.hash.sha256"} {
		if !slices.Contains(got, f) {
			t.Errorf("%s not looked at", f)
		}
	}
	if len(got) != 22 {
		t.Errorf("%d fields, want 22", len(got))
	}
}

func TestConfidenceLevel(t *testing.T) {
	for c, want := range map[int]string{0: "Low", 29: "Low", 30: "Medium", 69: "Medium", 70: "High", 100: "High"} {
		if got := confidenceLevel(c); got != want {
			t.Errorf("confidenceLevel(%d) = %s, want %s", c, got, want)
		}
	}
}
