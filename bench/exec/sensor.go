//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/exec/ebpf"
	"github.com/vigilsec/vigil/internal/event"
)

// Environment of the sensor child.
const (
	envBenchPID = "VIGIL_BENCH_PID"
	envTarget   = "VIGIL_BENCH_TARGET"
)

// markerPrefix starts the argument of the executions that delimit counts.
const markerPrefix = "vigil-bench-marker-"

// childMessage is one line the sensor child writes.
type childMessage struct {
	// Marker is the marker execution the message answers.
	Marker string `json:"marker,omitempty"`
	// Seen: exec events of the benchmark's executions of the target
	// since the previous marker.
	Seen uint64 `json:"seen"`
	// Lost: events the sensor reported lost since the previous marker.
	Lost uint64 `json:"lost"`
	// Events: every event since the previous marker.
	Events uint64 `json:"events"`
}

// sensorProfile is where the sensor child writes a CPU profile, if set.
var sensorProfile string

// sensorMonitor runs the exec/ebpf sensor in a child process (this
// command with -sensor-child) that counts its events.
type sensorMonitor struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	msgs    chan childMessage
	done    chan error
	markers int
	final   *syscall.Rusage
}

func (m *sensorMonitor) start(ctx context.Context, target string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	m.cmd = exec.Command(self, "-sensor-child", "-sensor-cpuprofile", sensorProfile)
	m.cmd.Env = append(os.Environ(), envBenchPID+"="+strconv.Itoa(os.Getpid()))
	m.cmd.Env = append(m.cmd.Env, envTarget+"="+target)
	m.cmd.Stderr = os.Stderr
	if m.stdin, err = m.cmd.StdinPipe(); err != nil {
		return err
	}
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := m.cmd.Start(); err != nil {
		return fmt.Errorf("start the sensor child: %w", err)
	}
	m.msgs, m.done = make(chan childMessage, 16), make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var msg childMessage
			if json.Unmarshal(sc.Bytes(), &msg) == nil {
				m.msgs <- msg
			}
		}
		close(m.msgs)
	}()
	// The first marker the sensor sees says it runs.
	_, err = m.marker(ctx, 60*time.Second)
	return err
}

// marker runs marker executions until the child reports one, and
// returns its report.
func (m *sensorMonitor) marker(ctx context.Context, wait time.Duration) (childMessage, error) {
	m.markers++
	marker := fmt.Sprintf("%s%d-%d", markerPrefix, os.Getpid(), m.markers)
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if err := execOnce("/bin/true", marker); err != nil {
			return childMessage{}, err
		}
		timeout := time.After(200 * time.Millisecond)
	wait:
		for {
			select {
			case msg, ok := <-m.msgs:
				if !ok {
					return childMessage{}, errors.New("the sensor child exited")
				}
				if msg.Marker == marker {
					return msg, nil
				}
			case <-timeout:
				break wait
			case <-ctx.Done():
				return childMessage{}, ctx.Err()
			}
		}
	}
	return childMessage{}, fmt.Errorf("the sensor reported no marker execution within %v", wait)
}

func (m *sensorMonitor) mark(ctx context.Context) error {
	_, err := m.marker(ctx, 60*time.Second)
	return err
}

func (m *sensorMonitor) collect(ctx context.Context, _ int, _ string) (uint64, uint64, error) {
	msg, err := m.marker(ctx, 60*time.Second)
	return msg.Seen, msg.Lost, err
}

func (m *sensorMonitor) usage() (float64, int64, string) {
	if m.cmd == nil || m.cmd.Process == nil {
		return 0, 0, ""
	}
	return cpuSeconds(m.cmd.Process.Pid), peakRSS(m.cmd.Process.Pid), "sensor process"
}

func (m *sensorMonitor) stop() error {
	if m.cmd == nil || m.cmd.Process == nil {
		return nil
	}
	_ = m.stdin.Close()
	wait := make(chan error, 1)
	go func() { wait <- m.cmd.Wait() }()
	select {
	case err := <-wait:
		return err
	case <-time.After(30 * time.Second):
		_ = m.cmd.Process.Kill()
		return errors.New("the sensor child did not stop within 30s")
	}
}

// counter is the child's Emitter.
type counter struct {
	benchPID int
	target   string
	out      *json.Encoder

	mu     sync.Mutex
	seen   uint64
	lost   uint64
	events uint64
}

func (c *counter) Emit(e event.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events++
	if e.String(event.FieldAction) != "exec" {
		return
	}
	proc, _ := e["process"].(map[string]any)
	args, _ := proc["args"].([]string)
	if len(args) == 2 && strings.HasPrefix(args[1], markerPrefix) {
		_ = c.out.Encode(childMessage{Marker: args[1], Seen: c.seen, Lost: c.lost, Events: c.events})
		c.seen, c.lost, c.events = 0, 0, 0
		return
	}
	if proc["executable"] != c.target {
		return
	}
	if parent, ok := proc["parent"].(map[string]any); ok && parent["pid"] == c.benchPID {
		c.seen++
	}
}

func (c *counter) Lost(n uint64) {
	c.mu.Lock()
	c.lost += n
	c.mu.Unlock()
}

// runSensorChild runs the exec/ebpf sensor until stdin closes, writing a
// count at each marker execution.
func runSensorChild(stdin io.Reader, stdout io.Writer, profile string) error {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	benchPID, err := strconv.Atoi(os.Getenv(envBenchPID))
	if err != nil {
		return fmt.Errorf("%s: %w", envBenchPID, err)
	}
	hostID := "bench"
	if b, err := os.ReadFile("/etc/machine-id"); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		hostID = strings.TrimSpace(string(b))
	}
	s := ebpf.New()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := s.Configure(plugin.Env{Root: "/", HostID: hostID, Logger: log}); err != nil {
		return err
	}
	if err := s.ApplySettings(nil); err != nil {
		return err
	}
	c := &counter{benchPID: benchPID, target: os.Getenv(envTarget), out: json.NewEncoder(stdout)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		cancel()
	}()
	if err := s.Run(ctx, c); err != nil {
		return err
	}
	st := s.Stats()
	fmt.Fprintf(os.Stderr, "  sensor: %d exec, %d fork, %d exit records; %d lost in the kernel, %d malformed, %d read errors\n",
		st.Exec, st.Fork, st.Exit, st.KernelLost, st.Malformed, st.ReadErrors)
	return nil
}
