package compliance

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// fleet is a store with hosts and their compliance sets.
type fleet struct {
	t       *testing.T
	st      store.Store
	svc     *Service
	checks  []string // the first checks of cis_debian12
	digests map[string]string
}

func newFleet(t *testing.T, now time.Time) *fleet {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := New(ctx, Config{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := s.Policy("cis_debian12")
	if !ok {
		t.Fatal("cis_debian12 is not in the catalogue")
	}
	f := &fleet{t: t, st: st, svc: s, digests: map[string]string{}}
	for _, c := range e.Policy.Checks[:4] {
		f.checks = append(f.checks, c.ID)
	}
	return f
}

// host enrolls a host with labels.
func (f *fleet) host(id, hostname string, labels map[string]string) {
	f.t.Helper()
	err := f.st.Agents().Create(context.Background(), store.Agent{ID: id, Hostname: hostname, Labels: labels,
		Status: store.StatusOnline, EnrolledAt: time.Now().UTC()})
	if err != nil {
		f.t.Fatal(err)
	}
}

// report replaces a host's compliance set: the cis_debian12 checks get
// the statuses in order.
func (f *fleet) report(agent string, statuses ...string) {
	f.t.Helper()
	f.reportWith(agent, "test", statuses...)
}

// reportWith is report with the checks' reason.
func (f *fleet) reportWith(agent, reason string, statuses ...string) {
	f.t.Helper()
	items := []store.AssetRecord{policyItem(f.t, "cis_debian12", "evaluated")}
	for i, st := range statuses {
		it := checkItem(f.t, "cis_debian12", f.checks[i], st)
		it.Fields = bytes.Replace(it.Fields, []byte(`"reason":"test"`), []byte(`"reason":"`+reason+`"`), 1)
		it.Hash = event.AssetHash(it.Kind, it.Key, it.Name, it.Version, it.Fields)
		items = append(items, it)
	}
	hashes := map[string][32]byte{}
	for _, it := range items {
		hashes[it.Kind+"\x00"+it.Key] = it.Hash
	}
	base, ok := f.digests[agent]
	if !ok {
		base = event.InventoryDigest(nil)
	}
	digest := event.InventoryDigest(hashes)
	res, err := f.st.Inventory().Apply(context.Background(), store.InventoryChanges{AgentID: agent, Collector: Collector,
		BaseDigest: base, Digest: digest, Upserts: items, At: time.Now().UTC(), Last: true})
	if err != nil || res.Resync {
		f.t.Fatalf("apply: %+v %v", res, err)
	}
	f.digests[agent] = digest
	f.svc.InventoryChanged(agent, Collector)
}

func TestFleetViews(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	f := newFleet(t, now)
	f.host("a1", "web-1", map[string]string{"env": "prod"})
	f.host("a2", "web-2", map[string]string{"env": "prod"})
	f.host("a3", "dev-1", map[string]string{"env": "dev"})
	f.host("a4", "lab-1", nil)
	f.report("a1", "pass", "pass", "pass", "fail")
	f.report("a2", "pass", "fail", "fail", "fail")
	f.report("a3", "fail", "error", "pass", "not_applicable")
	// a4 has no results: it is in no view.
	c := f.checks

	sums, err := f.svc.Summaries(ctx, FleetFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range sums {
		order = append(order, s.Hostname)
	}
	// Lowest score first: web-2 25%, dev-1 50%, web-1 75%.
	if diff := cmp.Diff([]string{"web-2", "dev-1", "web-1"}, order); diff != "" {
		t.Errorf("summaries order (-want +got):\n%s", diff)
	}
	prod, err := f.svc.Summaries(ctx, FleetFilter{Labels: map[string]string{"env": "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(prod) != 2 {
		t.Errorf("summaries of env=prod: %d hosts, want 2", len(prod))
	}
	one, err := f.svc.Summaries(ctx, FleetFilter{AgentID: "a3", PolicyID: "cis_debian12"})
	if err != nil || len(one) != 1 || one[0].Counts != (eval.Counts{Pass: 1, Fail: 1, Error: 1, NotApplicable: 1, Total: 4}) {
		t.Errorf("summary of a3: %+v %v", one, err)
	}

	groups, err := f.svc.Groups(ctx, "env", "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]eval.Counts{}
	for _, g := range groups {
		got[g.Value] = g.Counts
		if g.Label != "env" || g.PolicyID != "cis_debian12" {
			t.Errorf("group %+v", g)
		}
	}
	want := map[string]eval.Counts{
		"prod": {Pass: 4, Fail: 4, Total: 8},
		"dev":  {Pass: 1, Fail: 1, Error: 1, NotApplicable: 1, Total: 4},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups by env (-want +got):\n%s", diff)
	}
	whole, err := f.svc.Groups(ctx, "", "cis_debian12")
	if err != nil || len(whole) != 1 || whole[0].Hosts != 3 || *whole[0].Score != 50 {
		t.Errorf("fleet group: %+v %v", whole, err)
	}

	// An exception turns a2's failures of check 3 into excepted.
	if _, err := f.st.Compliance().CreateException(ctx, store.ComplianceException{PolicyID: "cis_debian12", CheckID: c[3],
		AgentID: "a2", Reason: "accepted", Author: "t", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	checks, err := f.svc.Checks(ctx, FleetFilter{PolicyID: "cis_debian12"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range checks {
		ids = append(ids, s.CheckID)
		if s.Check == nil || s.Check.Title.En == "" {
			t.Errorf("check %s without its texts", s.CheckID)
		}
	}
	// Each check fails on one host (c[3] on a1, a2's failure being
	// excepted); c[1] also errs on a3, so it comes first.
	if diff := cmp.Diff([]string{c[1], c[0], c[2], c[3]}, ids); diff != "" {
		t.Errorf("checks order (-want +got):\n%s", diff)
	}
	if h := checks[len(checks)-1].Hosts; h != (eval.Counts{Fail: 1, Excepted: 1, NotApplicable: 1, Total: 3}) {
		t.Errorf("hosts of %s: %+v", c[3], h)
	}
	if _, err := f.svc.Checks(ctx, FleetFilter{}); err == nil {
		t.Error("checks without a policy: no error")
	}

	// Drift: a1's check 1 regresses, a2's check 1 is fixed.
	f.report("a1", "pass", "fail", "pass", "fail")
	f.report("a2", "pass", "pass", "fail", "fail")
	drift, next, err := f.svc.Drift(ctx, DriftFilter{Page: store.Page{Limit: 50}})
	if err != nil || next != "" {
		t.Fatalf("drift: %v, next %q", err, next)
	}
	type change struct {
		agent, check, before, after string
		regressed                   bool
	}
	var changes []change
	for _, d := range drift {
		changes = append(changes, change{d.AgentID, d.CheckID, d.Before, d.After, d.Regressed})
		if d.Check == nil {
			t.Errorf("drift of %s without texts", d.CheckID)
		}
	}
	wantChanges := []change{{"a2", c[1], "fail", "pass", false}, {"a1", c[1], "pass", "fail", true}}
	if diff := cmp.Diff(wantChanges, changes, cmp.AllowUnexported(change{})); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
	reg, _, err := f.svc.Drift(ctx, DriftFilter{Regressed: true, AgentID: "a1", PolicyID: "cis_debian12", Page: store.Page{Limit: 50}})
	if err != nil || len(reg) != 1 || reg[0].AgentID != "a1" {
		t.Errorf("regressions: %+v %v", reg, err)
	}
	// The views follow the new reports.
	after, err := f.svc.Summaries(ctx, FleetFilter{PolicyID: "cis_debian12", AgentID: "a1"})
	if err != nil || len(after) != 1 || after[0].Counts.Fail != 2 {
		t.Errorf("a1 after its new report: %+v %v", after, err)
	}
	none, _, err := f.svc.Drift(ctx, DriftFilter{PolicyID: "cis_rhel9", Page: store.Page{Limit: 50}})
	if err != nil || len(none) != 0 {
		t.Errorf("drift of another policy: %+v %v", none, err)
	}
}

// TestDriftPages: a history longer than a page with few status changes
// is read on until a change is found, and paging reaches every change.
func TestDriftPages(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, time.Now())
	f.host("a1", "web-1", nil)
	f.report("a1", "pass", "pass", "pass", "pass")
	f.report("a1", "fail", "pass", "pass", "pass") // one regression
	for i := range 12 {                            // evidence-only changes: the same statuses
		f.reportWith("a1", fmt.Sprintf("run %d", i), "fail", "pass", "pass", "pass")
	}
	var all []Drift
	p := DriftFilter{Page: store.Page{Limit: 2}}
	for range 20 {
		page, next, err := f.svc.Drift(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("a page of %d items, limit 2", len(page))
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if len(all) != 1 || !all[0].Regressed {
		t.Errorf("drift over pages: %+v", all)
	}
}

// BenchmarkFleetViews reads the fleet views over hosts that each report
// every check of cis_debian12 (286 items per host).
func BenchmarkFleetViews(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s, err := New(ctx, Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	e, _ := s.Policy("cis_debian12")
	const hosts = 100
	t := b
	for h := range hosts {
		id := fmt.Sprintf("a%03d", h)
		if err := st.Agents().Create(ctx, store.Agent{ID: id, Hostname: "host-" + id, Labels: map[string]string{"rack": fmt.Sprint(h % 4)},
			Status: store.StatusOnline, EnrolledAt: time.Now().UTC()}); err != nil {
			b.Fatal(err)
		}
		items := []store.AssetRecord{policyItem(t, "cis_debian12", "evaluated")}
		for i, c := range e.Policy.Checks {
			items = append(items, checkItem(t, "cis_debian12", c.ID, []string{"pass", "fail", "pass", "not_applicable"}[(i+h)%4]))
		}
		apply(t, st, id, items...)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Summaries(ctx, FleetFilter{}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Checks(ctx, FleetFilter{PolicyID: "cis_debian12"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(hosts*(len(e.Policy.Checks)+1)), "items")
}
