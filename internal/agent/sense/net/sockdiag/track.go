package sockdiag

import (
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// tracked is what the tracker remembers of one socket between polls.
type tracked struct {
	last      Socket
	owner     Process
	direction string
	// port is the service port: the remote one for egress, the local one
	// for ingress and listeners.
	port uint16
	// baseline: the socket existed at the first poll; its counters
	// before then are not the sensor's to report.
	baseline bool
	gen      uint64
	// The payload and segment counters at the last poll.
	sent, recv, segsOut, segsIn uint64
	// The counter deltas of the current poll, and whether the connection
	// began in it.
	dSent, dRecv, dSegsOut, dSegsIn uint64
	countConn                       bool
}

// flowKey names one flow: one process, one peer, one service port.
type flowKey struct {
	pid        int
	startTicks uint64
	remote     netip.Addr
	port       uint16
	proto      uint8
	direction  string
}

// flowTotals accumulates one flow over an interval.
type flowTotals struct {
	owner                  Process
	sent, recv             uint64
	segsOut, segsIn, conns uint64
}

// tracker diffs successive socket tables.
type tracker struct {
	hostID   string
	settings Settings
	filter   Filter
	info     *ProcessInfo
	finder   *ownerFinder
	known    map[uint64]*tracked
	gen      uint64
	// listenPorts holds the ports of the listeners of this poll and the
	// previous one: a connection on one of them was accepted.
	listenPorts, prevListenPorts map[uint16]bool
	flows                        map[flowKey]*flowTotals
	flowStart                    time.Time
	peers                        *boundedSet[peerKey]
}

// peerKey names a (process, UDP peer) pair already reported.
type peerKey struct {
	pid        int
	startTicks uint64
	peer       netip.AddrPort
}

func newTracker(hostID string, st Settings, f Filter, info *ProcessInfo, finder *ownerFinder) *tracker {
	return &tracker{
		hostID: hostID, settings: st, filter: f, info: info, finder: finder,
		known: map[uint64]*tracked{}, listenPorts: map[uint16]bool{}, prevListenPorts: map[uint16]bool{},
		flows: map[flowKey]*flowTotals{}, peers: newBoundedSet[peerKey](8192),
	}
}

// poll diffs socks, the table seen at now, against the previous one and
// emits what changed.
func (t *tracker) poll(socks []Socket, now time.Time, emit plugin.Emitter) {
	first := t.gen == 0
	t.gen++
	if t.flowStart.IsZero() {
		t.flowStart = now
	}
	t.prevListenPorts, t.listenPorts = t.listenPorts, t.prevListenPorts
	clear(t.listenPorts)
	for i := range socks {
		if socks[i].Listening() {
			t.listenPorts[socks[i].Local.Port()] = true
		}
	}
	var fresh, counted []*tracked
	want := map[uint32]*Process{} // inodes whose owners must be found
	for i := range socks {
		s := &socks[i]
		if s.Proto == protoUDP && s.Remote.Port() == 0 {
			continue // an unconnected UDP socket: nothing to report
		}
		tr, ok := t.known[s.Cookie]
		if !ok {
			tr = &tracked{baseline: first, last: *s}
			t.classify(tr, s)
			if first {
				// Bytes moved before the sensor started are not counted.
				tr.sent, tr.recv = payload(s, tr.direction == DirectionEgress)
				tr.segsOut, tr.segsIn = uint64(s.SegsOut), uint64(s.SegsIn)
			}
			// A new connection starts from zero: every byte it moved is
			// in this interval.
			t.known[s.Cookie] = tr
			// Listeners present at the start are attributed too, so that
			// their closing names the process.
			if !first || tr.direction == DirectionListening {
				fresh = append(fresh, tr)
				if s.Inode != 0 {
					want[s.Inode] = &Process{}
				}
			}
		}
		tr.gen = t.gen
		sent, recv := payload(s, tr.direction == DirectionEgress)
		tr.dSent, tr.dRecv = delta(sent, tr.sent), delta(recv, tr.recv)
		tr.dSegsOut, tr.dSegsIn = delta(uint64(s.SegsOut), tr.segsOut), delta(uint64(s.SegsIn), tr.segsIn)
		tr.sent, tr.recv = max(sent, tr.sent), max(recv, tr.recv)
		tr.segsOut, tr.segsIn = max(uint64(s.SegsOut), tr.segsOut), max(uint64(s.SegsIn), tr.segsIn)
		isNew := !ok && !first
		tr.last = *s
		if !t.settings.Flows || tr.direction == DirectionListening || !s.HasCounters && !isNew {
			continue
		}
		if tr.dSent == 0 && tr.dRecv == 0 && !isNew {
			continue
		}
		tr.countConn = isNew
		counted = append(counted, tr)
		if !tr.owner.Known() && s.Inode != 0 {
			if _, asked := want[s.Inode]; !asked {
				want[s.Inode] = &Process{}
			}
		}
	}
	t.finder.find(want)
	owner := func(tr *tracked) {
		if p, ok := want[tr.last.Inode]; ok && p.Known() && !tr.owner.Known() {
			tr.owner = *p
		}
	}
	for _, tr := range fresh {
		owner(tr)
		if !tr.baseline {
			t.report(tr, now, emit)
		}
	}
	for _, tr := range counted {
		owner(tr)
		t.count(tr)
	}
	// Sockets gone since the last poll.
	for cookie, tr := range t.known {
		if tr.gen == t.gen {
			continue
		}
		delete(t.known, cookie)
		if tr.direction == DirectionListening && !t.filter.Ignores(netip.Addr{}, tr.port) {
			emit.Emit(t.info.ConnectionEvent(Name, t.hostID, Connection{
				Action: ActionListenStopped, At: now, Owner: tr.owner, Transport: tr.last.Transport(),
				Direction: DirectionListening, Local: tr.last.Local,
			}))
		}
	}
}

// payload returns the payload bytes a TCP socket sent (and had
// acknowledged) and received: tcp_info counts sequence space, in which the
// SYN of an active open and a FIN take one byte each.
func payload(s *Socket, activeOpen bool) (sent, recv uint64) {
	sent, recv = s.BytesSent, s.BytesReceived
	if activeOpen && s.State != tcpSynSent && sent > 0 {
		sent-- // our SYN, acknowledged
	}
	if s.State == tcpFinWait2 && sent > 0 {
		sent-- // our FIN, acknowledged
	}
	switch s.State {
	case tcpCloseWait, tcpLastAck, tcpClosing:
		if recv > 0 {
			recv-- // the peer's FIN
		}
	}
	return sent, recv
}

// delta returns cur-prev, or 0 when a counter went backwards.
func delta(cur, prev uint64) uint64 {
	if cur < prev {
		return 0
	}
	return cur - prev
}

// classify sets the direction and service port of a newly seen socket.
func (t *tracker) classify(tr *tracked, s *Socket) {
	switch {
	case s.Listening():
		tr.direction, tr.port = DirectionListening, s.Local.Port()
	case s.Proto == protoTCP && (t.listenPorts[s.Local.Port()] || t.prevListenPorts[s.Local.Port()]):
		tr.direction, tr.port = DirectionIngress, s.Local.Port()
	default:
		tr.direction, tr.port = DirectionEgress, s.Remote.Port()
	}
}

// report emits the event of a socket first seen in this poll.
func (t *tracker) report(tr *tracked, now time.Time, emit plugin.Emitter) {
	s := &tr.last
	if t.filter.Ignores(s.Remote.Addr(), s.Local.Port(), s.Remote.Port()) {
		return
	}
	c := Connection{At: now, Owner: tr.owner, Transport: s.Transport(), Direction: tr.direction, Local: s.Local, Remote: s.Remote}
	switch {
	case tr.direction == DirectionListening:
		c.Action, c.Remote = ActionListenStarted, netip.AddrPort{}
	case s.Proto == protoUDP:
		k := peerKey{pid: tr.owner.PID, startTicks: tr.owner.StartTicks, peer: s.Remote}
		if !tr.owner.Known() || !t.peers.add(k) {
			return
		}
		c.Action = ActionUDPPeer
	case tr.direction == DirectionIngress:
		c.Action, c.Outcome = ActionConnectionAccepted, "success"
	default:
		c.Action = ActionConnectionAttempted
		if s.State != tcpSynSent {
			c.Outcome = "success"
		}
	}
	emit.Emit(t.info.ConnectionEvent(Name, t.hostID, c))
}

// count adds the deltas of this poll to tr's flow.
func (t *tracker) count(tr *tracked) {
	k := flowKey{pid: tr.owner.PID, startTicks: tr.owner.StartTicks, remote: tr.last.Remote.Addr().Unmap(),
		port: tr.port, proto: tr.last.Proto, direction: tr.direction}
	f := t.flows[k]
	if f == nil {
		f = &flowTotals{owner: tr.owner}
		t.flows[k] = f
	}
	f.sent += tr.dSent
	f.recv += tr.dRecv
	f.segsOut += tr.dSegsOut
	f.segsIn += tr.dSegsIn
	if tr.countConn {
		f.conns++
	}
}

// flushFlows emits the flows of the interval that ends at now and starts
// the next one.
func (t *tracker) flushFlows(now time.Time, emit plugin.Emitter) {
	for k, f := range t.flows {
		if (f.sent == 0 && f.recv == 0 && f.conns == 0) || t.filter.Ignores(k.remote, k.port) {
			continue
		}
		transport := "tcp"
		if k.proto == protoUDP {
			transport = "udp"
		}
		emit.Emit(t.info.FlowEvent(Name, t.hostID, Flow{
			Owner: f.owner, Transport: transport, Direction: k.direction, Remote: k.remote, Port: k.port,
			Sent: f.sent, Received: f.recv, PacketsSent: f.segsOut, PacketsReceived: f.segsIn,
			HasBytes: k.proto == protoTCP, HasPackets: k.proto == protoTCP, Connections: f.conns, Start: t.flowStart, End: now,
		}))
	}
	clear(t.flows)
	t.flowStart = now
}

// boundedSet is a set of at most max keys; the oldest is dropped to make
// room.
type boundedSet[K comparable] struct {
	max   int
	keys  map[K]struct{}
	order []K
	next  int
}

func newBoundedSet[K comparable](max int) *boundedSet[K] {
	return &boundedSet[K]{max: max, keys: make(map[K]struct{}, max)}
}

// add adds k and reports whether it was new.
func (b *boundedSet[K]) add(k K) bool {
	if _, ok := b.keys[k]; ok {
		return false
	}
	if len(b.order) < b.max {
		b.order = append(b.order, k)
	} else {
		delete(b.keys, b.order[b.next])
		b.order[b.next] = k
		b.next = (b.next + 1) % b.max
	}
	b.keys[k] = struct{}{}
	return true
}
