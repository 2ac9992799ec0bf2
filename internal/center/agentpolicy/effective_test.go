package agentpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/store"
)

func TestSelect(t *testing.T) {
	policies := []store.AgentPolicy{
		{Name: "all", Priority: 0},
		{Name: "web", Priority: 10, Selector: map[string]string{"role": "web"}},
		{Name: "web-prod", Priority: 20, Selector: map[string]string{"role": "web", "env": "prod"}},
		{Name: "b-tie", Priority: 5, Selector: map[string]string{"site": "idc"}},
		{Name: "a-tie", Priority: 5, Selector: map[string]string{"site": "idc"}},
	}
	tests := []struct {
		labels map[string]string
		want   string
	}{
		{nil, "all"},
		{map[string]string{"role": "db"}, "all"},
		{map[string]string{"role": "web"}, "web"},
		{map[string]string{"role": "web", "env": "prod"}, "web-prod"},
		{map[string]string{"role": "web", "env": "test"}, "web"},
		{map[string]string{"site": "idc"}, "a-tie"},
	}
	for _, tc := range tests {
		got, ok := Select(policies, tc.labels)
		if !ok || got.Name != tc.want {
			t.Errorf("Select(%v) = %q, %v; want %q", tc.labels, got.Name, ok, tc.want)
		}
	}
	if _, ok := Select(policies[1:3], map[string]string{"role": "db"}); ok {
		t.Error("Select matched a policy whose selector does not match")
	}
}

func TestCompute(t *testing.T) {
	policies := []store.AgentPolicy{{
		Name: "quiet", Revision: 3, Selector: map[string]string{"env": "prod"},
		Spec: []byte(`{"budget": {"cpuPercent": 2}, "sensors": {"fim": {"enabled": false}}}`),
	}}
	got, err := Compute(policies, map[string]string{"env": "prod"})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Name = "quiet"
	want.Budget.CpuPercent = 2
	want.Sensors["fim"] = &busv1.PluginPolicy{}
	if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&busv1.AgentPolicy{}, "revision")); diff != "" {
		t.Errorf("Compute (-want +got):\n%s", diff)
	}
	if got.Revision>>32 != 3 {
		t.Errorf("revision %#x does not carry the stored revision 3", got.Revision)
	}

	def, err := Compute(policies, nil)
	if err != nil {
		t.Fatal(err)
	}
	if def.Name != DefaultName || def.Revision>>32 != 0 || def.Revision == 0 {
		t.Errorf("default policy: name %q revision %#x", def.Name, def.Revision)
	}

	bad := []store.AgentPolicy{{Name: "bad", Spec: []byte(`{"budget": {"cpuPercent": 500}}`)}}
	if _, err := Compute(bad, nil); err == nil {
		t.Error("Compute accepted a policy with an invalid spec")
	}
}

func TestStamp(t *testing.T) {
	a := Stamp(Default(), 1)
	b := Stamp(Default(), 1)
	if a.Revision != b.Revision {
		t.Fatalf("same content, different revisions: %#x, %#x", a.Revision, b.Revision)
	}
	c := Default()
	c.Collectors["os/dpkg"] = &busv1.PluginPolicy{Enabled: true, IntervalSeconds: 60}
	if Stamp(c, 1).Revision == a.Revision {
		t.Error("changed content kept its revision")
	}
	again := proto.Clone(a).(*busv1.AgentPolicy)
	if Stamp(again, 1).Revision != a.Revision {
		t.Error("stamping a stamped policy changed its revision")
	}
}
