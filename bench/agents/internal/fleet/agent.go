package fleet

import (
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
)

// AgentVersion is the version simulated agents report.
const AgentVersion = "bench"

// Agent is one simulated agent: its own key, credentials and connection,
// and a heartbeat loop like vigil-agent's.
type Agent struct {
	// Hostname is sim-00001 and so on.
	Hostname string
	// Identity is what enrollment returned (zero until enrolled).
	Identity bus.Identity

	facts   *busv1.HostFacts
	started time.Time
	dialer  *dialer
	nc      *nats.Conn
	fleet   *Fleet

	seq        uint64
	needFacts  atomic.Bool
	reconnects atomic.Uint64
	upOnce     atomic.Bool   // connected at least once
	down       atomic.Bool   // taken down or closed
	kick       chan struct{} // a (re)connect: send a heartbeat now
	stop       chan struct{} // closed when the agent is taken down
}

// ID is the agent id the center assigned ("" before enrollment).
func (a *Agent) ID() string { return a.Identity.AgentID }

// newAgent prepares agent number i (from 1) with host facts of its own.
func newAgent(f *Fleet, prefix string, i int) (*Agent, error) {
	mid := make([]byte, 16)
	if _, err := crand.Read(mid); err != nil {
		return nil, fmt.Errorf("machine id: %w", err)
	}
	host := fmt.Sprintf("%s-%05d", prefix, i)
	return &Agent{
		Hostname: host,
		facts: &busv1.HostFacts{
			Hostname: host, Os: "linux", Platform: "debian", PlatformVersion: "12",
			Kernel: kernelRelease(), Arch: runtime.GOARCH,
			Ips:          []string{fmt.Sprintf("10.%d.%d.%d", 64+i>>16&63, i>>8&255, i&255)},
			BootTimeUnix: time.Now().Add(-time.Hour).Unix(), AgentVersion: AgentVersion,
			MachineId: hex.EncodeToString(mid),
			Macs:      []string{fmt.Sprintf("02:42:%02x:%02x:%02x:%02x", i>>24&255, i>>16&255, i>>8&255, i&255)},
		},
		dialer: &dialer{net: netDialer()},
		fleet:  f,
		kick:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
	}, nil
}

// kernelRelease is this machine's kernel, which the simulated hosts share.
func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// onConnect runs on every (re)connect: like vigil-agent, send facts and a
// heartbeat at once.
func (a *Agent) onConnect() {
	a.needFacts.Store(true)
	a.fleet.connected(a)
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// heartbeats sends a heartbeat after every (re)connect and then every
// interval, first after a random phase so that the fleet's heartbeats are
// spread evenly. It returns when done or the agent's stop is closed.
func (a *Agent) heartbeats(done <-chan struct{}, interval time.Duration) {
	t := time.NewTimer(time.Duration(rand.Int64N(int64(interval))))
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-a.stop:
			return
		case <-a.kick:
		case <-t.C:
			t.Reset(interval)
		}
		a.beat()
	}
}

// beat publishes one heartbeat when the link is up.
func (a *Agent) beat() {
	if !a.nc.IsConnected() {
		return
	}
	a.seq++
	hb := &busv1.Heartbeat{
		AgentId:        a.ID(),
		SentAtUnixNano: time.Now().UnixNano(),
		Seq:            a.seq,
		StartedAtUnix:  a.started.Unix(),
		AgentVersion:   AgentVersion,
		Stats:          &busv1.AgentStats{ReconnectsTotal: a.reconnects.Load()},
	}
	withFacts := a.needFacts.Swap(false)
	if withFacts {
		hb.Facts = a.facts
	}
	data, err := proto.Marshal(hb)
	if err == nil {
		err = a.nc.Publish(bus.HeartbeatSubject(a.ID()), data)
	}
	if err != nil {
		a.fleet.counters.HeartbeatErrors.Add(1)
		if withFacts {
			a.needFacts.Store(true)
		}
		return
	}
	a.fleet.counters.HeartbeatsSent.Add(1)
}
