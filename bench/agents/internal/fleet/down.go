package fleet

import (
	"sync"
	"time"
)

// connected records an agent's connect or reconnect.
func (f *Fleet) connected(a *Agent) {
	f.counters.Connects.Add(1)
	if a.upOnce.Swap(true) {
		a.reconnects.Add(1)
		return
	}
	f.mu.Lock()
	f.firstUp++
	f.lastFirst = time.Now()
	f.mu.Unlock()
}

// FirstConnects returns how many agents have connected at least once, and
// when the last of them first did.
func (f *Fleet) FirstConnects() (int, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.firstUp, f.lastFirst
}

func (a *Agent) isDown() bool { return a.down.Load() }

// TakeDown fails the agents' connections with kind, all at once, and
// returns for each agent the instant its failure took effect. The agents
// stop sending heartbeats and never reconnect.
func (f *Fleet) TakeDown(agents []*Agent, kind Failure) []time.Time {
	at := make([]time.Time, len(agents))
	for i, a := range agents {
		a.down.Store(true)
		at[i] = a.dialer.fail(kind)
		close(a.stop)
	}
	// Closing the clients stops their reconnect attempts; nothing of it
	// reaches the center: a killed socket is gone, a silent one swallows
	// every byte.
	for _, a := range agents {
		if a.nc != nil {
			go a.nc.Close()
		}
	}
	return at
}

// Close disconnects every agent and closes every socket, silenced ones
// included. The agents send no goodbye: the center sees them go lost.
func (f *Fleet) Close() {
	close(f.done)
	work := make(chan *Agent)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				a.down.Store(true)
				if a.nc != nil {
					a.nc.Close()
				}
				a.dialer.release()
			}
		}()
	}
	for _, a := range f.agents {
		work <- a
	}
	close(work)
	wg.Wait()
	f.wg.Wait()
}

// Up reports whether the agent has connected and was not taken down.
func (a *Agent) Up() bool {
	return a.upOnce.Load() && !a.down.Load() && a.nc != nil && a.nc.IsConnected()
}
