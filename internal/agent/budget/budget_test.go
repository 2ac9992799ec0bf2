package budget_test

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/budget"
)

// clock is a CPU-time source the test advances by hand.
type clock struct {
	mu  sync.Mutex
	cpu time.Duration
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.cpu += d
	c.mu.Unlock()
}

func (c *clock) read() (time.Duration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cpu, nil
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestGovernorThrottlesAndReleases(t *testing.T) {
	const period = 20 * time.Millisecond
	c := &clock{}
	g := budget.New(budget.Limits{CPUPercent: 50, MemoryMB: 64}, budget.Options{Period: period, CPUTime: c.read})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()

	// Using a full core for a while: throttled, and Wait blocks.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(period / 4):
				c.add(period / 4)
			}
		}
	}()
	waitFor(t, "throttling", g.Throttled)
	if g.CPUPercent() <= 50 {
		t.Errorf("CPUPercent = %v while throttled", g.CPUPercent())
	}
	waited := make(chan error, 1)
	go func() { waited <- g.Wait(context.Background()) }()
	select {
	case <-waited:
		t.Fatal("Wait returned while throttled")
	case <-time.After(3 * period):
	}
	if limit := debug.SetMemoryLimit(-1); limit != 64<<20 {
		t.Errorf("memory limit = %d, want 64 MiB", limit)
	}

	// Idle again: released, and the waiter goes on.
	close(stop)
	waitFor(t, "release", func() bool { return !g.Throttled() })
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("Wait = %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Wait did not return after release")
	}

	// A raised budget: a half-core load no longer throttles.
	g.Set(budget.Limits{CPUPercent: 90})
	if got := g.Limits(); got.CPUPercent != 90 || got.MemoryMB != budget.DefaultMemoryMB {
		t.Errorf("Limits = %+v", got)
	}
	cancel()
	<-done
	if limit := debug.SetMemoryLimit(-1); limit == 64<<20 {
		t.Error("memory limit not restored after Run")
	}
}

func TestWaitHonoursContext(t *testing.T) {
	c := &clock{}
	g := budget.New(budget.Limits{CPUPercent: 1}, budget.Options{Period: 10 * time.Millisecond, CPUTime: c.read})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.Run(ctx)
	go func() {
		for ctx.Err() == nil {
			c.add(10 * time.Millisecond)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	waitFor(t, "throttling", g.Throttled)
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer wcancel()
	if err := g.Wait(wctx); err == nil {
		t.Error("Wait returned nil while throttled and the context ended")
	}
}

func TestRealCPUTimeThrottles(t *testing.T) {
	// The process's own CPU time, from the operating system: a busy loop
	// on one core is far above a 1 % budget.
	g := budget.New(budget.Limits{CPUPercent: 1}, budget.Options{Period: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.Run(ctx)
	go func() {
		for x := 0; ctx.Err() == nil; x++ {
			_ = x * x
		}
	}()
	waitFor(t, "throttling under a busy loop", g.Throttled)
}

func TestProcessUsage(t *testing.T) {
	a, err := budget.ProcessCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	for x, start := 0, time.Now(); time.Since(start) < 20*time.Millisecond; x++ {
		_ = x * x
	}
	b, err := budget.ProcessCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	if b <= a {
		t.Errorf("CPU time did not grow: %v then %v", a, b)
	}
	if rss, err := budget.RSS(); err != nil || rss == 0 {
		t.Errorf("RSS = %d, %v", rss, err)
	}
}

func TestCapProcs(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	if got := budget.CapProcs(1); got != 1 {
		t.Errorf("CapProcs(1) = %d", got)
	}
	if got := budget.CapProcs(0); got != 1 {
		t.Errorf("CapProcs(0) changed GOMAXPROCS to %d", got)
	}
}
