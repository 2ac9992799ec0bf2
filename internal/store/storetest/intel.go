package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var intelCases = []testCase{
	{"Intel/Put", testIntelPut},
	{"Intel/PutInvalid", testIntelPutInvalid},
	{"Intel/PutConcurrent", testIntelPutConcurrent},
	{"Intel/List", testIntelList},
	{"Intel/ListInvalid", testIntelListInvalid},
	{"Intel/Expiry", testIntelExpiry},
	{"Intel/Each", testIntelEach},
	{"Intel/Delete", testIntelDelete},
	{"Intel/DeleteSource", testIntelDeleteSource},
	{"Intel/Revision", testIntelRevision},
	{"Intel/RecordHits", testIntelRecordHits},
	{"Intel/RecordHitsConcurrent", testIntelRecordHitsConcurrent},
	{"Intel/Sources", testIntelSources},
}

// indicator returns an indicator of a botnet feed, with its id.
func indicator(t store.IndicatorType, value, source string, updated time.Time) store.Indicator {
	return store.Indicator{
		ID: store.IndicatorID(t, value, source), Type: t, Value: value, Source: source,
		Description: "Emotet C2 server", Severity: "high", Confidence: 80, Tags: []string{"botnet", "emotet"},
		Techniques: []string{"T1071.001", "T1573"}, Reference: "https://feodotracker.abuse.ch/browse/",
		CreatedAt: updated, UpdatedAt: updated, UpdatedBy: "feed:feodo",
	}
}

// storedIndicator is in as the store gives it back.
func storedIndicator(in store.Indicator) store.Indicator {
	in.CreatedAt, in.UpdatedAt = stored(in.CreatedAt), stored(in.UpdatedAt)
	in.ExpiresAt, in.LastHitAt = stored(in.ExpiresAt), stored(in.LastHitAt)
	if in.Tags == nil {
		in.Tags = []string{}
	}
	if in.Techniques == nil {
		in.Techniques = []string{}
	}
	return in
}

// putIndicators puts ins and fails unless the counts are as wanted.
func putIndicators(t *testing.T, s store.Store, wantAdded, wantUpdated int, ins ...store.Indicator) {
	t.Helper()
	added, updated, err := s.Intel().Put(ctx(t), ins)
	must(t, err)
	if added != wantAdded || updated != wantUpdated {
		t.Fatalf("Put of %d: %d added and %d updated, want %d and %d", len(ins), added, updated, wantAdded, wantUpdated)
	}
}

// getIndicator returns the indicator id.
func getIndicator(t *testing.T, s store.Store, id string) store.Indicator {
	t.Helper()
	in, err := s.Intel().Get(ctx(t), id)
	must(t, err)
	return in
}

// intelRevision returns the revision of the indicators.
func intelRevision(t *testing.T, s store.Store) int64 {
	t.Helper()
	rev, err := s.Intel().Revision(ctx(t))
	must(t, err)
	return rev
}

// allIndicators lists every indicator, expired ones included, in pages of
// limit.
func allIndicators(t *testing.T, s store.Store, f store.IndicatorFilter, limit int) []store.Indicator {
	t.Helper()
	return collect(t, limit, func(p store.Page) ([]store.Indicator, string, error) {
		f.Page = p
		return s.Intel().List(ctx(t), f)
	})
}

