//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConsoleAndCLI drives the console in headless Chromium and the CLI
// against a real center with two real agents: one online, one lost (with
// its alert).
func TestConsoleAndCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := startCenter(t, filepath.Join(dir, "center"))
	token := c.joinToken("--ttl", "1h", "--labels", "env=e2e", "--usage-limit", "2")

	online := c.startAgent(t, filepath.Join(dir, "agent-a"), token)
	doomed := c.startAgent(t, filepath.Join(dir, "agent-b"), token)
	waitFor(t, 10*time.Second, "two agents online", func() bool {
		n := 0
		for _, a := range c.agents() {
			if a.Status == "online" {
				n++
			}
		}
		return n == 2
	})
	doomed.kill()
	var lostID, onlineID string
	waitFor(t, 10*time.Second, "one agent lost", func() bool {
		for _, a := range c.agents() {
			switch a.Status {
			case "lost":
				lostID = a.ID
			case "online":
				onlineID = a.ID
			}
		}
		return lostID != "" && c.hasAlert(lostID, "vigil.agent.lost")
	})

	t.Run("cli", func(t *testing.T) {
		out, err := c.cli("agents", "list")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{onlineID, lostID, "online", "lost"} {
			if !strings.Contains(out, want) {
				t.Errorf("agents list lacks %q:\n%s", want, out)
			}
		}
		out, err = c.cli("agents", "exec", "ping", "--agent", onlineID, "-o", "json")
		if err != nil || !strings.Contains(out, `"ok": true`) && !strings.Contains(out, `"ok":true`) {
			t.Errorf("exec ping: %v\n%s", err, out)
		}
		out, err = c.cli("alerts", "list", "--agent", lostID)
		if err != nil || !strings.Contains(out, "vigil.agent.lost") && !strings.Contains(out, "lost") {
			t.Errorf("alerts list: %v\n%s", err, out)
		}
		out, err = c.cli("agents", "exec", "ping", "--agent", lostID)
		if err == nil {
			t.Errorf("exec ping to a lost agent succeeded:\n%s", out)
		}
	})

	t.Run("used-up token", func(t *testing.T) {
		p := c.startAgent(t, filepath.Join(dir, "agent-c"), token)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			t.Fatal("agent with a used-up token kept running")
		}
		if log := tail(p.log); !strings.Contains(log, "used up") {
			t.Errorf("agent log does not say the token is used up:\n%s", log)
		}
	})

	// The online host evaluates a small policy, so that the console's
	// compliance pages show real results and run it again.
	consolePolicy := strings.ReplaceAll(driftPolicy("/etc/passwd"), "e2e_drift", "e2e_console")
	consolePolicy = strings.Replace(consolePolicy, `mode_max: "0600"`, `mode_max: "0644"`, 1)
	if code := c.api("PUT", "/compliance/policies/e2e_console", []byte(consolePolicy), nil); code != 201 {
		t.Fatalf("upload e2e_console: %d", code)
	}
	if code := c.api("PUT", "/compliance/policies/e2e_console/assignment", map[string]any{
		"selector": map[string]string{"env": "e2e"}}, nil); code != 200 {
		t.Fatalf("assign e2e_console: %d", code)
	}
	waitFor(t, 60*time.Second, "compliance results of the online host", func() bool {
		// The collector is switched on with the agent's next policy: until
		// then the run is refused.
		c.api("POST", "/agents/commands", map[string]any{"command": "collect", "args": map[string]string{"name": "compliance/baseline"},
			"agent_ids": []string{onlineID}, "timeout": "60s"}, nil)
		var sums struct{ Items []map[string]any }
		c.api("GET", "/compliance/hosts/"+onlineID, nil, &sums)
		return len(sums.Items) == 1
	})

	t.Run("console", func(t *testing.T) {
		chromium := os.Getenv("VIGIL_CHROMIUM")
		if chromium == "" {
			chromium = "/usr/bin/chromium"
		}
		if _, err := os.Stat(chromium); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("chromium missing in CI: %v", err)
			}
			t.Skipf("chromium not installed (%v); .ci/run installs it", err)
		}
		web, _ := filepath.Abs("../../web")
		cmd := exec.Command("npm", "run", "test:e2e")
		cmd.Dir = web
		cmd.Env = append(os.Environ(),
			"VIGIL_E2E_URL="+c.httpURL,
			"VIGIL_E2E_TOKEN="+c.token,
			"VIGIL_E2E_AGENTS="+onlineID+"=online,"+lostID+"=lost",
			"VIGIL_E2E_REQUIRE_ALERT=1",
			"VIGIL_E2E_REQUIRE_COMPLIANCE=1",
		)
		if os.Geteuid() == 0 {
			// As root the agents run a process sensor: the console
			// must show the real host's process tree.
			cmd.Env = append(cmd.Env, "VIGIL_E2E_REQUIRE_PROCESSES=1")
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("console scenario failed: %v\n%s", err, out)
		}
	})

	t.Run("delete disconnects at once", func(t *testing.T) {
		if _, err := c.cli("agents", "delete", onlineID, "--yes"); err != nil {
			t.Fatal(err)
		}
		deleted := time.Now()
		select {
		case <-online.done:
			t.Logf("deleted agent's process ended %s after the delete", time.Since(deleted))
		case <-time.After(10 * time.Second):
			t.Fatal("deleted agent still running after 10s")
		}
		if log := tail(online.log); !strings.Contains(log, "refused the agent's credentials") {
			t.Errorf("agent log does not say its credentials were refused:\n%s", log)
		}
		// Its identity is still on disk; starting it again must not get in.
		again := c.startAgent(t, filepath.Join(dir, "agent-a"), "")
		select {
		case <-again.done:
		case <-time.After(15 * time.Second):
			t.Fatal("deleted agent got back in")
		}
		if n := len(c.agents()); n != 1 {
			t.Errorf("agents after delete: %d, want 1 (the lost one)", n)
		}
	})
}
