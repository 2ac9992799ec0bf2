//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binDir is where make build put the binaries.
func binDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VIGIL_BIN")
	if dir == "" {
		dir = "../../bin"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"vigil-center", "vigil-agent", "vigil"} {
		if _, err := os.Stat(filepath.Join(abs, b)); err != nil {
			t.Fatalf("binary %s missing: run make build (%v)", b, err)
		}
	}
	return abs
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// process is a started binary whose output goes to a log file.
type process struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func start(t *testing.T, logPath string, env []string, name string, args ...string) *process {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &process{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *process) signal(sig syscall.Signal) { _ = p.cmd.Process.Signal(sig) }

func (p *process) kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits for the exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.signal(syscall.SIGTERM)
	p.wait(t)
}

// wait waits for the process to exit after it was told to.
func (p *process) wait(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("process did not exit; log:\n%s", tail(p.log))
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// center is a running vigil-center.
type center struct {
	t       *testing.T
	bin     string
	dir     string
	httpURL string
	http    string
	nats    string
	token   string
	proc    *process
	client  *http.Client
	extra   []string
}

// startCenter starts vigil-center on dir; env adds VIGIL_* settings.
func startCenter(t *testing.T, dir string, env ...string) *center {
	t.Helper()
	c := &center{t: t, bin: binDir(t), dir: dir, http: freeAddr(t), nats: freeAddr(t), token: "vgt_e2e_" + fmt.Sprint(time.Now().UnixNano()), extra: env}
	c.httpURL = "https://" + c.http
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	c.restart()
	return c
}

func (c *center) env() []string {
	return append([]string{"VIGIL_ADMIN_TOKEN=" + c.token, "VIGIL_EVENT_RETENTION=0"}, c.extra...)
}

// restart starts the center process (again) on the same data dir and ports.
func (c *center) restart() {
	t := c.t
	t.Helper()
	c.proc = start(t, filepath.Join(c.dir, "center.log"), c.env(), filepath.Join(c.bin, "vigil-center"),
		"--data", c.dir, "--http", c.http, "--nats", c.nats)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c.client == nil {
			if pem, err := os.ReadFile(filepath.Join(c.dir, "tls", "ca.pem")); err == nil {
				pool := x509.NewCertPool()
				pool.AppendCertsFromPEM(pem)
				c.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
			}
		}
		if c.client != nil {
			if resp, err := c.client.Get(c.httpURL + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return
				}
			}
		}
		select {
		case <-c.proc.done:
			t.Fatalf("vigil-center exited; log:\n%s", tail(c.proc.log))
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("vigil-center not healthy in 30s; log:\n%s", tail(c.proc.log))
}

// api calls the REST API as admin and decodes the JSON answer into out.
// A []byte body is sent as it is, another as JSON.
func (c *center) api(method, path string, body, out any) int {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, c.httpURL+"/api/v1"+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// cli runs the vigil CLI against the center and returns its stdout.
func (c *center) cli(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(c.bin, "vigil"), args...)
	cmd.Env = append(os.Environ(), "VIGIL_SERVER="+c.httpURL, "VIGIL_TOKEN="+c.token, "VIGIL_CA="+filepath.Join(c.dir, "tls", "ca.pem"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("vigil %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), err
}

// joinToken creates a join token with the CLI.
func (c *center) joinToken(args ...string) string {
	c.t.Helper()
	out, err := c.cli(append([]string{"token", "create"}, args...)...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

type agentJSON struct {
	ID           string            `json:"id"`
	Hostname     string            `json:"hostname"`
	Status       string            `json:"status"`
	StatusReason string            `json:"status_reason"`
	Labels       map[string]string `json:"labels"`
	IPs          []string          `json:"ips"`
	OS           string            `json:"os"`
}

type alertJSON struct {
	ID       string `json:"id"`
	AgentID  string `json:"agent_id"`
	RuleID   string `json:"rule_id"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	State    string `json:"state"`
}

func (c *center) agents() []agentJSON {
	var out struct{ Items []agentJSON }
	c.api("GET", "/agents?limit=1000", nil, &out)
	return out.Items
}

func (c *center) alerts(agentID string) []alertJSON {
	var out struct{ Items []alertJSON }
	c.api("GET", "/alerts?limit=1000&agent_id="+agentID, nil, &out)
	return out.Items
}

// waitFor polls cond every 50 ms until it holds or the timeout passes, and
// returns how long it took.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	begin := time.Now()
	for time.Since(begin) < timeout {
		if cond() {
			return time.Since(begin)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, timeout)
	return 0
}

// startAgent runs vigil-agent with a data dir under dir.
func (c *center) startAgent(t *testing.T, dataDir, token string) *process {
	t.Helper()
	args := []string{"--center", c.httpURL, "--data", dataDir}
	if token != "" {
		args = append(args, "--token", token)
	}
	return start(t, dataDir+".log", nil, filepath.Join(c.bin, "vigil-agent"), args...)
}
