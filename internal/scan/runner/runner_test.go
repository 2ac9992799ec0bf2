package runner_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/protocol"
	"github.com/vigilsec/vigil/internal/scan/runner"
)

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "vigil-scan")
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		ok   bool
	}{
		{exe, true},
		{plain, false},         // not executable
		{dir, false},           // a folder
		{"vigil-scan", false},  // relative
		{dir + "/none", false}, // missing
		{"", false},            // next to the test binary: not there
	}
	for _, tt := range tests {
		got, err := runner.Locate(tt.path)
		if tt.ok != (err == nil) {
			t.Errorf("Locate(%q) = %q, %v; want ok %v", tt.path, got, err, tt.ok)
		}
		if err != nil && !errors.Is(err, runner.ErrNotFound) {
			t.Errorf("Locate(%q) error %v does not wrap ErrNotFound", tt.path, err)
		}
	}
}

// sh returns a Runner that runs a shell script in place of the scanner.
func sh(script string) (runner.Runner, []string) {
	return runner.Runner{Path: "/bin/sh"}, []string{"-c", script}
}

const (
	assetLine = `{"kind":"package","key":"deb:a:amd64","name":"a","version":"1"}`
	okSummary = `{"summary":{"command":"packages","complete":true,"assets":1}}`
)

func TestRunOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		script string
		assets int
		err    string
	}{
		{"complete", "echo '" + assetLine + "'; echo '" + okSummary + "'", 1, ""},
		{"incomplete", `echo '{"summary":{"command":"packages","complete":false,"reason":"time limit of 1s reached","assets":0}}'; exit 1`,
			0, "scan incomplete: time limit of 1s reached"},
		{"incomplete with status 0", `echo '{"summary":{"command":"packages","complete":false,"reason":"x","assets":0}}'`, 0, "scan incomplete: x"},
		{"no summary", "echo '" + assetLine + "'", 1, protocol.ErrNoSummary.Error()},
		{"crash", "echo boom >&2; exit 3", 0, "boom"},
		{"malformed counted", "echo 'garbage'; echo '" + assetLine + "'; echo '" + strings.Replace(okSummary, `"assets":1`, `"assets":2`, 1) + "'", 1, ""},
		{"flood", "yes", 0, protocol.ErrTooManyAssets.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, args := sh(tt.script)
			res, err := r.Run(context.Background(), args, []string{event.AssetPackage})
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err %v, want %q", err, tt.err)
			}
			if len(res.Assets) != tt.assets {
				t.Errorf("%d assets, want %d", len(res.Assets), tt.assets)
			}
		})
	}
}

// procStat returns fields of /proc/PID/stat after the command name.
func procStat(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatalf("stat of the child: %v", err)
	}
	i := bytes.LastIndexByte(b, ')')
	return strings.Fields(string(b[i+2:]))
}

// TestRunPriorityAndEnvironment looks at the running child: nice 10, the
// idle I/O class, the first to go when memory runs out, a process group
// of its own, and the environment the runner gives it.
func TestRunPriorityAndEnvironment(t *testing.T) {
	r, args := sh("sleep 0.5; echo '" + strings.Replace(okSummary, `"assets":1`, `"assets":0`, 1) + "'")
	var nice, pgrp, class int
	var env, oom []byte
	r.Started = func(pid int) {
		f := procStat(t, pid)
		// Fields after the name: state(0) ppid(1) pgrp(2) ... nice(16).
		pgrp, _ = strconv.Atoi(f[2])
		if pgrp != pid {
			t.Errorf("process group %d, want its own (%d)", pgrp, pid)
		}
		nice, _ = strconv.Atoi(f[16])
		const whoProcess = 1 // IOPRIO_WHO_PROCESS
		v, _, e := syscall.Syscall(syscall.SYS_IOPRIO_GET, whoProcess, uintptr(pid), 0)
		if e != 0 {
			t.Errorf("ioprio_get: %v", e)
		}
		class = int(v >> 13)
		env, _ = os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		oom, _ = os.ReadFile("/proc/" + strconv.Itoa(pid) + "/oom_score_adj")
	}
	res, err := r.Run(context.Background(), args, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.PriorityErr != nil {
		t.Errorf("PriorityErr %v", res.PriorityErr)
	}
	if nice != runner.DefaultNice {
		t.Errorf("nice %d, want %d", nice, runner.DefaultNice)
	}
	if class != 3 {
		t.Errorf("I/O class %d, want 3 (idle)", class)
	}
	if got := strings.TrimSpace(string(oom)); got != "1000" {
		t.Errorf("oom_score_adj %q, want 1000", got)
	}
	vars := strings.Split(strings.TrimRight(string(env), "\x00"), "\x00")
	want := map[string]bool{"GOMEMLIMIT=" + strconv.Itoa(runner.DefaultMemoryLimit): true, "GOMAXPROCS=1": true}
	for _, v := range vars {
		delete(want, v)
		if strings.HasPrefix(v, "HOME=") || strings.HasPrefix(v, "VIGIL") {
			t.Errorf("the child inherited %s", v)
		}
	}
	if len(want) > 0 {
		t.Errorf("environment %q lacks %v", vars, want)
	}
}

// TestRunKilledOnTimeout: a scanner past its time is killed with all its
// process group.
func TestRunKilledOnTimeout(t *testing.T) {
	r, args := sh("sleep 30 & sleep 30")
	var pgid int
	r.Started = func(pid int) { pgid = pid }
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.Run(ctx, args, nil)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run returned after %s", d)
	}
	// No process of the group is left (the background sleep included).
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := groupMembers(t, pgid)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes %v of the group are still there", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+2:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

func TestRunErrors(t *testing.T) {
	if _, err := (runner.Runner{}).Run(context.Background(), nil, nil); !errors.Is(err, runner.ErrNotFound) {
		t.Errorf("no path: %v", err)
	}
	r := runner.Runner{Path: "/nonexistent/vigil-scan"}
	if _, err := r.Run(context.Background(), nil, nil); err == nil {
		t.Error("missing executable: no error")
	}
	r, args := sh("echo '" + okSummary + "'")
	r.Nice = -5
	res, err := r.Run(context.Background(), args, nil)
	if err == nil || res.PriorityErr == nil {
		// The summary counts one asset that never came: refused; and a
		// negative nice value is never applied.
		t.Errorf("err %v, PriorityErr %v", err, res.PriorityErr)
	}
}

// TestLocateTrust: a scanner, or a folder, that someone other than root
// and the agent's user could replace is refused.
func TestLocateTrust(t *testing.T) {
	write := func(dir string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, "vigil-scan")
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := t.TempDir()
	if _, err := runner.Locate(write(good, 0o755)); err != nil {
		t.Errorf("a scanner of ours with mode 0755: %v", err)
	}
	if _, err := runner.Locate(write(t.TempDir(), 0o757)); !errors.Is(err, runner.ErrUntrusted) {
		t.Errorf("a world-writable scanner: %v", err)
	}
	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Locate(write(open, 0o755)); !errors.Is(err, runner.ErrUntrusted) {
		t.Errorf("a scanner in a world-writable folder: %v", err)
	}
	sticky := t.TempDir()
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Locate(write(sticky, 0o755)); err != nil {
		t.Errorf("a scanner of ours in a sticky folder: %v", err)
	}
	if os.Geteuid() == 0 {
		p := write(t.TempDir(), 0o755)
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := runner.Locate(p); !errors.Is(err, runner.ErrUntrusted) {
			t.Errorf("a scanner owned by nobody: %v", err)
		}
	}
}
