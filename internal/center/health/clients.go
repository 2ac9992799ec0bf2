package health

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
)

// clientEvent is a connect or disconnect event of a client.
type clientEvent struct {
	connect bool
	client  natsserver.ClientInfo
	server  string
	at      time.Time
	reason  string
}

// decodeClientEvent decodes a $SYS.ACCOUNT.<account>.CONNECT or
// .DISCONNECT message.
func decodeClientEvent(msg *nats.Msg) (clientEvent, bool) {
	var ev clientEvent
	switch {
	case strings.HasSuffix(msg.Subject, ".CONNECT"):
		var m natsserver.ConnectEventMsg
		if json.Unmarshal(msg.Data, &m) != nil {
			return ev, false
		}
		ev = clientEvent{connect: true, client: m.Client, server: m.Server.ID, at: m.Time}
	case strings.HasSuffix(msg.Subject, ".DISCONNECT"):
		var m natsserver.DisconnectEventMsg
		if json.Unmarshal(msg.Data, &m) != nil {
			return ev, false
		}
		ev = clientEvent{client: m.Client, server: m.Server.ID, at: m.Time, reason: m.Reason}
	default:
		return ev, false
	}
	return ev, true
}

// clientAgent returns the agent id a client authenticated as: the name in
// its user JWT (whose subject must be the client's user key), or, for a
// server with plain users, the user name. The connection name a client
// picks is not used: any client can choose any name.
func clientAgent(ci natsserver.ClientInfo) (string, bool) {
	id := ci.User
	if ci.Jwt != "" {
		uc, err := jwt.DecodeUserClaims(ci.Jwt)
		if err != nil || uc.Subject != ci.User {
			return "", false
		}
		id = uc.Name
	}
	return id, bus.ValidAgentID(id)
}

// onClientEvent handles a connect or disconnect of a client of the
// agents' account; clients that are not agents are ignored.
func (s *Service) onClientEvent(ctx context.Context, msg *nats.Msg) {
	ev, ok := decodeClientEvent(msg)
	if !ok {
		s.stats.malformed(ReasonClientEvent)
		return
	}
	id, ok := clientAgent(ev.client)
	if !ok {
		return
	}
	if known, err := s.known(ctx, id); err != nil || !known {
		return
	}
	now := time.Now()
	key := ev.server + "/" + strconv.FormatUint(ev.client.ID, 10)
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	st, ok := s.reg.agents[id]
	if !ok {
		return
	}
	if st.userKey != ev.client.User {
		s.log.Warn("health: client named after an agent with another user key", "agent", id, "user", ev.client.User)
		return
	}
	if ev.connect {
		s.stats.add(func(st *Stats) { st.ConnectsTotal++ })
		st.conns[key] = ev.client.Host
		st.heard, st.seenDirty, st.loss = now, true, nil
		// A connect the server reported before the last goodbye is the
		// connection that said it, seen late.
		if st.status != store.StatusOnline && (st.goodbyeAt.IsZero() || ev.at.After(st.goodbyeAt)) {
			s.change(st, store.StatusOnline, "connected from "+ev.client.Host, now, nil)
		}
		return
	}
	s.stats.add(func(st *Stats) { st.DisconnectsTotal++ })
	delete(st.conns, key)
	if len(st.conns) > 0 || st.status != store.StatusOnline {
		return
	}
	reason := "disconnected without goodbye: " + orDefault(ev.reason, "connection closed")
	if ev.client.Host != "" {
		reason += " (from " + ev.client.Host + ")"
	}
	loss := &pendingLoss{at: now, reason: reason}
	st.loss = loss
	time.AfterFunc(s.cfg.Grace, func() { s.confirmLoss(id, loss) })
}

// confirmLoss marks an agent lost once the grace after its disconnect has
// passed without a goodbye or a new connection.
func (s *Service) confirmLoss(id string, loss *pendingLoss) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	st, ok := s.reg.agents[id]
	if !ok || st.loss != loss {
		return
	}
	st.loss = nil
	if st.status == store.StatusOnline && len(st.conns) == 0 {
		s.change(st, store.StatusLost, loss.reason, loss.at, nil)
	}
}
