package agent_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/bus"
)

// command sends a command as the center does and returns the reply.
func (c *center) command(t *testing.T, id, name string, args map[string]string) *busv1.CommandReply {
	t.Helper()
	cmd := &busv1.Command{Id: "cmd-" + name, Name: name, Args: args, IssuedBy: "test",
		IssuedAtUnixNano: time.Now().UnixNano(), DeadlineUnixNano: time.Now().Add(wait).UnixNano()}
	data, err := proto.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.conn().Request(bus.CommandSubject(id), data, wait)
	if err != nil {
		t.Fatalf("command %s: %v", name, err)
	}
	reply := &busv1.CommandReply{}
	if err := proto.Unmarshal(m.Data, reply); err != nil {
		t.Fatalf("reply to %s: %v", name, err)
	}
	if reply.GetCommandId() != cmd.Id || reply.GetAgentId() != id || reply.GetFinishedAtUnixNano() == 0 {
		t.Errorf("reply to %s: %v", name, reply)
	}
	return reply
}

// statusOf returns the plugin statuses of a status command's output.
func statusOf(t *testing.T, reply *busv1.CommandReply) (map[string]map[string]any, map[string]any) {
	t.Helper()
	var out struct {
		Plugins []map[string]any `json:"plugins"`
		Stats   map[string]any   `json:"stats"`
		Rev     json.Number      `json:"policy_revision"`
	}
	if err := json.Unmarshal(reply.GetOutput(), &out); err != nil {
		t.Fatalf("status output %s: %v", reply.GetOutput(), err)
	}
	plugins := map[string]map[string]any{}
	for _, p := range out.Plugins {
		plugins[p["name"].(string)] = p
	}
	return plugins, out.Stats
}

func TestCommands(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	col := &testCollector{name: "test/count", n: 5}
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) { cfg.Collectors = []plugin.Collector{col} })

	ping := c.command(t, r.id, agent.CommandPing, nil)
	var pong map[string]any
	if err := json.Unmarshal(ping.GetOutput(), &pong); err != nil || !ping.GetOk() || pong["pong"] != true ||
		pong["agent_version"] != "v0.0.0-test" || pong["time"] == "" {
		t.Errorf("ping: %v, output %s", ping, ping.GetOutput())
	}

	plugins, stats := statusOf(t, c.command(t, r.id, agent.CommandStatus, nil))
	if p := plugins["test/count"]; p == nil || p["kind"] != plugin.KindCollector {
		t.Errorf("status plugins = %v", plugins)
	}
	if _, ok := stats["spool_bytes"]; !ok {
		t.Errorf("status stats = %v", stats)
	}

	st := c.readStream(t, r.id)
	st.waitAction(t, "counted", 5) // the scheduled first run
	reply := c.command(t, r.id, agent.CommandCollect, map[string]string{"name": "test/count"})
	var out map[string]any
	if err := json.Unmarshal(reply.GetOutput(), &out); err != nil || !reply.GetOk() || out["collector"] != "test/count" || out["events"] != 5.0 {
		t.Errorf("collect: %v, output %s", reply, reply.GetOutput())
	}
	st.waitAction(t, "counted", 10)
	if got := st.count("counted"); got != 10 {
		t.Errorf("%d collected events, want 10", got)
	}

	for _, tt := range []struct {
		name string
		args map[string]string
		want string
	}{
		{"explode", nil, `unknown command "explode"`},
		{agent.CommandCollect, nil, "needs args.name"},
		{agent.CommandCollect, map[string]string{"name": "os/none"}, `unknown collector "os/none"`},
	} {
		reply := c.command(t, r.id, tt.name, tt.args)
		if reply.GetOk() || !strings.Contains(reply.GetError(), tt.want) {
			t.Errorf("%s %v: ok %v, error %q, want %q", tt.name, tt.args, reply.GetOk(), reply.GetError(), tt.want)
		}
	}
}