func testIntelPut(t *testing.T, s store.Store) {
	is := s.Intel()
	ip := indicator(store.IndicatorIP, "203.0.113.7", "feodo", at(0))
	ip.ExpiresAt = at(30 * 24 * time.Hour)
	net := indicator(store.IndicatorIP, "198.51.100.0/24", "feodo", at(time.Second))
	bare := store.Indicator{ID: store.IndicatorID(store.IndicatorSHA256, strings.Repeat("ab", 32), "manual"),
		Type: store.IndicatorSHA256, Value: strings.Repeat("ab", 32), Source: "manual", Severity: "low",
		UpdatedAt: at(time.Minute)} // no lists, no creation time
	putIndicators(t, s, 3, 0, ip, net, bare)

	got := getIndicator(t, s, ip.ID)
	diff(t, "indicator", storedIndicator(ip), got)
	wantUTC(t, "indicator", got.CreatedAt, got.UpdatedAt, got.ExpiresAt)
	wantBare := storedIndicator(bare)
	wantBare.CreatedAt = stored(bare.UpdatedAt)
	diff(t, "indicator without lists and creation time", wantBare, getIndicator(t, s, bare.ID))

	// A replacement takes everything but the creation and the hits.
	must(t, is.RecordHits(ctx(t), map[string]int64{ip.ID: 3}, at(time.Hour)))
	newer := indicator(store.IndicatorIP, ip.Value, ip.Source, at(2*time.Hour))
	newer.CreatedAt = at(2 * time.Hour)
	newer.Description, newer.Severity, newer.Confidence = "Dridex C2 server", "critical", 95
	newer.Tags, newer.Techniques, newer.Reference, newer.UpdatedBy = []string{"dridex"}, nil, "", "ann"
	newer.Hits, newer.LastHitAt = 100, at(3*time.Hour) // not taken for a known indicator
	putIndicators(t, s, 0, 1, newer)
	want := storedIndicator(newer)
	want.CreatedAt = stored(ip.CreatedAt)
	want.Hits, want.LastHitAt = 3, stored(at(time.Hour))
	diff(t, "replaced indicator", want, getIndicator(t, s, ip.ID))

	// Expiry can be cleared; a zero UpdatedAt means now.
	before := time.Now().Add(-time.Second)
	cleared := newer
	cleared.UpdatedAt, cleared.ExpiresAt = time.Time{}, time.Time{}
	putIndicators(t, s, 0, 1, cleared)
	got = getIndicator(t, s, ip.ID)
	if !got.ExpiresAt.IsZero() || got.UpdatedAt.Before(before) || got.UpdatedAt.After(time.Now()) {
		t.Fatalf("expiry %v, updated %v, want none and now", got.ExpiresAt, got.UpdatedAt)
	}

	// A new indicator keeps the hits it is given (an export put back).
	restored := indicator(store.IndicatorDomain, "evil.example", "otx", at(0))
	restored.Hits, restored.LastHitAt = 12, at(time.Minute)
	putIndicators(t, s, 1, 0, restored)
	diff(t, "indicator put with hits", storedIndicator(restored), getIndicator(t, s, restored.ID))

	// The same id twice in one call: written once, as given last, with
	// the creation given first; counted as added then updated.
	first := indicator(store.IndicatorURL, "http://Evil.example/Payload.exe", "urlhaus", at(0))
	second := first
	second.CreatedAt, second.UpdatedAt, second.Description = at(time.Hour), at(time.Hour), "second"
	putIndicators(t, s, 1, 1, first, second)
	wantTwice := storedIndicator(second)
	wantTwice.CreatedAt = stored(first.CreatedAt)
	diff(t, "indicator given twice", wantTwice, getIndicator(t, s, first.ID))
	putIndicators(t, s, 0, 2, second, first)
	diff(t, "known indicator given twice", storedIndicator(first), getIndicator(t, s, first.ID))

	// Only the id names an indicator.
	for _, id := range []string{"", "missing", ip.ID[:10], strings.ToUpper(ip.ID), ip.ID + "\x00", "\xff"} {
		_, err := is.Get(ctx(t), id)
		wantErr(t, fmt.Sprintf("Get %q", id), err, store.ErrNotFound)
	}
	putIndicators(t, s, 0, 0)
}

