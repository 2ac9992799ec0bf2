//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// resolveTarget returns the target's real path: the one the kernel and
// the monitors report.
func resolveTarget(p string) (string, error) {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("target: %w", err)
	}
	return r, nil
}

// devNull is the stdio of the executions.
var devNull = sync.OnceValue(func() *os.File {
	f, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		panic(err)
	}
	return f
})

// execOnce runs target with args and waits for it.
func execOnce(target string, args ...string) error {
	_, err := execMeasured(target, args...)
	return err
}

// execMeasured runs target with args, waits for it and returns the CPU
// time it used (user and system, the kernel's work in its exec and exit
// included).
func execMeasured(target string, args ...string) (time.Duration, error) {
	fd := devNull().Fd()
	argv := append([]string{target}, args...)
	pid, err := syscall.ForkExec(target, argv, &syscall.ProcAttr{Files: []uintptr{fd, fd, fd}, Env: []string{}})
	if err != nil {
		return 0, fmt.Errorf("run %s: %w", target, err)
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		_, err = syscall.Wait4(pid, &ws, 0, &ru)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("wait for %s: %w", target, err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return 0, fmt.Errorf("%s ended with %v", target, ws)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// selfCPU returns the CPU time this process used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runSequential runs n executions one after the other and returns the
// wall time and the CPU time of the executions: the programs' own and
// this process's (which forks and waits for them).
func runSequential(ctx context.Context, target string, n int) (wall, cpu time.Duration, err error) {
	start, self := time.Now(), selfCPU()
	for i := range n {
		if i%1000 == 0 && ctx.Err() != nil {
			return 0, 0, ctx.Err()
		}
		c, err := execMeasured(target)
		if err != nil {
			return 0, 0, err
		}
		cpu += c
	}
	return time.Since(start), cpu + selfCPU() - self, nil
}

// runPaced starts executions at rate per second for d, from as many
// workers as it takes, and returns how many ran and the wall time.
func runPaced(ctx context.Context, target string, rate int, d time.Duration) (int, time.Duration, error) {
	total := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	var next atomic.Int64
	var failed atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range max(2, runtime.NumCPU()*2) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(total) || ctx.Err() != nil {
					return
				}
				if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
					time.Sleep(wait)
				}
				if err := execOnce(target); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return 0, 0, err
	}
	return total, time.Since(start), ctx.Err()
}

// numCPU is the number of CPUs of the machine.
func numCPU() int { return runtime.NumCPU() }

// splitList splits a comma-separated list.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
