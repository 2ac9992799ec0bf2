//go:build unix

package uninstall_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/pidfile"
	"github.com/vigilsec/vigil/internal/agent/uninstall"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/enroll"
)

// agentDirEnv makes the test binary run as an agent on that data
// directory instead of running the tests, so that uninstall stops a real
// process.
const agentDirEnv = "VIGIL_TEST_AGENT_DATA"

func TestMain(m *testing.M) {
	if dir := os.Getenv(agentDirEnv); dir != "" {
		ctx, stop := agent.NotifyStop(context.Background())
		defer stop()
		a, err := agent.New(agent.Config{DataDir: dir, HeartbeatInterval: 100 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		if err == nil {
			err = a.Run(ctx)
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// goodbyes records the goodbyes the center acknowledges.
type goodbyes struct {
	mu  sync.Mutex
	all []*busv1.Goodbye
}

func (g *goodbyes) list() []*busv1.Goodbye {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*busv1.Goodbye(nil), g.all...)
}

// enrolled starts a center, puts an enrolled identity into a data
// directory and answers goodbyes.
func enrolled(t *testing.T) (*bustest.Center, string, *goodbyes) {
	t.Helper()
	c := bustest.Start(t)
	ident, _ := c.Agent("agent-u")
	dir := filepath.Join(t.TempDir(), "data")
	if err := enroll.Save(dir, ident); err != nil {
		t.Fatal(err)
	}
	g := &goodbyes{}
	_, err := c.Server.Conn().Subscribe(bus.AllGoodbyes, func(m *nats.Msg) {
		gb := &busv1.Goodbye{}
		if err := proto.Unmarshal(m.Data, gb); err == nil {
			g.mu.Lock()
			g.all = append(g.all, gb)
			g.mu.Unlock()
			_ = m.Respond([]byte("ok"))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, dir, g
}

func TestUninstallStopsTellsAndRemoves(t *testing.T) {
	c, dir, g := enrolled(t)
	hb, err := c.Server.Conn().SubscribeSync(bus.HeartbeatSubject("agent-u"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), agentDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	if _, err := hb.NextMsg(20 * time.Second); err != nil {
		t.Fatalf("the agent process sent no heartbeat: %v", err)
	}

	if err := uninstall.Run(context.Background(), uninstall.Options{DataDir: dir}); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("agent process: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the agent process is still running")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory left: %v", err)
	}
	got := g.list()
	if len(got) != 2 {
		t.Fatalf("%d goodbyes, want 2 (stopped, uninstalled): %v", len(got), got)
	}
	stopped, removed := got[0], got[1]
	if stopped.GetReason() != busv1.Goodbye_REASON_STOPPED || stopped.GetSignal() != "SIGTERM" {
		t.Errorf("first goodbye = %v", stopped)
	}
	src := removed.GetSource()
	if removed.GetReason() != busv1.Goodbye_REASON_UNINSTALLED || removed.GetAgentId() != "agent-u" ||
		src.GetVia() != "uninstall-command" || src.GetUid() != int32(os.Getuid()) || src.GetUser() == "" ||
		src.GetPid() != int32(os.Getpid()) || src.GetParentPid() != int32(os.Getppid()) || src.GetCommand() == "" {
		t.Errorf("uninstall goodbye = %v", removed)
	}
}

func TestUninstallNeedsTheCenter(t *testing.T) {
	c, dir, _ := enrolled(t)
	c.Server.Shutdown()
	opts := uninstall.Options{DataDir: dir, ReplyTimeout: time.Second}
	err := uninstall.Run(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("uninstall with the center down: %v, want a refusal naming --force", err)
	}
	if _, err := os.Stat(filepath.Join(dir, enroll.IdentityFile)); err != nil {
		t.Errorf("identity removed although the center was not told: %v", err)
	}
	opts.Force = true
	if err := uninstall.Run(context.Background(), opts); err != nil {
		t.Fatalf("forced uninstall: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory left after a forced uninstall: %v", err)
	}
}

func TestUninstallRefusesOtherDirectories(t *testing.T) {
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "precious"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", "/", other} {
		err := uninstall.Run(context.Background(), uninstall.Options{DataDir: dir, Force: true})
		if err == nil {
			t.Errorf("uninstall of %q: no error", dir)
		}
	}
	if _, err := os.Stat(filepath.Join(other, "precious")); err != nil {
		t.Errorf("a directory that is no agent's was touched: %v", err)
	}
	// A data directory without identity is removed only with --force.
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(dir, "spool"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := uninstall.Run(context.Background(), uninstall.Options{DataDir: dir}); err == nil {
		t.Error("uninstall without identity and without --force: no error")
	}
	if err := uninstall.Run(context.Background(), uninstall.Options{DataDir: dir, Force: true}); err != nil {
		t.Errorf("forced uninstall without identity: %v", err)
	}
}

func TestStalePIDFileIsNoAgent(t *testing.T) {
	c, dir, g := enrolled(t)
	_ = c
	if err := os.WriteFile(filepath.Join(dir, pidfile.Name), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// pid 1 is named in the file, but nothing holds it: nothing is signalled.
	if err := uninstall.Run(context.Background(), uninstall.Options{DataDir: dir}); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	if got := g.list(); len(got) != 1 || got[0].GetReason() != busv1.Goodbye_REASON_UNINSTALLED {
		t.Errorf("goodbyes = %v", got)
	}
}