func testIntelPutInvalid(t *testing.T, s store.Store) {
	is := s.Intel()
	good := indicator(store.IndicatorDomain, "evil.example", "otx", at(0))
	putIndicators(t, s, 1, 0, good)
	rev := intelRevision(t, s)
	for name, change := range map[string]func(in *store.Indicator){
		"empty id":            func(in *store.Indicator) { in.ID = "" },
		"another id":          func(in *store.Indicator) { in.ID = store.IndicatorID(in.Type, in.Value, "other") },
		"unknown type":        func(in *store.Indicator) { in.Type = "email" },
		"empty type":          func(in *store.Indicator) { in.Type = "" },
		"empty value":         func(in *store.Indicator) { in.Value = "" },
		"empty source":        func(in *store.Indicator) { in.Source = "" },
		"unknown severity":    func(in *store.Indicator) { in.Severity = "severe" },
		"empty severity":      func(in *store.Indicator) { in.Severity = "" },
		"negative confidence": func(in *store.Indicator) { in.Confidence = -1 },
		"confidence over 100": func(in *store.Indicator) { in.Confidence = 101 },
		"negative hits":       func(in *store.Indicator) { in.Hits = -1 },
		"NUL in the value":    func(in *store.Indicator) { in.Value = "evil\x00.example" },
		"value not UTF-8":     func(in *store.Indicator) { in.Value = "evil\xff.example" },
		"source not UTF-8":    func(in *store.Indicator) { in.Source = "otx\xc3" },
		"NUL in a tag":        func(in *store.Indicator) { in.Tags = []string{"a\x00"} },
		"technique not UTF-8": func(in *store.Indicator) { in.Techniques = []string{"T\xfe"} },
		"NUL in description":  func(in *store.Indicator) { in.Description = "\x00" },
		"NUL in reference":    func(in *store.Indicator) { in.Reference = "http://\x00" },
		"NUL in updated by":   func(in *store.Indicator) { in.UpdatedBy = "ann\x00" },
	} {
		bad := indicator(store.IndicatorIP, "203.0.113.9", "otx", at(time.Hour))
		change(&bad)
		if bad.ID != "" && name != "another id" && name != "empty id" {
			bad.ID = store.IndicatorID(bad.Type, bad.Value, bad.Source)
		}
		// One bad indicator fails the whole call.
		also := indicator(store.IndicatorIP, "203.0.113.10", "otx", at(time.Hour))
		_, _, err := is.Put(ctx(t), []store.Indicator{also, bad})
		wantErr(t, "Put with "+name, err, store.ErrInvalid)
	}
	diff(t, "indicators after rejected puts", []store.Indicator{storedIndicator(good)},
		allIndicators(t, s, store.IndicatorFilter{Expired: true}, 100))
	if got := intelRevision(t, s); got != rev {
		t.Fatalf("revision %d after rejected puts, was %d", got, rev)
	}
}

func testIntelPutConcurrent(t *testing.T, s store.Store) {
	const workers = 8
	var mu sync.Mutex
	added, updated := 0, 0
	news := countNew(t, workers, func(i int) (bool, error) {
		// Each puts the shared indicator and one of its own.
		shared := indicator(store.IndicatorIP, "203.0.113.7", "feodo", at(time.Duration(i)*time.Second))
		own := indicator(store.IndicatorIP, fmt.Sprintf("198.51.100.%d", i), "feodo", at(0))
		a, u, err := s.Intel().Put(ctx(t), []store.Indicator{own, shared})
		mu.Lock()
		defer mu.Unlock()
		added, updated = added+a, updated+u
		return a == 2, err
	})
	if news != 1 || added != workers+1 || updated != workers-1 {
		t.Fatalf("concurrent puts: %d added both, %d added and %d updated in all; want 1, %d and %d",
			news, added, updated, workers+1, workers-1)
	}
	if got := len(allIndicators(t, s, store.IndicatorFilter{}, 100)); got != workers+1 {
		t.Fatalf("%d indicators after concurrent puts, want %d", got, workers+1)
	}
}

// compareIndicators is the listing order: type, value, source, in byte
// order.
func compareIndicators(a, b store.Indicator) int {
	return cmp.Or(strings.Compare(string(a.Type), string(b.Type)), strings.Compare(a.Value, b.Value),
		strings.Compare(a.Source, b.Source))
}

