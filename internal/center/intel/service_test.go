package intel

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// openStore opens a SQLite store in a temporary folder.
func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// clock is a settable clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// newService returns a loaded Service over a fresh store.
func newService(t *testing.T, intel store.IntelStore, clk *clock) *Service {
	t.Helper()
	s := New(Config{Store: intel, Now: clk.now})
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// sourceValues lists the values of a source's indicators in the store.
func sourceValues(t *testing.T, intel store.IntelStore, source string) []string {
	t.Helper()
	list, _, err := intel.List(context.Background(), store.IndicatorFilter{Source: source, Expired: true, Page: store.Page{Limit: store.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, in := range list {
		out = append(out, in.Value)
	}
	slices.Sort(out)
	return out
}

// checked returns the values of the indicators Check finds for v.
func checked(t *testing.T, s *Service, v string) []string {
	t.Helper()
	_, _, ins, err := s.Check(v)
	if err != nil {
		t.Fatal(err)
	}
	return values(ins)
}

func TestServiceImportReplace(t *testing.T) {
	ctx := context.Background()
	intel := openStore(t).Intel()
	clk := newClock(testNow)
	s := newService(t, intel, clk)

	first := "192.0.2.1 first\n192.0.2.2\nexample.com\nbad..example.com\n"
	res, err := s.Import(ctx, strings.NewReader(first), ImportOptions{Source: "feed", Actor: "alice", Severity: "high"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatText || res.Source != "feed" || res.Read != 4 || res.Added != 3 || res.Updated != 0 ||
		res.Removed != 0 || len(res.Problems) != 1 || res.Problems[0].Line != 4 {
		t.Fatalf("first import %+v", res)
	}
	if got := checked(t, s, "192.0.2.1"); !slices.Equal(got, []string{"192.0.2.1@feed"}) {
		t.Fatalf("after import, Check = %v (the matcher was not reloaded)", got)
	}
	got, err := intel.Get(ctx, store.IndicatorID(store.IndicatorIP, "192.0.2.1", "feed"))
	if err != nil || got.UpdatedBy != "alice" || got.Severity != "high" || got.Description != "first" {
		t.Fatalf("stored %+v, %v", got, err)
	}
	// Another source is left alone by a replace.
	if _, err := s.Add(ctx, "manual", []store.Indicator{{Value: "192.0.2.2", Confidence: -1}}, "bob"); err != nil {
		t.Fatal(err)
	}

	second := `value,description
192.0.2.2,kept
example.com,kept
203.0.113.5,new
`
	res, err = s.Import(ctx, strings.NewReader(second), ImportOptions{Source: "feed", Replace: true, Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatCSV || res.Read != 3 || res.Added != 1 || res.Updated != 2 || res.Removed != 1 || len(res.Problems) != 0 {
		t.Fatalf("replacing import %+v", res)
	}
	if got := sourceValues(t, intel, "feed"); !slices.Equal(got, []string{"192.0.2.2", "203.0.113.5", "example.com"}) {
		t.Errorf("feed holds %v", got)
	}
	if got := sourceValues(t, intel, "manual"); !slices.Equal(got, []string{"192.0.2.2"}) {
		t.Errorf("manual holds %v", got)
	}
	if got := checked(t, s, "192.0.2.1"); got != nil {
		t.Errorf("removed indicator still matches: %v", got)
	}
	if got := checked(t, s, "hxxp://203.0.113[.]5"); got != nil {
		t.Errorf("a URL matched an address: %v", got)
	}
	if got := checked(t, s, "203.0.113[.]5"); !slices.Equal(got, []string{"203.0.113.5@feed"}) {
		t.Errorf("new indicator: %v", got)
	}

	// Replace with a file that yields nothing is refused and removes
	// nothing.
	for _, body := range []string{"", "not a value\n", "<html><body>502 Bad Gateway</body></html>\n"} {
		res, err = s.Import(ctx, strings.NewReader(body), ImportOptions{Source: "feed", Replace: true})
		if !errors.Is(err, store.ErrInvalid) || res.Removed != 0 {
			t.Errorf("replace with %q: %+v, %v; want ErrInvalid", body, res, err)
		}
	}
	if got := sourceValues(t, intel, "feed"); len(got) != 3 {
		t.Errorf("a refused replace removed indicators: %v", got)
	}

	// A bad file is an ErrBadFile error; no source is an ErrInvalid.
	if _, err := s.Import(ctx, strings.NewReader(`{"nope": 1}`), ImportOptions{Source: "feed"}); !errors.Is(err, ErrBadFile) {
		t.Errorf("bad file: %v", err)
	}
	if _, err := s.Import(ctx, strings.NewReader("192.0.2.1"), ImportOptions{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("no source: %v", err)
	}
}

func TestServiceImportBatches(t *testing.T) {
	ctx := context.Background()
	intel := openStore(t).Intel()
	s := newService(t, intel, newClock(testNow))
	var b strings.Builder
	n := putBatch + 2500
	for i := range n {
		fmt.Fprintf(&b, "10.%d.%d.%d\n", i>>16&255, i>>8&255, i&255)
	}
	res, err := s.Import(ctx, strings.NewReader(b.String()), ImportOptions{Source: "big"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != n || s.Stats().Indicators != n {
		t.Fatalf("added %d, matcher holds %d, want %d", res.Added, s.Stats().Indicators, n)
	}
	if got := checked(t, s, fmt.Sprintf("10.0.%d.%d", (n-1)>>8&255, (n-1)&255)); len(got) != 1 {
		t.Errorf("the last indicator (second batch) does not match: %v", got)
	}
}

func TestServiceReloadOnRevision(t *testing.T) {
	ctx := context.Background()
	intel := openStore(t).Intel()
	clk := newClock(testNow)
	s := newService(t, intel, clk)
	first := s.Stats()

	// Unchanged store: no rebuild.
	clk.add(time.Second)
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); !st.LoadedAt.Equal(first.LoadedAt) {
		t.Errorf("reloaded without a change: %+v", st)
	}

	// A write by someone else (another center, the API) moves the
	// revision.
	in := ind(store.IndicatorDomain, "example.org", "other")
	if _, _, err := intel.Put(ctx, []store.Indicator{in}); err != nil {
		t.Fatal(err)
	}
	if got := checked(t, s, "www.example.org"); got != nil {
		t.Fatalf("matched before a reload: %v", got)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := checked(t, s, "www.example.org"); !slices.Equal(got, []string{"example.org@other"}) {
		t.Fatalf("after reload: %v", got)
	}
	st := s.Stats()
	rev, _ := intel.Revision(ctx)
	if st.Revision != rev || st.Indicators != 1 || !st.LoadedAt.Equal(clk.now()) {
		t.Errorf("stats %+v, store revision %d", st, rev)
	}

	if err := intel.Delete(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := checked(t, s, "www.example.org"); got != nil {
		t.Fatalf("after delete and reload: %v", got)
	}
}

func TestServiceExpiry(t *testing.T) {
	ctx := context.Background()
	intel := openStore(t).Intel()
	clk := newClock(testNow)
	s := newService(t, intel, clk)
	res, err := s.Add(ctx, "", []store.Indicator{
		{Value: "198.51.100.7", ExpiresAt: testNow.Add(time.Hour), Confidence: -1},
		{Value: "198.51.100.0/24", Confidence: -1},
	}, "alice")
	if err != nil || res.Added != 2 {
		t.Fatalf("Add %+v, %v", res, err)
	}
	ev := func() event.Event { return event.Event{"source": map[string]any{"ip": "198.51.100.7"}} }
	if n := s.Enrich(ev()); n != 2 {
		t.Fatalf("before expiry Enrich = %d", n)
	}
	clk.add(time.Hour)
	// Expired but not reloaded yet: Enrich and Check leave it out.
	if n := s.Enrich(ev()); n != 1 {
		t.Errorf("after expiry Enrich = %d, want 1", n)
	}
	if got := checked(t, s, "198.51.100.7"); !slices.Equal(got, []string{"198.51.100.0/24@manual"}) {
		t.Errorf("after expiry Check = %v", got)
	}
	rev := s.Stats().Revision
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Indicators != 1 || !st.LoadedAt.Equal(clk.now()) || st.Revision != rev {
		t.Errorf("expiry did not rebuild the matcher: %+v", st)
	}
	// Nothing else expires: the next reload does nothing.
	clk.add(time.Hour)
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Stats().LoadedAt.Equal(clk.now()) {
		t.Error("rebuilt with nothing expired and no change")
	}
}

func TestServiceAdd(t *testing.T) {
	ctx := context.Background()
	intel := openStore(t).Intel()
	s := newService(t, intel, newClock(testNow))
	res, err := s.Add(ctx, "manual", []store.Indicator{
		{Value: "hxxp://evil[.]example[.]com/a", Severity: "critical", Confidence: 90, Tags: []string{"phish"}, Techniques: []string{"t1566.002"}},
		{Type: store.IndicatorDomain, Value: "Evil.Example.com.", Confidence: -1},
		{Type: store.IndicatorIP, Value: "evil.example.com", Confidence: -1},
		{Type: "email", Value: "a@example.com", Confidence: -1},
		{Value: "192.0.2.1", Severity: "urgent", Confidence: -1},
		{Value: "192.0.2.2", Confidence: 0},
		{Value: "192.0.2.2", Confidence: 30, Description: "merged"},
	}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatJSON || res.Read != 7 || res.Added != 3 || len(res.Problems) != 3 {
		t.Fatalf("Add %+v", res)
	}
	for i, p := range res.Problems {
		want := []string{"indicators[2]", "indicators[3]", "indicators[4]"}[i]
		if p.Entry != want || p.Line != 0 || p.Reason == "" {
			t.Errorf("problem %d: %+v, want entry %s", i, p, want)
		}
	}
	u, err := intel.Get(ctx, store.IndicatorID(store.IndicatorURL, "http://evil.example.com/a", "manual"))
	if err != nil || u.Severity != "critical" || u.Confidence != 90 || !slices.Equal(u.Techniques, []string{"T1566.002"}) || u.UpdatedBy != "alice" {
		t.Errorf("url %+v, %v", u, err)
	}
	d, err := intel.Get(ctx, store.IndicatorID(store.IndicatorDomain, "evil.example.com", "manual"))
	if err != nil || d.Confidence != DefaultConfidence || d.Severity != DefaultSeverity {
		t.Errorf("domain with defaults %+v, %v", d, err)
	}
	ip, err := intel.Get(ctx, store.IndicatorID(store.IndicatorIP, "192.0.2.2", "manual"))
	if err != nil || ip.Confidence != 30 || ip.Description != "merged" {
		t.Errorf("merged address %+v, %v", ip, err)
	}
	if got := checked(t, s, "sub.evil.example.com"); !slices.Equal(got, []string{"evil.example.com@manual"}) {
		t.Errorf("Check after Add: %v", got)
	}

	res, err = s.Add(ctx, "manual", []store.Indicator{{Value: "nope", Confidence: -1}, {Value: "999.0.0.1", Confidence: -1}}, "alice")
	if !errors.Is(err, store.ErrInvalid) || len(res.Problems) != 2 || res.Added != 0 {
		t.Fatalf("all invalid: %+v, %v", res, err)
	}
	if !strings.Contains(err.Error(), "indicators[0]") {
		t.Errorf("error %v does not name the first bad entry", err)
	}
}

func TestServiceCheck(t *testing.T) {
	s := enricher(ind(store.IndicatorIP, "203.0.113.0/24", "f"))
	typ, norm, ins, err := s.Check("  203.0.113[.]9 ")
	if err != nil || typ != store.IndicatorIP || norm != "203.0.113.9" || len(ins) != 1 {
		t.Fatalf("Check = %s %q %v %v", typ, norm, ins, err)
	}
	typ, norm, ins, err = s.Check("example.com")
	if err != nil || typ != store.IndicatorDomain || norm != "example.com" || ins != nil {
		t.Fatalf("Check of an unknown value = %s %q %v %v", typ, norm, ins, err)
	}
	if _, _, _, err := s.Check("no such thing"); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Check of no value: %v", err)
	}
}

// failingHits is the real store whose RecordHits fails while fail is
// set: the store's own failures cannot be provoked on demand.
type failingHits struct {
	store.IntelStore
	fail atomic.Bool
}

func (f *failingHits) RecordHits(ctx context.Context, hits map[string]int64, at time.Time) error {
	if f.fail.Load() {
		return errors.New("database is locked")
	}
	return f.IntelStore.RecordHits(ctx, hits, at)
}

func TestServiceHits(t *testing.T) {
	ctx := context.Background()
	intel := &failingHits{IntelStore: openStore(t).Intel()}
	clk := newClock(testNow)
	s := newService(t, intel, clk)
	if _, err := s.Add(ctx, "lab", []store.Indicator{{Value: "127.0.0.0/8", Confidence: -1}, {Value: "127.0.0.3", Confidence: -1}}, "a"); err != nil {
		t.Fatal(err)
	}
	netID := store.IndicatorID(store.IndicatorIP, "127.0.0.0/8", "lab")
	addrID := store.IndicatorID(store.IndicatorIP, "127.0.0.3", "lab")

	// Several enrichers at once, some while the matcher is rebuilt.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 250 {
				ip := fmt.Sprintf("127.0.0.%d", 2+(g+i)%2) // .2 and .3 in turn
				s.Enrich(event.Event{"source": map[string]any{"ip": ip}})
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			if err := s.Load(ctx); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if st := s.Stats(); st.Enriched != 1000 || st.Hits != 1500 {
		t.Fatalf("stats %+v, want 1000 events and 1500 hits", st)
	}

	intel.fail.Store(true)
	if err := s.FlushHits(ctx); err == nil {
		t.Fatal("FlushHits did not report the failure")
	}
	intel.fail.Store(false)
	clk.add(time.Minute)
	if err := s.FlushHits(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int64{netID: 1000, addrID: 500} {
		in, err := intel.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if in.Hits != want || !in.LastHitAt.Equal(clk.now()) {
			t.Errorf("%s: hits %d at %v, want %d at %v (counts kept across the failed write)", in.Value, in.Hits, in.LastHitAt, want, clk.now())
		}
	}
	if err := s.FlushHits(ctx); err != nil {
		t.Fatal(err)
	}
	if in, _ := intel.Get(ctx, netID); in.Hits != 1000 {
		t.Errorf("counted twice: %d", in.Hits)
	}
}

func TestServiceRun(t *testing.T) {
	ctx := context.Background()
	intel := openStore(t).Intel()
	s := New(Config{Store: intel, Reload: 10 * time.Millisecond, HitFlush: time.Hour})
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()

	in := ind(store.IndicatorIP, "127.0.0.9", "lab")
	if _, _, err := intel.Put(ctx, []store.Indicator{in}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Indicators != 1 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not reload after a change of the store")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := s.Enrich(event.Event{"destination": map[string]any{"ip": "127.0.0.9"}}); n != 1 {
		t.Fatalf("Enrich = %d", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The hour-long flush never ticked: the hit was written at the end.
	got, err := intel.Get(ctx, in.ID)
	if err != nil || got.Hits != 1 || got.LastHitAt.IsZero() {
		t.Fatalf("after Run: %+v, %v", got, err)
	}
}
