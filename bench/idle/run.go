package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// config is what the flags say.
type config struct {
	bin             string
	warmup, measure time.Duration
	interval        time.Duration
	keep            bool
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("idle", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "bin", "directory of the built vigil-center, vigil-agent and vigil")
	fs.DurationVar(&c.warmup, "warmup", 60*time.Second, "time for the agent to settle (first scans, baselines) before measuring")
	fs.DurationVar(&c.measure, "measure", 120*time.Second, "measuring window")
	fs.DurationVar(&c.interval, "sample", time.Second, "memory sampling interval")
	fs.BoolVar(&c.keep, "keep-data", false, "keep the temporary data dirs and logs")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.measure < 10*time.Second {
		return c, errors.New("--measure must be at least 10s")
	}
	return c, nil
}

// run starts the center and the agent, measures and prints.
func run(ctx context.Context, cfg config, out io.Writer) error {
	bin, err := filepath.Abs(cfg.bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "vigil-idle-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Fprintln(out, "data:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	httpAddr, natsAddr := freeAddr(), freeAddr()
	if httpAddr == "" || natsAddr == "" {
		return errors.New("no free loopback port")
	}
	token := fmt.Sprintf("vgt_idle_%d", time.Now().UnixNano())
	centerDir := filepath.Join(dir, "center")
	center, err := startProcess(ctx, filepath.Join(dir, "center.log"), []string{"VIGIL_ADMIN_TOKEN=" + token},
		filepath.Join(bin, "vigil-center"), "--data", centerDir, "--http", httpAddr, "--nats", natsAddr)
	if err != nil {
		return err
	}
	defer center.stop()
	api, err := waitCenter(ctx, "https://"+httpAddr, filepath.Join(centerDir, "tls", "ca.pem"), token)
	if err != nil {
		return fmt.Errorf("%w; center log:\n%s", err, tailFile(center.log))
	}
	join, err := cliOutput(ctx, filepath.Join(bin, "vigil"), api, "token", "create", "--ttl", "1h")
	if err != nil {
		return err
	}
	agent, err := startProcess(ctx, filepath.Join(dir, "agent.log"), nil, filepath.Join(bin, "vigil-agent"),
		"--center", "https://"+httpAddr, "--token", join, "--data", filepath.Join(dir, "agent"))
	if err != nil {
		return err
	}
	defer agent.stop()
	id, err := api.waitOnline(ctx, 60*time.Second)
	if err != nil {
		return fmt.Errorf("%w; agent log:\n%s", err, tailFile(agent.log))
	}
	fmt.Fprintf(out, "agent %s online (pid %d); warming up %s\n", id, agent.cmd.Process.Pid, cfg.warmup)
	if err := sleep(ctx, cfg.warmup); err != nil {
		return err
	}
	m, err := measure(ctx, agent.cmd.Process.Pid, cfg.measure, cfg.interval)
	if err != nil {
		return err
	}
	plugins, err := api.pluginStates(ctx, id)
	if err != nil {
		return err
	}
	printReport(out, cfg, m, plugins)
	return nil
}

// process is a started binary with its log.
type process struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startProcess(ctx context.Context, logPath string, env []string, name string, args ...string) (*process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	return p, nil
}

// stop ends the process with SIGTERM, then SIGKILL after 15 s.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	return l.Addr().String()
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func tailFile(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// centerAPI calls the REST API as admin.
type centerAPI struct {
	url, token, ca string
	client         *http.Client
}

func waitCenter(ctx context.Context, url, caPath, token string) (*centerAPI, error) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if pem, err := os.ReadFile(caPath); err == nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			c := &centerAPI{url: url, token: token, ca: caPath, client: &http.Client{Timeout: 30 * time.Second,
				Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
			if resp, err := c.client.Get(url + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return c, nil
				}
			}
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("the center did not become healthy in 60s")
}

func (c *centerAPI) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url+"/api/v1"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	return json.Unmarshal(data, out)
}

// waitOnline returns the id of the first agent online.
func (c *centerAPI) waitOnline(ctx context.Context, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := c.call(ctx, "GET", "/agents?status=online", nil, &page); err == nil && len(page.Items) > 0 {
			return page.Items[0].ID, nil
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("no agent online after %s", limit)
}

// pluginState is one plugin as the status command reports it.
type pluginState struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	State     string `json:"state"`
	Reason    string `json:"reason"`
	Mechanism string `json:"mechanism"`
	Events    string `json:"events"`
	Dropped   string `json:"dropped"`
}

func (c *centerAPI) pluginStates(ctx context.Context, id string) ([]pluginState, error) {
	var resp struct {
		Results []struct {
			OK     bool            `json:"ok"`
			Error  string          `json:"error"`
			Output json.RawMessage `json:"output"`
		} `json:"results"`
	}
	if err := c.call(ctx, "POST", "/agents/commands", map[string]any{"command": "status", "agent_ids": []string{id}}, &resp); err != nil {
		return nil, err
	}
	if len(resp.Results) != 1 || !resp.Results[0].OK {
		return nil, fmt.Errorf("status command: %+v", resp.Results)
	}
	var out struct {
		Plugins []pluginState `json:"plugins"`
	}
	if err := json.Unmarshal(resp.Results[0].Output, &out); err != nil {
		return nil, fmt.Errorf("status output: %w", err)
	}
	return out.Plugins, nil
}

// cliOutput runs the vigil CLI against the center.
func cliOutput(ctx context.Context, vigil string, api *centerAPI, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, vigil, args...)
	cmd.Env = append(os.Environ(), "VIGIL_SERVER="+api.url, "VIGIL_TOKEN="+api.token, "VIGIL_CA="+api.ca)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("vigil %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}