// intelSet is a set of indicators of every type from four sources (two
// that differ in case only), with descriptions that test free text, and
// expiries before and after now.
func intelSet() []store.Indicator {
	now := time.Now()
	descriptions := []string{"Emotet C2 server", "Cobalt Strike beacon", "ÄRGER dropper", "", "100% match_rate",
		"phishing kit"}
	sources := []string{"abuse.ch", "Manual", "manual", "otx"}
	var out []store.Indicator
	for i := range 48 {
		// Eight rounds of the six types; a value comes back every third
		// round, from another source.
		c, r := i%len(store.IndicatorTypes), i/len(store.IndicatorTypes)
		typ := store.IndicatorTypes[c]
		var value string
		switch typ {
		case store.IndicatorIP:
			value = fmt.Sprintf("203.0.113.%d", i)
		case store.IndicatorDomain:
			value = fmt.Sprintf("c2-%02d.example.org", r%3)
		case store.IndicatorURL:
			value = fmt.Sprintf("http://Evil.example/%d/Payload.exe", r%3)
		case store.IndicatorMD5:
			value = fmt.Sprintf("%032x", r%3)
		case store.IndicatorSHA1:
			value = fmt.Sprintf("%040x", i)
		case store.IndicatorSHA256:
			value = fmt.Sprintf("%064x", r%3)
		}
		in := indicator(typ, value, sources[r%len(sources)], at(time.Duration(i)*time.Minute))
		in.Description = descriptions[(r+c)%len(descriptions)]
		switch i % 5 {
		case 1:
			in.ExpiresAt = now.Add(-time.Hour)
		case 2:
			in.ExpiresAt = now.Add(time.Hour)
		}
		out = append(out, in)
	}
	// Values whose byte order differs from any locale's.
	for _, v := range []string{"Zeta.example", "alpha.example", "_under.example"} {
		out = append(out, indicator(store.IndicatorDomain, v, "Manual", at(time.Hour)))
	}
	return out
}

// indicatorMatches reports whether in is listed with f at now.
func indicatorMatches(in store.Indicator, f store.IndicatorFilter, now time.Time) bool {
	q := strings.ToLower(f.Q)
	return (f.Type == "" || in.Type == f.Type) && (f.Source == "" || in.Source == f.Source) &&
		(q == "" || strings.Contains(strings.ToLower(in.Value), q) || strings.Contains(strings.ToLower(in.Description), q)) &&
		(f.Expired || in.ExpiresAt.IsZero() || in.ExpiresAt.After(now))
}

func testIntelList(t *testing.T, s store.Store) {
	set := intelSet()
	putIndicators(t, s, len(set), 0, set...)
	now := time.Now()
	for _, f := range []store.IndicatorFilter{
		{}, {Expired: true},
		{Type: store.IndicatorURL}, {Type: store.IndicatorDomain, Expired: true},
		{Source: "manual"}, {Source: "Manual", Expired: true}, {Source: "nope"},
		{Type: store.IndicatorIP, Source: "otx"}, {Type: store.IndicatorSHA1, Source: "abuse.ch", Expired: true},
		{Q: "emotet"}, {Q: "EMOTET", Expired: true}, {Q: "evil.EXAMPLE/1"}, {Q: "ärger"}, {Q: "Ärger"},
		{Q: "100%"}, {Q: "%"}, {Q: "_"}, {Q: "h_r"}, {Q: "000000000000000002"}, {Q: "beacon", Type: store.IndicatorMD5},
		{Q: "example", Source: "Manual", Type: store.IndicatorDomain, Expired: true}, {Q: "no such text"},
	} {
		var want []store.Indicator
		for _, in := range set {
			if indicatorMatches(in, f, now) {
				want = append(want, storedIndicator(in))
			}
		}
		slices.SortFunc(want, compareIndicators)
		if want == nil {
			want = []store.Indicator{}
		}
		for _, limit := range []int{1, 4, 1000} {
			got := allIndicators(t, s, f, limit)
			if got == nil {
				got = []store.Indicator{}
			}
			diff(t, fmt.Sprintf("listing of %+v in pages of %d", f, limit), want, got)
		}
	}
	// A first page of the default size, and the rest.
	many := make([]store.Indicator, 0, 150)
	for i := range cap(many) {
		many = append(many, indicator(store.IndicatorSHA1, fmt.Sprintf("%040x", 1000+i), "bulk", at(0)))
	}
	putIndicators(t, s, len(many), 0, many...)
	page, next, err := s.Intel().List(ctx(t), store.IndicatorFilter{Source: "bulk"})
	must(t, err)
	if len(page) != store.DefaultLimit || next == "" {
		t.Fatalf("first page of %d: %d items, next %q", len(many), len(page), next)
	}
	rest, next, err := s.Intel().List(ctx(t), store.IndicatorFilter{Source: "bulk", Page: store.Page{Cursor: next}})
	must(t, err)
	if len(rest) != len(many)-store.DefaultLimit || next != "" {
		t.Fatalf("second page: %d items, next %q", len(rest), next)
	}
	for i, in := range many {
		many[i] = storedIndicator(in)
	}
	diff(t, "bulk listing", many, append(page, rest...))
}

