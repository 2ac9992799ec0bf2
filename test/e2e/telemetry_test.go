//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// TestTelemetry: a real agent on the real kernel reports what happens on
// the host, and the center serves it through GET /api/v1/events: a file
// written in a watched folder (with the process that wrote it), and a
// loopback TCP connection (with the connecting process). The sensors'
// settings come from an agent policy on the center.
func TestTelemetry(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("kernel sensors need root")
		}
		t.Skip("kernel sensors need root")
	}
	t.Parallel()
	dir := t.TempDir()
	c := startCenter(t, filepath.Join(dir, "center"))
	watched := filepath.Join(dir, "watched")
	if err := os.MkdirAll(watched, 0o755); err != nil {
		t.Fatal(err)
	}
	fimSettings, _ := json.Marshal(map[string]any{"paths": []string{watched}})
	spec := map[string]any{"sensors": map[string]any{
		"fim":      map[string]any{"enabled": true, "settingsJson": string(fimSettings)},
		"net/ebpf": map[string]any{"enabled": true, "settingsJson": `{"flow_interval":"5s"}`},
	}}
	if code := c.api("PUT", "/agent-policies/telemetry", map[string]any{
		"selector": map[string]string{"e2e": "telemetry"}, "priority": 10, "spec": spec,
	}, nil); code != 200 {
		t.Fatalf("put policy: %d", code)
	}
	token := c.joinToken("--ttl", "1h", "--labels", "e2e=telemetry")
	var id string
	agent := c.startAgent(t, filepath.Join(dir, "agent"), token)
	defer func() {
		if t.Failed() {
			var actions []string
			for _, e := range c.events(id, "") {
				actions = append(actions, e.String("event.dataset")+"/"+e.String("event.action"))
			}
			var pol map[string]any
			c.api("GET", "/agents/"+id+"/policy", nil, &pol)
			var a map[string]any
			c.api("GET", "/agents/"+id, nil, &a)
			t.Logf("events of the agent: %v\npolicy: %v\nagent: %v\nagent log:\n%s", actions, pol, a["labels"], tail(agent.log))
		}
	}()
	waitFor(t, 20*time.Second, "agent online", func() bool {
		for _, a := range c.agents() {
			if a.Status == "online" {
				id = a.ID
			}
		}
		return id != ""
	})

	// fim: once the baseline of the watched folder is done, a shell
	// writes a file there.
	waitFor(t, 60*time.Second, "fim baseline of the watched folder", func() bool {
		for _, e := range c.events(id, "action=fim-baseline-completed") {
			if v, ok := e.Get("vigil.fim.paths"); ok && slices.Contains(stringList(v), watched) {
				return true
			}
		}
		return false
	})
	file := filepath.Join(watched, "index.php")
	writer := exec.Command("/bin/sh", "-c", "echo '<?php system($_GET[1]); ?>' > "+file)
	if out, err := writer.CombinedOutput(); err != nil {
		t.Fatalf("write: %v %s", err, out)
	}
	var created event.Event
	waitFor(t, 30*time.Second, "file-created event", func() bool {
		for _, e := range c.events(id, "category=file&action=file-created") {
			if e.String("file.path") == file {
				created = e
				return true
			}
		}
		return false
	})
	if created.String("file.hash.sha256") == "" || created.String("event.dataset") != "fim" {
		t.Errorf("file-created event lacks its hash or dataset: %v", created)
	}
	if created.String("vigil.fim.mechanism") == "fanotify" && created.String("process.pid") != strconv.Itoa(writer.Process.Pid) {
		t.Errorf("file-created under fanotify names pid %q, want the shell %d: %v",
			created.String("process.pid"), writer.Process.Pid, created)
	}
	t.Logf("file event: %s by %s (pid %s) via %s", created.String("file.path"), created.String("process.name"),
		created.String("process.pid"), created.String("vigil.fim.mechanism"))

	// net: a child process connects to a listener of this test on
	// loopback.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	var client *exec.Cmd
	var clientAt time.Time
	var attempted event.Event
	waitFor(t, 30*time.Second, "connection-attempted event", func() bool {
		if client == nil || client.ProcessState != nil && time.Since(clientAt) > 5*time.Second {
			// The network sensor may still be starting: connect again.
			client = exec.Command("/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/"+port)
			if out, err := client.CombinedOutput(); err != nil {
				t.Fatalf("connect: %v %s", err, out)
			}
			clientAt = time.Now()
		}
		for _, e := range c.events(id, "category=network&action=connection-attempted") {
			if e.String("destination.port") == port && e.String("process.pid") == strconv.Itoa(client.Process.Pid) {
				attempted = e
				return true
			}
		}
		return false
	})
	// The executable is read from /proc after the fact: a process as
	// short as this one may be gone by then, its name (from the kernel)
	// is always there.
	exe := attempted.String("process.executable")
	if attempted.String("process.name") != "bash" || exe != "" && exe != "/usr/bin/bash" && exe != "/bin/bash" ||
		attempted.String("process.entity_id") == "" || attempted.String("destination.ip") != "127.0.0.1" {
		t.Errorf("connection-attempted event: %v", attempted)
	}
	t.Logf("network event: %s %s -> %s:%s via %s", attempted.String("process.name"),
		attempted.String("event.action"), attempted.String("destination.ip"), port, attempted.String("event.dataset"))

	// exec: a shell runs a command; both are reported, linked by their
	// entity ids.
	marker := fmt.Sprintf("vigil-e2e-%d", time.Now().UnixNano())
	shell := exec.Command("/bin/sh", "-c", "/bin/echo "+marker+" >/dev/null; exit 3")
	_ = shell.Run()
	var child, parent event.Event
	waitFor(t, 30*time.Second, "exec events of the shell and its command", func() bool {
		for _, e := range c.events(id, "category=process&action=exec&q="+url.QueryEscape(marker)) {
			switch e.String("process.pid") {
			case strconv.Itoa(shell.Process.Pid):
				parent = e
			default:
				if e.String("process.name") == "echo" {
					child = e
				}
			}
		}
		return child != nil && parent != nil
	})
	if child.String("process.parent.entity_id") != parent.String("process.entity_id") || child.String("process.parent.name") != "sh" ||
		child.String("process.command_line") != "/bin/echo "+marker || child.String("process.hash.sha256") == "" {
		t.Errorf("exec events do not link child to parent:\nchild %v\nparent %v", child, parent)
	}
	t.Logf("process events: %s (%s) <- %s via %s", child.String("process.command_line"), child.String("process.entity_id"),
		parent.String("process.command_line"), child.String("event.dataset"))

	// The processes command lists the live process table, the agent in it.
	var resp struct {
		Results []struct {
			OK     bool   `json:"ok"`
			Error  string `json:"error"`
			Output struct {
				Mechanism string `json:"mechanism"`
				Processes []struct {
					PID            int    `json:"pid"`
					Name           string `json:"name"`
					EntityID       string `json:"entity_id"`
					ParentEntityID string `json:"parent_entity_id"`
				} `json:"processes"`
			} `json:"output"`
		} `json:"results"`
	}
	if code := c.api("POST", "/agents/commands", map[string]any{"command": "processes", "agent_ids": []string{id}}, &resp); code != 200 ||
		len(resp.Results) != 1 || !resp.Results[0].OK {
		t.Fatalf("processes command: %d %+v", code, resp.Results)
	}
	found := false
	for _, p := range resp.Results[0].Output.Processes {
		if p.PID == agent.cmd.Process.Pid && p.Name == "vigil-agent" && p.EntityID != "" && p.ParentEntityID != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("the processes command does not list the agent (pid %d) with its parent among %d processes",
			agent.cmd.Process.Pid, len(resp.Results[0].Output.Processes))
	}
	t.Logf("processes command: %d processes via %s", len(resp.Results[0].Output.Processes), resp.Results[0].Output.Mechanism)
}

// events returns the agent's newest events matching the query filters.
func (c *center) events(agentID, filters string) []event.Event {
	c.t.Helper()
	var out struct {
		Items []event.Event `json:"items"`
	}
	q := "/events?limit=200&agent_id=" + url.QueryEscape(agentID)
	if filters != "" {
		q += "&" + filters
	}
	if code := c.api("GET", q, nil, &out); code != 200 {
		c.t.Fatalf("GET %s: %d", q, code)
	}
	return out.Items
}

// stringList returns the strings of a JSON array value.
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}
