package api

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// seedAssets gives agent a1 two packages and a port, then upgrades one.
func seedAssets(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := st.Agents().Create(ctx, store.Agent{ID: "a1", Hostname: "web-1", Status: store.StatusOnline, EnrolledAt: at}); err != nil {
		t.Fatal(err)
	}
	state := map[string][32]byte{}
	apply := func(agent, collector string, records []store.AssetRecord, at time.Time) {
		base := event.InventoryDigest(state)
		for i := range records {
			r := &records[i]
			r.Hash = event.AssetHash(r.Kind, r.Key, r.Name, r.Version, r.Fields)
			state[r.Kind+"\x00"+r.Key] = r.Hash
		}
		res, err := st.Inventory().Apply(ctx, store.InventoryChanges{AgentID: agent, Collector: collector, BaseDigest: base,
			Digest: event.InventoryDigest(state), Upserts: records, At: at, Last: true})
		if err != nil || res.Resync {
			t.Fatalf("apply: %+v, %v", res, err)
		}
	}
	apply("a1", "os/packages", []store.AssetRecord{
		{Kind: "package", Key: "redis-server:amd64", Name: "redis-server", Version: "5:6.0.16-1"},
		{Kind: "package", Key: "openssl:amd64", Name: "openssl", Version: "3.0.15-1", Fields: json.RawMessage(`{"package":{"source":"openssl"}}`)},
		{Kind: "port", Key: "tcp/0.0.0.0:3000", Name: "3000", Fields: json.RawMessage(`{"process":{"executable":"/opt/tool/agentd"}}`)},
	}, at)
	apply("a1", "os/packages", []store.AssetRecord{
		{Kind: "package", Key: "redis-server:amd64", Name: "redis-server", Version: "5:7.0.15-1"},
	}, at.Add(time.Hour))
}

func TestAssets(t *testing.T) {
	e := newEnv(t)
	seedAssets(t, e.st)
	keysOf := func(path string) []string {
		t.Helper()
		var page struct {
			Items []struct {
				Key      string `json:"key"`
				Hostname string `json:"hostname"`
			} `json:"items"`
		}
		e.call("GET", path, store.RoleViewer, nil, 200, &page)
		out := []string{}
		for _, it := range page.Items {
			out = append(out, it.Key+"@"+it.Hostname)
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"openssl:amd64@web-1", "redis-server:amd64@web-1", "tcp/0.0.0.0:3000@web-1"}},
		{"kind=port", []string{"tcp/0.0.0.0:3000@web-1"}},
		{"q=" + url.QueryEscape("name:redis-server version<7"), []string{}},
		{"q=" + url.QueryEscape("name:redis-server version>=7"), []string{"redis-server:amd64@web-1"}},
		{"q=port:3000", []string{"tcp/0.0.0.0:3000@web-1"}},
		{"q=agentd", []string{"tcp/0.0.0.0:3000@web-1"}},
		{"agent_id=a2", []string{}},
	} {
		if diff := cmp.Diff(tc.want, keysOf("/api/v1/assets?"+tc.query)); diff != "" {
			t.Errorf("%q: %s", tc.query, diff)
		}
	}
	for _, q := range []string{"kind=spaceship", "q=" + url.QueryEscape("colour:red"), "q=kind:port&kind=package", "limit=0"} {
		if status, data := e.do("GET", "/api/v1/assets?"+q, e.tokens[store.RoleViewer], nil); status != 400 {
			t.Errorf("%q: %d %s", q, status, data)
		}
	}

	var changes struct {
		Items []struct {
			Action, Before, After, Hostname string
		} `json:"items"`
	}
	e.call("GET", "/api/v1/assets/changes?agent_id=a1", store.RoleViewer, nil, 200, &changes)
	if len(changes.Items) != 1 || changes.Items[0].Action != "changed" || changes.Items[0].Before != "5:6.0.16-1" ||
		changes.Items[0].After != "5:7.0.15-1" || changes.Items[0].Hostname != "web-1" {
		t.Errorf("changes %+v", changes.Items)
	}
	if status, _ := e.do("GET", "/api/v1/assets/changes?action=exploded", e.tokens[store.RoleViewer], nil); status != 400 {
		t.Errorf("bad action: %d", status)
	}

	var summary struct {
		Kinds []struct {
			Kind          string
			Items, Agents int
		} `json:"kinds"`
		Sets []struct{ Collector string } `json:"sets"`
	}
	e.call("GET", "/api/v1/assets/summary?agent_id=a1", store.RoleViewer, nil, 200, &summary)
	if len(summary.Kinds) != 2 || summary.Kinds[0].Kind != "port" || summary.Kinds[1].Items != 2 || len(summary.Sets) != 1 {
		t.Errorf("summary %+v", summary)
	}
	if status, _ := e.do("GET", "/api/v1/assets/summary?agent_id=nobody", e.tokens[store.RoleViewer], nil); status != 404 {
		t.Errorf("summary of an unknown agent: %d", status)
	}
}
