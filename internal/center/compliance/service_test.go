package compliance

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// checkItem makes a check's item as compliance/baseline reports it.
func checkItem(t testing.TB, policyID, checkID, status string) store.AssetRecord {
	t.Helper()
	f := map[string]any{"vigil": map[string]any{"compliance": map[string]any{
		"policy": policyID, "policy_version": "2.0.0", "check": checkID, "status": status, "severity": "high",
		"reason": "test", "evidence": []any{map[string]any{"rule": "config", "status": status, "evidence": "/etc/ssh/sshd_config:12: PermitRootLogin yes"}},
	}}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	key := policyID + "/" + checkID
	return store.AssetRecord{Kind: event.AssetCompliance, Key: key, Name: checkID, Version: "2.0.0", Fields: b,
		Hash: event.AssetHash(event.AssetCompliance, key, checkID, "2.0.0", b)}
}

// policyItem makes a policy's summary item.
func policyItem(t testing.TB, policyID, status string) store.AssetRecord {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"vigil": map[string]any{"compliance": map[string]any{
		"policy": policyID, "policy_version": "2.0.0", "status": status}}})
	return store.AssetRecord{Kind: event.AssetCompliance, Key: policyID, Name: policyID, Version: "2.0.0", Fields: b,
		Hash: event.AssetHash(event.AssetCompliance, policyID, policyID, "2.0.0", b)}
}

// apply stores an agent's compliance set.
func apply(t testing.TB, st store.Store, agent string, items ...store.AssetRecord) {
	t.Helper()
	hashes := map[string][32]byte{}
	for _, it := range items {
		hashes[it.Kind+"\x00"+it.Key] = it.Hash
	}
	res, err := st.Inventory().Apply(context.Background(), store.InventoryChanges{AgentID: agent, Collector: Collector,
		BaseDigest: event.InventoryDigest(nil), Digest: event.InventoryDigest(hashes), Upserts: items, At: time.Now().UTC(), Last: true})
	if err != nil || res.Resync {
		t.Fatalf("apply: %+v %v", res, err)
	}
}

func TestResultsAndScores(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s, err := New(ctx, Config{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Policy("cis_ubuntu2204"); !ok {
		t.Fatal("the shipped policy cis_ubuntu2204 is not in the catalogue")
	}
	e, _ := s.Policy("cis_ubuntu2204")
	checks := e.Policy.Checks
	apply(t, st, "a1",
		policyItem(t, "cis_ubuntu2204", "evaluated"),
		checkItem(t, "cis_ubuntu2204", checks[0].ID, "pass"),
		checkItem(t, "cis_ubuntu2204", checks[1].ID, "fail"),
		checkItem(t, "cis_ubuntu2204", checks[2].ID, "fail"),
		checkItem(t, "cis_ubuntu2204", checks[3].ID, "error"),
		checkItem(t, "cis_ubuntu2204", checks[4].ID, "not_applicable"),
		policyItem(t, "cis_rhel9", "not_applicable"),
	)
	// An exception accepts one failure; an expired one accepts nothing.
	if _, err := st.Compliance().CreateException(ctx, store.ComplianceException{PolicyID: "cis_ubuntu2204", CheckID: checks[1].ID,
		Reason: "a jump host needs it", Author: "alice", ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Compliance().CreateException(ctx, store.ComplianceException{PolicyID: "cis_ubuntu2204", CheckID: checks[2].ID,
		Reason: "expired", Author: "alice", ExpiresAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rs, _, err := s.Results(ctx, ResultFilter{AgentID: "a1", Page: store.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rs {
		got[r.CheckID] = r.Status
		if r.Check == nil || r.Check.Title.Zh == "" {
			t.Errorf("result %s lacks the check's texts", r.CheckID)
		}
	}
	want := map[string]string{checks[0].ID: "pass", checks[1].ID: "excepted", checks[2].ID: "fail", checks[3].ID: "error", checks[4].ID: "not_applicable"}
	if len(got) != len(want) {
		t.Errorf("results %v, want %v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %s, want %s", id, got[id], w)
		}
	}
	failed, _, err := s.Results(ctx, ResultFilter{Status: "fail", Page: store.Page{Limit: 100}})
	if err != nil || len(failed) != 1 || failed[0].CheckID != checks[2].ID {
		t.Errorf("failed results %+v, %v", failed, err)
	}

	if err := s.RecordScores(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	scores, _, err := st.Compliance().Scores(ctx, store.ComplianceScoreFilter{AgentID: "a1"})
	if err != nil || len(scores) != 1 {
		t.Fatalf("scores %+v, %v (the policy that does not apply has none)", scores, err)
	}
	sc := scores[0]
	if sc.PolicyID != "cis_ubuntu2204" || sc.Passed != 1 || sc.Failed != 1 || sc.Errors != 1 || sc.Excepted != 1 || sc.NotApplicable != 1 || sc.Score != 50 {
		t.Errorf("score %+v", sc)
	}
	sums, err := s.HostSummaries(ctx, "a1")
	if err != nil || len(sums) != 2 {
		t.Fatalf("summaries %+v, %v", sums, err)
	}
	for _, sum := range sums {
		if sum.PolicyID == "cis_rhel9" && (sum.Applicable || sum.Score != nil) {
			t.Errorf("cis_rhel9 on a Ubuntu host: %+v", sum)
		}
	}
}