func testIntelListInvalid(t *testing.T, s store.Store) {
	is := s.Intel()
	putIndicators(t, s, 2, 0, indicator(store.IndicatorIP, "203.0.113.7", "feodo", at(0)),
		indicator(store.IndicatorIP, "203.0.113.8", "feodo", at(0)))
	must(t, s.Baselines().PutLoginProfiles(ctx(t), []store.LoginProfile{loginProfile("agent-1", "root", at(0)),
		loginProfile("agent-1", "ann", at(0))}))
	_, profilesCursor, err := s.Baselines().ListLoginProfiles(ctx(t), store.LoginProfileFilter{Page: store.Page{Limit: 1}})
	must(t, err)
	for _, c := range append(garbageCursors, profilesCursor) {
		_, _, err := is.List(ctx(t), store.IndicatorFilter{Page: store.Page{Cursor: c}})
		wantErr(t, fmt.Sprintf("cursor %q", c), err, store.ErrBadCursor)
	}
	for _, f := range []store.IndicatorFilter{
		{Type: "email"}, {Type: "IP"}, {Source: "feodo\x00"}, {Source: "\xff"}, {Q: "a\x00"}, {Q: "\xc3"},
	} {
		_, _, err := is.List(ctx(t), f)
		wantErr(t, fmt.Sprintf("List %+v", f), err, store.ErrInvalid)
	}
}

func testIntelExpiry(t *testing.T, s store.Store) {
	is := s.Intel()
	now := time.Now()
	past := indicator(store.IndicatorIP, "203.0.113.1", "feodo", at(0))
	past.ExpiresAt = now.Add(-time.Minute)
	future := indicator(store.IndicatorIP, "203.0.113.2", "feodo", at(0))
	future.ExpiresAt = now.Add(time.Hour)
	never := indicator(store.IndicatorIP, "203.0.113.3", "feodo", at(0))
	putIndicators(t, s, 3, 0, past, future, never)
	diff(t, "listing at now", []store.Indicator{storedIndicator(past), storedIndicator(future), storedIndicator(never)},
		allIndicators(t, s, store.IndicatorFilter{Expired: true}, 10))
	diff(t, "listing at now without the expired", []store.Indicator{storedIndicator(future), storedIndicator(never)},
		allIndicators(t, s, store.IndicatorFilter{}, 10))

	// Each at a given time: an indicator stops matching at ExpiresAt.
	_, err := is.DeleteSource(ctx(t), "feodo")
	must(t, err)
	soon := indicator(store.IndicatorDomain, "evil.example", "otx", at(0))
	soon.ExpiresAt = at(time.Hour)
	later := indicator(store.IndicatorDomain, "bad.example", "otx", at(0))
	later.ExpiresAt = at(24 * time.Hour)
	putIndicators(t, s, 3, 0, soon, later, never)
	for _, tc := range []struct {
		at   time.Time
		want []store.Indicator
	}{
		{at(-24 * time.Hour), []store.Indicator{soon, later, never}},
		{stored(at(time.Hour)).Add(-time.Microsecond), []store.Indicator{soon, later, never}},
		{at(time.Hour), []store.Indicator{later, never}},
		{stored(at(time.Hour)), []store.Indicator{later, never}},
		{at(24 * time.Hour), []store.Indicator{never}},
		{at(10 * 365 * 24 * time.Hour), []store.Indicator{never}},
	} {
		want := make([]string, len(tc.want))
		for i, in := range tc.want {
			want[i] = in.ID
		}
		slices.Sort(want)
		got := []string{}
		must(t, is.Each(ctx(t), tc.at, func(in store.Indicator) error {
			got = append(got, in.ID)
			return nil
		}))
		diff(t, fmt.Sprintf("Each at %v", tc.at), want, got)
	}
}

