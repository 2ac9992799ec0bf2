package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var policyCases = []testCase{
	{"AgentPolicies/PutGetDelete", testPolicyPutGetDelete},
	{"AgentPolicies/List", testPolicyList},
}

func policy(name string, priority int, selector map[string]string) store.AgentPolicy {
	return store.AgentPolicy{
		Name: name, Selector: selector, Priority: priority,
		Spec:      json.RawMessage(`{"collectors":{"os/dpkg":{"enabled":true,"intervalSeconds":3600}},"heartbeatIntervalSeconds":"15"}`),
		UpdatedAt: at(0), UpdatedBy: "ann",
	}
}

func testPolicyPutGetDelete(t *testing.T, s store.Store) {
	ps := s.AgentPolicies()
	p := policy("web", 10, map[string]string{"team": "web"})
	got, err := ps.Put(ctx(t), p)
	must(t, err)
	want := p
	want.Revision, want.UpdatedAt = 1, stored(p.UpdatedAt)
	diff(t, "first Put", want, got)
	wantUTC(t, "Put", got.UpdatedAt)

	p.Priority, p.Selector, p.UpdatedAt, p.UpdatedBy = 20, nil, at(time.Hour), "bob"
	p.Spec = json.RawMessage(`{"spoolMaxMb":"512"}`)
	p.Revision = 77 // ignored
	got, err = ps.Put(ctx(t), p)
	must(t, err)
	want = p
	want.Revision, want.UpdatedAt, want.Selector = 2, stored(p.UpdatedAt), map[string]string{}
	diff(t, "second Put", want, got)
	again, err := ps.Get(ctx(t), "web")
	must(t, err)
	diff(t, "Get", want, again)

	other, err := ps.Put(ctx(t), policy("db", 0, nil))
	must(t, err)
	if other.Revision != 1 {
		t.Fatalf("other policy revision %d, want 1", other.Revision)
	}
	_, err = ps.Put(ctx(t), store.AgentPolicy{Name: "bad", Spec: json.RawMessage(`{"x":`)})
	wantAnyErr(t, "invalid spec", err)

	_, err = ps.Get(ctx(t), "missing")
	wantErr(t, "Get missing", err, store.ErrNotFound)
	must(t, ps.Delete(ctx(t), "web"))
	wantErr(t, "Delete twice", ps.Delete(ctx(t), "web"), store.ErrNotFound)
	_, err = ps.Get(ctx(t), "web")
	wantErr(t, "Get deleted", err, store.ErrNotFound)
}

func testPolicyList(t *testing.T, s store.Store) {
	ps := s.AgentPolicies()
	list, err := ps.List(ctx(t))
	must(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("empty List: %#v", list)
	}
	for _, p := range []store.AgentPolicy{
		policy("default", 0, nil), policy("web", 10, map[string]string{"team": "web"}),
		policy("db", 10, map[string]string{"team": "db"}), policy("canary", 50, map[string]string{"ring": "0"}),
	} {
		_, err := ps.Put(ctx(t), p)
		must(t, err)
	}
	list, err = ps.List(ctx(t))
	must(t, err)
	var names []string
	for _, p := range list {
		names = append(names, p.Name)
		if p.Selector == nil {
			t.Errorf("%s: nil selector", p.Name)
		}
	}
	diff(t, "order", []string{"canary", "db", "web", "default"}, names)
}
