package sockdiag

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// Actions of the network events (event.action).
const (
	ActionConnectionAttempted = "connection-attempted"
	ActionConnectionAccepted  = "connection-accepted"
	ActionListenStarted       = "listen-started"
	ActionListenStopped       = "listen-stopped"
	ActionUDPPeer             = "udp-peer"
	ActionDNSQuery            = "dns-query"
	ActionDNSAnswer           = "dns-answer"
	ActionFlow                = "flow"
)

// Directions (network.direction).
const (
	DirectionEgress    = "egress"
	DirectionIngress   = "ingress"
	DirectionListening = "listening"
	DirectionUnknown   = "unknown"
)

// Connection is one network event about a socket: a connection made or
// accepted, a listener opened or closed, a UDP datagram to a new peer.
type Connection struct {
	// Action is one of the Action constants but ActionFlow.
	Action string
	// At is when the kernel saw it, or when a poll first saw it.
	At        time.Time
	Owner     Process
	Transport string // "tcp" or "udp"
	// Direction is egress for connection-attempted and udp-peer, ingress
	// for connection-accepted, listening for the listen events.
	Direction string
	// Local and Remote are the socket's addresses; Remote is unset for a
	// listener.
	Local, Remote netip.AddrPort
	// Outcome is event.outcome ("success", "failure"), empty when unknown.
	Outcome string
}

// ConnectionEvent returns the event of c, with event.dataset dataset.
func (c *ProcessInfo) ConnectionEvent(dataset, hostID string, conn Connection) event.Event {
	e := event.New("", conn.At, "network", conn.Action)
	ev := e["event"].(map[string]any)
	ev["kind"] = "event"
	ev["dataset"] = dataset
	types := []string{"connection", "start"}
	switch conn.Action {
	case ActionListenStarted:
		types = []string{"start"}
	case ActionListenStopped:
		types = []string{"end"}
	}
	ev["type"] = types
	if conn.Outcome != "" {
		ev["outcome"] = conn.Outcome
	}
	e["network"] = map[string]any{
		"transport": conn.Transport,
		"type":      ipType(conn.Local.Addr(), conn.Remote.Addr()),
		"direction": conn.Direction,
	}
	local, remote := unmap(conn.Local), unmap(conn.Remote)
	src, dst := local, remote
	if conn.Direction == DirectionIngress {
		src, dst = remote, local
	}
	setEndpoint(e, "source", src)
	setEndpoint(e, "destination", dst)
	c.SetProcess(e, hostID, conn.Owner)
	who := conn.Owner.label()
	var msg string
	switch conn.Action {
	case ActionConnectionAttempted:
		msg = who + " connected to " + remote.String() + " over " + conn.Transport
	case ActionConnectionAccepted:
		msg = fmt.Sprintf("%s accepted a %s connection from %s on port %d", who, conn.Transport, remote, local.Port())
	case ActionListenStarted:
		msg = who + " listens on " + local.String() + "/" + conn.Transport
	case ActionListenStopped:
		msg = who + " stopped listening on " + local.String() + "/" + conn.Transport
	case ActionUDPPeer:
		msg = who + " sent UDP to a new peer " + remote.String()
	default:
		msg = fmt.Sprintf("%s: %s %s %s", who, conn.Action, conn.Transport, remote)
	}
	e[event.FieldMessage] = msg
	return e
}

// Flow is the traffic of one process with one peer on one service port
// in one interval.
type Flow struct {
	Owner     Process
	Transport string
	// Direction is egress when the process connected out (Port is the
	// remote port), ingress when the peer connected in (Port is the local
	// port), unknown when the sensor did not see how the socket began.
	Direction string
	Remote    netip.Addr
	Port      uint16
	// Sent and Received are payload bytes the process sent to and
	// received from the peer, set when HasBytes; the packet counts are
	// set when HasPackets.
	Sent, Received               uint64
	HasBytes                     bool
	PacketsSent, PacketsReceived uint64
	HasPackets                   bool
	// Connections is the number of connections that began in the
	// interval.
	Connections uint64
	Start, End  time.Time
}

// FlowEvent returns the flow record of f, an event of kind metric.
// source is the side that began the connection: the process for egress,
// the peer for ingress.
func (c *ProcessInfo) FlowEvent(dataset, hostID string, f Flow) event.Event {
	e := event.New("", f.End, "network", ActionFlow)
	e.Set(event.FieldKind, "metric")
	e.Set(event.FieldDataset, dataset)
	e.Set("event.type", []string{"connection"})
	e.Set("event.start", f.Start.UTC().Format(time.RFC3339Nano))
	e.Set("event.end", f.End.UTC().Format(time.RFC3339Nano))
	e.Set("network.transport", f.Transport)
	remote := f.Remote.Unmap()
	e.Set("network.type", ipType(remote))
	e.Set("network.direction", f.Direction)
	peer, local := "destination", "source"
	if f.Direction == DirectionIngress {
		peer, local = "source", "destination"
	}
	e.Set(peer+".ip", remote.String())
	// The service port is the remote one for egress and the local one
	// for ingress: the destination's either way.
	e.Set("destination.port", int(f.Port))
	if f.HasBytes {
		e.Set(local+".bytes", f.Sent)
		e.Set(peer+".bytes", f.Received)
		e.Set("network.bytes", f.Sent+f.Received)
	}
	if f.HasPackets {
		e.Set(local+".packets", f.PacketsSent)
		e.Set(peer+".packets", f.PacketsReceived)
		e.Set("network.packets", f.PacketsSent+f.PacketsReceived)
	}
	e.Set("vigil.flow.connections", f.Connections)
	c.SetProcess(e, hostID, f.Owner)
	traffic := "bytes not counted"
	if f.HasBytes {
		traffic = fmt.Sprintf("%d bytes sent, %d received", f.Sent, f.Received)
	}
	e.Set(event.FieldMessage, fmt.Sprintf("%s %s %s with %s port %d: %s, %d new connections",
		f.Owner.label(), f.Direction, f.Transport, remote, f.Port, traffic, f.Connections))
	return e
}

// setEndpoint sets NAME.ip and NAME.port when ap is valid.
func setEndpoint(e event.Event, name string, ap netip.AddrPort) {
	if !ap.Addr().IsValid() {
		return
	}
	m := map[string]any{"ip": ap.Addr().String()}
	if ap.Port() != 0 {
		m["port"] = int(ap.Port())
	}
	e[name] = m
}

// unmap turns an IPv4-mapped IPv6 address into IPv4.
func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// ipType returns network.type of the first valid address.
func ipType(addrs ...netip.Addr) string {
	for _, a := range addrs {
		if a.IsValid() && !a.IsUnspecified() {
			if a.Unmap().Is4() {
				return "ipv4"
			}
			return "ipv6"
		}
	}
	for _, a := range addrs {
		if a.IsValid() {
			if a.Unmap().Is4() {
				return "ipv4"
			}
			return "ipv6"
		}
	}
	return "ipv4"
}