func testIntelEach(t *testing.T, s store.Store) {
	is := s.Intel()
	none := 0
	must(t, is.Each(ctx(t), at(0), func(store.Indicator) error { none++; return nil }))
	if none != 0 {
		t.Fatalf("Each of an empty store called fn %d times", none)
	}
	// More than a few reads' worth, in one call.
	var set []store.Indicator
	for i := range 2600 {
		in := indicator(store.IndicatorIP, fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256), "bulk", at(0))
		if i%3 == 0 {
			in.ExpiresAt = at(time.Hour)
		}
		set = append(set, in)
	}
	putIndicators(t, s, len(set), 0, set...)
	byID := map[string]store.Indicator{}
	live := 0
	for _, in := range set {
		byID[in.ID] = in
		if in.ExpiresAt.IsZero() {
			live++
		}
	}
	var ids []string
	must(t, is.Each(ctx(t), at(time.Hour), func(in store.Indicator) error {
		diff(t, "indicator of Each", storedIndicator(byID[in.ID]), in)
		wantUTC(t, "indicator of Each", in.CreatedAt, in.UpdatedAt)
		ids = append(ids, in.ID)
		return nil
	}))
	if len(ids) != live || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Fatalf("Each: %d ids (sorted: %v), want %d distinct in order", len(ids), slices.IsSorted(ids), live)
	}

	// An error of fn ends the walk and is returned.
	stop := errors.New("enough")
	calls := 0
	err := is.Each(ctx(t), at(0), func(store.Indicator) error {
		calls++
		if calls == 1500 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 1500 {
		t.Fatalf("Each stopped after %d calls with %v, want 1500 and %v", calls, err, stop)
	}
}

func testIntelDelete(t *testing.T, s store.Store) {
	is := s.Intel()
	a := indicator(store.IndicatorIP, "203.0.113.7", "feodo", at(0))
	b := indicator(store.IndicatorIP, "203.0.113.8", "feodo", at(0))
	putIndicators(t, s, 2, 0, a, b)
	must(t, is.Delete(ctx(t), a.ID))
	_, err := is.Get(ctx(t), a.ID)
	wantErr(t, "Get deleted", err, store.ErrNotFound)
	for _, id := range []string{a.ID, "missing", "", "\x00", "\xff"} {
		wantErr(t, fmt.Sprintf("Delete %q", id), is.Delete(ctx(t), id), store.ErrNotFound)
	}
	diff(t, "indicators after delete", []store.Indicator{storedIndicator(b)}, allIndicators(t, s, store.IndicatorFilter{}, 10))
	// Put back, it is new again.
	putIndicators(t, s, 1, 0, a)
}

func testIntelDeleteSource(t *testing.T, s store.Store) {
	is := s.Intel()
	var feodo, otx []store.Indicator
	for i := range 300 {
		in := indicator(store.IndicatorIP, fmt.Sprintf("203.0.%d.%d", i/256, i%256), "feodo", at(0))
		if i%2 == 0 {
			in.ExpiresAt = at(-time.Hour) // expired ones go too
		}
		feodo = append(feodo, in)
	}
	for i := range 3 {
		otx = append(otx, indicator(store.IndicatorIP, fmt.Sprintf("203.0.%d.%d", i/256, i%256), "otx", at(0)))
	}
	otherCase := indicator(store.IndicatorIP, "203.0.113.7", "Feodo", at(0))
	putIndicators(t, s, len(feodo)+len(otx)+1, 0, append(append(feodo, otx...), otherCase)...)
	n, err := is.DeleteSource(ctx(t), "feodo")
	must(t, err)
	if n != len(feodo) {
		t.Fatalf("DeleteSource removed %d, want %d", n, len(feodo))
	}
	var want []store.Indicator
	for _, in := range append(otx, otherCase) {
		want = append(want, storedIndicator(in))
	}
	slices.SortFunc(want, compareIndicators)
	diff(t, "indicators after DeleteSource", want, allIndicators(t, s, store.IndicatorFilter{Expired: true}, 100))
	for _, src := range []string{"feodo", "feo", "nope", "otx\x00", "\xff"} {
		n, err := is.DeleteSource(ctx(t), src)
		if err != nil || n != 0 {
			t.Fatalf("DeleteSource %q: %d, %v; want 0", src, n, err)
		}
	}
	_, err = is.DeleteSource(ctx(t), "")
	wantErr(t, "DeleteSource of the empty source", err, store.ErrInvalid)
}

func testIntelRevision(t *testing.T, s store.Store) {
	is := s.Intel()
	a := indicator(store.IndicatorIP, "203.0.113.7", "feodo", at(0))
	b := indicator(store.IndicatorDomain, "evil.example", "otx", at(0))
	rev := intelRevision(t, s)
	step := func(what string, moves bool, fn func() error) {
		t.Helper()
		err := fn()
		got := intelRevision(t, s)
		switch {
		case moves && err != nil:
			t.Fatalf("%s: %v", what, err)
		case moves && got <= rev:
			t.Fatalf("%s: revision %d, was %d: want it grown", what, got, rev)
		case !moves && got != rev:
			t.Fatalf("%s: revision %d, was %d: want it unchanged", what, got, rev)
		}
		rev = got
	}
	put := func(ins ...store.Indicator) func() error {
		return func() error { _, _, err := is.Put(ctx(t), ins); return err }
	}
	deleteSource := func(src string) func() error {
		return func() error { _, err := is.DeleteSource(ctx(t), src); return err }
	}
	step("Put of new indicators", true, put(a, b))
	step("Put of a known indicator", true, put(a))
	step("Put of none", false, put())
	bad := a
	bad.Severity = "severe"
	step("rejected Put", false, put(bad))
	step("RecordHits", false, func() error { return is.RecordHits(ctx(t), map[string]int64{a.ID: 1}, at(0)) })
	step("Delete", true, func() error { return is.Delete(ctx(t), a.ID) })
	step("Delete of a missing indicator", false, func() error { is.Delete(ctx(t), a.ID); return nil })
	step("DeleteSource of a source without indicators", false, deleteSource("feodo"))
	step("DeleteSource", true, deleteSource("otx"))
	step("reads", false, func() error {
		_, _, err := is.List(ctx(t), store.IndicatorFilter{})
		if err == nil {
			_, err = is.Sources(ctx(t))
		}
		return err
	})
}

func testIntelRecordHits(t *testing.T, s store.Store) {
	is := s.Intel()
	a := indicator(store.IndicatorIP, "203.0.113.7", "feodo", at(0))
	b := indicator(store.IndicatorIP, "203.0.113.8", "feodo", at(0))
	c := indicator(store.IndicatorIP, "203.0.113.9", "feodo", at(0))
	putIndicators(t, s, 3, 0, a, b, c)
	rev := intelRevision(t, s)
	must(t, is.RecordHits(ctx(t), map[string]int64{a.ID: 2, b.ID: 5, "missing": 4, "\xff": 1, c.ID: 0}, at(time.Minute)))
	must(t, is.RecordHits(ctx(t), map[string]int64{a.ID: 1}, at(time.Hour)))
	must(t, is.RecordHits(ctx(t), nil, at(2*time.Hour)))
	// Counts recorded late: LastHitAt stays the latest.
	must(t, is.RecordHits(ctx(t), map[string]int64{a.ID: 1}, at(30*time.Minute)))
	for _, tc := range []struct {
		in   store.Indicator
		hits int64
		last time.Time
	}{{a, 4, at(time.Hour)}, {b, 5, at(time.Minute)}, {c, 0, time.Time{}}} {
		got := getIndicator(t, s, tc.in.ID)
		if got.Hits != tc.hits || !got.LastHitAt.Equal(stored(tc.last)) {
			t.Fatalf("%s: %d hits, last %v; want %d at %v", tc.in.Value, got.Hits, got.LastHitAt, tc.hits, stored(tc.last))
		}
		wantUTC(t, "last hit", got.LastHitAt)
	}
	if _, err := is.Get(ctx(t), "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RecordHits of an unknown id made it: %v", err)
	}
	if got := intelRevision(t, s); got != rev {
		t.Fatalf("revision %d after RecordHits, was %d", got, rev)
	}
	// Hits of more indicators than one statement takes.
	var many []store.Indicator
	hits := map[string]int64{}
	for i := range 700 {
		in := indicator(store.IndicatorDomain, fmt.Sprintf("c2-%04d.example", i), "bulk", at(0))
		many = append(many, in)
		hits[in.ID] = int64(i + 1)
	}
	putIndicators(t, s, len(many), 0, many...)
	must(t, is.RecordHits(ctx(t), hits, time.Time{}))
	for _, in := range allIndicators(t, s, store.IndicatorFilter{Source: "bulk"}, 1000) {
		if in.Hits != hits[in.ID] || in.LastHitAt.IsZero() {
			t.Fatalf("%s: %d hits at %v, want %d at now", in.Value, in.Hits, in.LastHitAt, hits[in.ID])
		}
	}
	err := is.RecordHits(ctx(t), map[string]int64{a.ID: 1, b.ID: -1}, at(3*time.Hour))
	wantErr(t, "RecordHits with a negative count", err, store.ErrInvalid)
	if got := getIndicator(t, s, a.ID); got.Hits != 4 {
		t.Fatalf("%d hits after a rejected RecordHits, want 4", got.Hits)
	}
}

