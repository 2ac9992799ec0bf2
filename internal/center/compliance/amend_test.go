package compliance

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/collect/compliance/baseline"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// TestAmend: the policies assigned to an agent's labels reach its
// policy in the form the agent's collector accepts, with their digests;
// an agent no assignment selects gets the collector switched off.
func TestAmend(t *testing.T) {
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
	for _, a := range []store.ComplianceAssignment{
		{PolicyID: "cis_debian12", Selector: map[string]string{"os": "debian"}, IntervalSeconds: 7200},
		{PolicyID: "mlps_level3", Selector: map[string]string{"mlps": "3"}, IntervalSeconds: 3600},
		{PolicyID: "cis_rhel9", Selector: map[string]string{}, Disabled: true},
	} {
		if err := s.PutAssignment(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutAssignment(ctx, store.ComplianceAssignment{PolicyID: "nope"}); err == nil {
		t.Error("an assignment of an unknown policy was accepted")
	}

	p := &busv1.AgentPolicy{}
	if err := s.Amend(ctx, store.Agent{ID: "a1", Labels: map[string]string{"os": "debian", "mlps": "3"}}, p); err != nil {
		t.Fatal(err)
	}
	pp := p.Collectors[Collector]
	if pp == nil || !pp.Enabled || pp.IntervalSeconds != 3600 {
		t.Fatalf("collector policy %+v", pp)
	}
	settings, err := baseline.ParseSettings([]byte(pp.SettingsJson))
	if err != nil {
		t.Fatalf("the agent's collector refuses the settings: %v", err)
	}
	var ids []string
	for _, ap := range settings.Policies {
		ids = append(ids, ap.ID)
		e, _ := s.Policy(ap.ID)
		if ap.Digest != e.Policy.RulesDigest() {
			t.Errorf("%s: digest %s, want %s", ap.ID, ap.Digest, e.Policy.RulesDigest())
		}
	}
	if len(ids) != 2 || ids[0] != "cis_debian12" || ids[1] != "mlps_level3" {
		t.Errorf("assigned %v", ids)
	}
	if len(pp.SettingsJson) > maxSettings {
		t.Errorf("settings of %d bytes", len(pp.SettingsJson))
	}

	q := &busv1.AgentPolicy{}
	if err := s.Amend(ctx, store.Agent{ID: "a2", Labels: map[string]string{"os": "ubuntu"}}, q); err != nil {
		t.Fatal(err)
	}
	if pp := q.Collectors[Collector]; pp == nil || pp.Enabled {
		t.Errorf("an agent no assignment selects: %+v", pp)
	}
}
