package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// flushTimeout bounds the wait for the server to confirm a subscription.
const flushTimeout = 5 * time.Second

// ClientEventKind says whether a client connected or disconnected.
type ClientEventKind int

// Kinds of client events.
const (
	Connect ClientEventKind = iota + 1
	Disconnect
)

// String returns "connect" or "disconnect".
func (k ClientEventKind) String() string {
	switch k {
	case Connect:
		return "connect"
	case Disconnect:
		return "disconnect"
	}
	return fmt.Sprintf("ClientEventKind(%d)", int(k))
}

// ClientEvent is a connection of the VIGIL account opening or closing.
type ClientEvent struct {
	Kind ClientEventKind
	// AgentID is the name in the user JWT the client authenticated with,
	// which the center signed: the agent's id. The connection name the
	// client chose is in ConnName and is not to be trusted.
	AgentID  string
	ConnName string
	UserKey  string
	// Reason says why a connection closed ("Client Closed", "Stale
	// Connection", "Authentication Revoked" ...); empty for Connect.
	Reason string
	At     time.Time
	// RemoteAddr is the client's IP address as the server saw it.
	RemoteAddr string
}

// WatchClients calls fn for each connect and disconnect of a client in the
// VIGIL account, other than the center's own connections, in the order the
// server reports them, from one goroutine; fn should return quickly (a
// backlog beyond 64 MiB is dropped and reported to the logger as a slow
// consumer). It returns once the subscription
// is in place; events flow until ctx is done. A client killed or cut off
// is reported within about PingInterval*(MaxPingsOut+1) when its socket
// stays silent, at once when the socket closes.
func (s *Server) WatchClients(ctx context.Context, fn func(ClientEvent)) error {
	prefix := "$SYS.ACCOUNT." + s.keys.vigil.pub + "."
	sub, err := s.sys.Subscribe(prefix+"*", func(m *nats.Msg) {
		ev, ok := s.decodeClientEvent(strings.TrimPrefix(m.Subject, prefix), m.Data)
		if ok {
			fn(ev)
		}
	})
	if err != nil {
		return fmt.Errorf("watch clients: %w", err)
	}
	if err := sub.SetPendingLimits(-1, 64<<20); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("watch clients: %w", err)
	}
	flushCtx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	if err := s.sys.FlushWithContext(flushCtx); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("watch clients: %w", err)
	}
	context.AfterFunc(ctx, func() { _ = sub.Unsubscribe() })
	return nil
}

// decodeClientEvent turns a CONNECT or DISCONNECT system event into a
// ClientEvent; other events and the center's own connections are skipped.
func (s *Server) decodeClientEvent(kind string, data []byte) (ClientEvent, bool) {
	var ev ClientEvent
	var ci natsserver.ClientInfo
	switch kind {
	case "CONNECT":
		var m natsserver.ConnectEventMsg
		if err := json.Unmarshal(data, &m); err != nil {
			s.log.Warn("bad connect event", "err", err)
			return ev, false
		}
		ev.Kind, ev.At, ci = Connect, m.Time, m.Client
	case "DISCONNECT":
		var m natsserver.DisconnectEventMsg
		if err := json.Unmarshal(data, &m); err != nil {
			s.log.Warn("bad disconnect event", "err", err)
			return ev, false
		}
		ev.Kind, ev.At, ev.Reason, ci = Disconnect, m.Time, m.Reason, m.Client
	default:
		return ev, false
	}
	if s.internal[ci.User] {
		return ev, false
	}
	ev.AgentID, ev.ConnName, ev.UserKey, ev.RemoteAddr = s.agentID(ci), ci.Name, ci.User, ci.Host
	return ev, true
}

// agentID returns the name in the user JWT the client authenticated with,
// when that JWT was issued by the VIGIL signing key for the client's key.
func (s *Server) agentID(ci natsserver.ClientInfo) string {
	if ci.Jwt == "" {
		return ""
	}
	uc, err := jwt.DecodeUserClaims(ci.Jwt)
	if err != nil || uc.Subject != ci.User || uc.Issuer != s.keys.signing.pub {
		return ""
	}
	return uc.Name
}