func testIntelRecordHitsConcurrent(t *testing.T, s store.Store) {
	is := s.Intel()
	var set []store.Indicator
	for i := range 50 {
		set = append(set, indicator(store.IndicatorIP, fmt.Sprintf("203.0.113.%d", i), "feodo", at(0)))
	}
	putIndicators(t, s, len(set), 0, set...)
	const workers = 8
	countNew(t, workers, func(i int) (bool, error) {
		hits := map[string]int64{}
		for _, in := range set {
			hits[in.ID] = 1
		}
		if err := is.RecordHits(ctx(t), hits, at(time.Duration(i)*time.Second)); err != nil {
			return false, err
		}
		// Replacements and deletions of other indicators meanwhile.
		_, _, err := is.Put(ctx(t), append(slices.Clone(set[i:i+5]),
			indicator(store.IndicatorDomain, fmt.Sprintf("w%d.example", i), "otx", at(0))))
		if err == nil {
			_, err = is.DeleteSource(ctx(t), "otx")
		}
		return false, err
	})
	for _, in := range allIndicators(t, s, store.IndicatorFilter{Source: "feodo"}, 100) {
		if in.Hits != workers || !in.LastHitAt.Equal(stored(at((workers-1)*time.Second))) {
			t.Fatalf("%s: %d hits, last %v; want %d at %v", in.Value, in.Hits, in.LastHitAt, workers,
				stored(at((workers-1)*time.Second)))
		}
	}
}

