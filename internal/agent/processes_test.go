package agent_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// listingSensor keeps a (fixed) process table.
type listingSensor struct {
	*testSensor
}

func (listingSensor) Processes() []plugin.ProcessInfo {
	return []plugin.ProcessInfo{
		{EntityID: "e1", PID: 1, Name: "systemd", Executable: "/usr/lib/systemd/systemd", Start: "2026-11-29T09:00:00Z"},
		{EntityID: "e2", ParentEntityID: "e1", PID: 812, PPID: 1, Name: "sshd", Args: []string{"sshd", "-D"},
			Stdio: []string{"socket:tcp 127.0.0.1:22->127.0.0.1:50000"}, Start: "2026-11-29T09:00:01Z"},
	}
}

func TestProcessesCommand(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	s := listingSensor{newTestSensor("test/proc")}
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) { cfg.Sensors = []plugin.Sensor{s} })
	c.waitStatus(t, r.id, "test/proc", "running")
	reply := c.command(t, r.id, agent.CommandProcesses, nil)
	var out struct {
		TakenAt   string               `json:"taken_at"`
		Sensor    string               `json:"sensor"`
		Mechanism string               `json:"mechanism"`
		Processes []plugin.ProcessInfo `json:"processes"`
	}
	if err := json.Unmarshal(reply.GetOutput(), &out); err != nil || !reply.GetOk() {
		t.Fatalf("reply %v: %v", reply, err)
	}
	if out.Sensor != "test/proc" || out.Mechanism != "test" || out.TakenAt == "" || len(out.Processes) != 2 ||
		out.Processes[1].ParentEntityID != "e1" || out.Processes[1].Stdio[0] != "socket:tcp 127.0.0.1:22->127.0.0.1:50000" {
		t.Errorf("output %s", reply.GetOutput())
	}
}

func TestProcessesCommandWithoutTable(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	r := startAgent(t, c, hbs, t.TempDir(), nil)
	reply := c.command(t, r.id, agent.CommandProcesses, nil)
	if reply.GetOk() || !strings.Contains(reply.GetError(), "no process sensor runs") {
		t.Errorf("reply %v", reply)
	}
}
