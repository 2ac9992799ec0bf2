//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// assetJSON is an inventory item as the API returns it.
type assetJSON struct {
	AgentID   string         `json:"agent_id"`
	Hostname  string         `json:"hostname"`
	Collector string         `json:"collector"`
	Kind      string         `json:"kind"`
	Key       string         `json:"key"`
	Name      string         `json:"name"`
	Version   string         `json:"version"`
	Fields    map[string]any `json:"fields"`
}

// assetChangeJSON is a history entry as the API returns it.
type assetChangeJSON struct {
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	Action string `json:"action"`
}

// assets returns every item the query selects, following the cursors.
func (c *center) assets(query string) []assetJSON {
	c.t.Helper()
	var all []assetJSON
	cursor := ""
	for {
		var page struct {
			Items []assetJSON `json:"items"`
			Next  string      `json:"next_cursor"`
		}
		q := "/assets?limit=1000&" + query
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		if code := c.api("GET", q, nil, &page); code != 200 {
			c.t.Fatalf("GET %s: %d", q, code)
		}
		all = append(all, page.Items...)
		if page.Next == "" {
			return all
		}
		cursor = page.Next
	}
}

// assetChanges returns the newest history entries the query selects.
func (c *center) assetChanges(query string) []assetChangeJSON {
	c.t.Helper()
	var page struct {
		Items []assetChangeJSON `json:"items"`
	}
	if code := c.api("GET", "/assets/changes?limit=1000&"+query, nil, &page); code != 200 {
		c.t.Fatalf("GET /assets/changes?%s: %d", query, code)
	}
	return page.Items
}

// collect runs a collector on the agent now and returns its summary.
func (c *center) collect(agentID, name string) map[string]any {
	c.t.Helper()
	var resp struct {
		Results []struct {
			OK     bool           `json:"ok"`
			Error  string         `json:"error"`
			Output map[string]any `json:"output"`
		} `json:"results"`
	}
	if code := c.api("POST", "/agents/commands", map[string]any{"command": "collect", "args": map[string]string{"name": name},
		"agent_ids": []string{agentID}, "timeout": "60s"}, &resp); code != 200 || len(resp.Results) != 1 {
		c.t.Fatalf("collect %s: %d %+v", name, code, resp.Results)
	}
	if !resp.Results[0].OK {
		c.t.Fatalf("collect %s: %s", name, resp.Results[0].Error)
	}
	return resp.Results[0].Output
}

// TestInventory: a real agent's inventory reaches the center and is
// searchable; a new listening port appears in the history within one
// collection interval and its closing too; an unchanged inventory costs a
// digest.
func TestInventory(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("the inventory of every process needs root")
		}
		t.Skip("the inventory of every process needs root")
	}
	t.Parallel()
	dir := t.TempDir()
	c := startCenter(t, filepath.Join(dir, "center"))
	const interval = 10 // seconds, the shortest a policy allows
	spec := map[string]any{"collectors": map[string]any{
		"net/listeners": map[string]any{"enabled": true, "intervalSeconds": fmt.Sprint(interval)},
	}}
	if code := c.api("PUT", "/agent-policies/inventory", map[string]any{
		"selector": map[string]string{"e2e": "inventory"}, "priority": 10, "spec": spec,
	}, nil); code != 200 {
		t.Fatalf("put policy: %d", code)
	}
	agent := c.startAgent(t, filepath.Join(dir, "agent"), c.joinToken("--ttl", "1h", "--labels", "e2e=inventory"))
	var id string
	defer func() {
		if t.Failed() {
			var a map[string]any
			c.api("GET", "/agents/"+id, nil, &a)
			t.Logf("agent: %v\nagent log:\n%s", a["last_state"], tail(agent.log))
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

	// The center's own ports are in the agent's inventory, with the
	// center's process.
	_, httpPort, _ := net.SplitHostPort(strings.TrimPrefix(c.httpURL, "https://"))
	waitFor(t, 60*time.Second, "the center's HTTPS port in the inventory", func() bool {
		for _, p := range c.assets("agent_id=" + url.QueryEscape(id) + "&q=" + url.QueryEscape("port:"+httpPort)) {
			if exe, _ := lookup(p.Fields, "process", "executable").(string); strings.HasSuffix(exe, "/vigil-center") {
				return true
			}
		}
		return false
	})
	waitFor(t, 60*time.Second, "root among the users", func() bool {
		return len(c.assets("agent_id="+url.QueryEscape(id)+"&kind=user&name=root")) == 1
	})

	// The packages the center holds are those dpkg-query lists, exactly.
	if _, err := exec.LookPath("dpkg-query"); err == nil {
		want := map[string]string{}
		var got map[string]string
		waitFor(t, 60*time.Second, "the packages dpkg-query lists, in the center", func() bool {
			out, err := exec.Command("dpkg-query", "-W", "-f", "${Package}:${Architecture} ${Version}\n").Output()
			if err != nil {
				t.Fatalf("dpkg-query: %v", err)
			}
			clear(want)
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				name, version, _ := strings.Cut(line, " ")
				want[name] = version
			}
			got = map[string]string{}
			for _, p := range c.assets("agent_id=" + url.QueryEscape(id) + "&kind=package") {
				name, _ := lookup(p.Fields, "package", "name").(string)
				arch, _ := lookup(p.Fields, "package", "architecture").(string)
				got[name+":"+arch] = p.Version
			}
			return maps.Equal(got, want)
		})
		t.Logf("%d packages, as dpkg-query lists them", len(got))
	}

	// A new listener on loopback is a change within one interval (plus
	// the time the run takes), and so is its closing.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	key := "tcp/" + ln.Addr().String()
	changed := func(action string) func() bool {
		return func() bool {
			for _, ch := range c.assetChanges("agent_id=" + url.QueryEscape(id) + "&kind=port&action=" + action) {
				if ch.Key == key {
					return true
				}
			}
			return false
		}
	}
	took := waitFor(t, 3*interval*time.Second, "the new port in the history", changed("added"))
	t.Logf("new port %s recorded %s after it opened", key, took.Round(time.Second))
	ln.Close()
	took = waitFor(t, 3*interval*time.Second, "the closed port in the history", changed("removed"))
	t.Logf("closed port %s recorded %s after it closed", key, took.Round(time.Second))

	// An unchanged inventory sends its digest alone.
	first := c.collect(id, "os/sysctl")
	again := c.collect(id, "os/sysctl")
	if again["unchanged"] != true || again["bytes"].(float64) > 300 {
		t.Errorf("unchanged os/sysctl: %v (first run: %v)", again, first)
	}
	t.Logf("os/sysctl: %v items, %v bytes at first, %v bytes unchanged", first["assets"], first["bytes"], again["bytes"])
}

// lookup returns the value at a path of nested objects, or nil.
func lookup(doc map[string]any, path ...string) any {
	var v any = doc
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
