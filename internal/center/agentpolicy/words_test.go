package agentpolicy

import (
	"encoding/json"
	"slices"
	"testing"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/store"
)

// wordsOf returns the "words" setting of a collector.
func wordsOf(t *testing.T, p *busv1.AgentPolicy, collector string) []string {
	t.Helper()
	pp := p.Collectors[collector]
	if pp == nil {
		return nil
	}
	var s struct {
		Words []string `json:"words"`
		CPU   float64  `json:"cpu"`
	}
	if err := json.Unmarshal([]byte(pp.SettingsJson), &s); err != nil {
		t.Fatalf("%s settings %q: %v", collector, pp.SettingsJson, err)
	}
	return s.Words
}

func TestAddWords(t *testing.T) {
	p := Stamp(Default(), 7)
	p.Collectors["risk/accounts"] = &busv1.PluginPolicy{Enabled: true, SettingsJson: `{"cpu":0.5,"words":["own","shared"]}`}
	before := p.GetRevision()
	if err := AddWords(p, []string{"shared", "Huawei@123", "qwe123"}); err != nil {
		t.Fatal(err)
	}
	if got := wordsOf(t, p, "risk/accounts"); !slices.Equal(got, []string{"own", "shared", "Huawei@123", "qwe123"}) {
		t.Errorf("risk/accounts words %v", got)
	}
	if !json.Valid([]byte(p.Collectors["risk/accounts"].SettingsJson)) || !p.Collectors["risk/accounts"].Enabled {
		t.Errorf("risk/accounts %+v", p.Collectors["risk/accounts"])
	}
	if got := wordsOf(t, p, "risk/services"); !slices.Equal(got, []string{"shared", "Huawei@123", "qwe123"}) {
		t.Errorf("risk/services words %v", got)
	}
	if p.GetRevision() == before || p.GetRevision()>>32 != 7 {
		t.Errorf("revision %x after %x: the content changed, the stored revision stays", p.GetRevision(), before)
	}
	// No words: the policy is left as it is.
	q := Stamp(Default(), 1)
	rev := q.GetRevision()
	if err := AddWords(q, nil); err != nil || q.GetRevision() != rev || len(q.Collectors) != 0 {
		t.Errorf("AddWords(nil) changed the policy: %v", err)
	}
	bad := Stamp(Default(), 1)
	bad.Collectors["risk/services"] = &busv1.PluginPolicy{SettingsJson: `not json`}
	if err := AddWords(bad, []string{"x"}); err == nil {
		t.Error("settings that are not JSON were accepted")
	}
}

// TestEffectiveWords: an uploaded word list reaches every agent's policy,
// and a changed list changes the revision.
func TestEffectiveWords(t *testing.T) {
	st := newStore(t)
	d := New(Config{KV: newBucket(t), Store: st})
	ctx := t.Context()
	a := store.Agent{ID: "a1", Labels: map[string]string{}}
	p0, err := d.Effective(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Vulns().PutWordlist(ctx, store.Wordlist{Name: "company", Words: []string{"Acme2024!", "acme@123"}, Author: "alice"}); err != nil {
		t.Fatal(err)
	}
	p1, err := d.Effective(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if got := wordsOf(t, p1, "risk/accounts"); !slices.Equal(got, []string{"Acme2024!", "acme@123"}) {
		t.Errorf("words %v", got)
	}
	if p1.GetRevision() == p0.GetRevision() {
		t.Error("the revision did not change with the word list")
	}
}
