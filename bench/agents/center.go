package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/center/auth"
)

// Bounds of the local center's start and stop.
const (
	centerStartTimeout = 60 * time.Second
	centerStopTimeout  = 30 * time.Second
)

// localCenter is a vigil-center this command started.
type localCenter struct {
	dir   string
	url   string
	ca    string
	token string
	log   string
	cmd   *exec.Cmd
	done  chan struct{}
	keep  bool
}

// startCenter starts bin on a new data dir with free loopback ports and a
// fresh admin token, and waits until it answers /healthz.
func startCenter(ctx context.Context, bin string, keep bool) (*localCenter, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("start center: %w (build it with make build)", err)
	}
	dir, err := os.MkdirTemp("", "vigil-bench-")
	if err != nil {
		return nil, fmt.Errorf("start center: %w", err)
	}
	_, token, err := auth.NewBearer(auth.APITokenPrefix)
	if err != nil {
		return nil, fmt.Errorf("start center: %w", err)
	}
	httpAddr, err1 := freeAddr()
	natsAddr, err2 := freeAddr()
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("start center: %w", err)
	}
	c := &localCenter{dir: dir, url: "https://" + httpAddr, ca: filepath.Join(dir, "tls", "ca.pem"),
		token: token, log: filepath.Join(dir, "center.log"), done: make(chan struct{}), keep: keep}
	logf, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start center: %w", err)
	}
	c.cmd = exec.Command(bin, "--data", dir, "--http", httpAddr, "--nats", natsAddr)
	c.cmd.Env = append(os.Environ(), "VIGIL_ADMIN_TOKEN="+token)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	// Its own process group: a Ctrl-C reaches this command, which then
	// stops the center in order.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start center: %w", err)
	}
	go func() { _ = c.cmd.Wait(); logf.Close(); close(c.done) }()
	if err := c.waitHealthy(ctx); err != nil {
		c.keep = true // the log says why
		c.stop()
		return nil, err
	}
	return c, nil
}

// pid is the center's process id.
func (c *localCenter) pid() int { return c.cmd.Process.Pid }

// waitHealthy polls /healthz until it answers 200.
func (c *localCenter) waitHealthy(ctx context.Context) error {
	deadline := time.Now().Add(centerStartTimeout)
	var hc *http.Client
	for time.Now().Before(deadline) {
		if hc == nil {
			if pem, err := os.ReadFile(c.ca); err == nil {
				pool := x509.NewCertPool()
				if pool.AppendCertsFromPEM(pem) {
					hc = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
						TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
				}
			}
		}
		if hc != nil {
			if resp, err := hc.Get(c.url + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					hc.CloseIdleConnections()
					return nil
				}
			}
		}
		select {
		case <-c.done:
			return fmt.Errorf("start center: vigil-center exited; see %s", c.log)
		case <-ctx.Done():
			return fmt.Errorf("start center: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("start center: not healthy after %s; see %s", centerStartTimeout, c.log)
}

// stop sends SIGTERM, waits for the exit (SIGKILL after
// centerStopTimeout) and removes the data dir unless it is kept.
func (c *localCenter) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(centerStopTimeout):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	if !c.keep {
		_ = os.RemoveAll(c.dir)
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