func testIntelSources(t *testing.T, s store.Store) {
	is := s.Intel()
	got, err := is.Sources(ctx(t))
	must(t, err)
	diff(t, "sources of an empty store", []store.IntelSource{}, got)
	var ins []store.Indicator
	for i := range 5 {
		in := indicator(store.IndicatorIP, fmt.Sprintf("203.0.113.%d", i), "otx", at(time.Duration(i)*time.Minute))
		if i == 0 {
			in.ExpiresAt = at(-time.Hour) // counted all the same
		}
		ins = append(ins, in)
	}
	ins = append(ins, indicator(store.IndicatorDomain, "evil.example", "Manual", at(time.Hour)),
		indicator(store.IndicatorDomain, "evil.example", "manual", at(-time.Hour)),
		indicator(store.IndicatorDomain, "bad.example", "manual", at(0)),
		indicator(store.IndicatorURL, "http://bad.example/gate.php", "ZeuS tracker", at(0)))
	putIndicators(t, s, len(ins), 0, ins...)
	got, err = is.Sources(ctx(t))
	must(t, err)
	diff(t, "sources, by name in byte order", []store.IntelSource{
		{Name: "Manual", Count: 1, UpdatedAt: stored(at(time.Hour))},
		{Name: "ZeuS tracker", Count: 1, UpdatedAt: stored(at(0))},
		{Name: "manual", Count: 2, UpdatedAt: stored(at(0))},
		{Name: "otx", Count: 5, UpdatedAt: stored(at(4 * time.Minute))},
	}, got)
	wantUTC(t, "source", got[0].UpdatedAt)
}
