package health

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
)

// agentMessage checks a heartbeat or goodbye: the subject names a known
// agent and the message decodes into m with that agent's id. It returns
// the agent id, or "" after counting why the message is dropped.
func (s *Service) agentMessage(ctx context.Context, msg *nats.Msg, kind string, m interface {
	proto.Message
	GetAgentId() string
}) string {
	id, err := bus.AgentIDFromSubject(msg.Subject)
	if err != nil || !strings.HasSuffix(msg.Subject, "."+kind) {
		s.stats.malformed(ReasonSubject)
		return ""
	}
	if err := proto.Unmarshal(msg.Data, m); err != nil {
		s.stats.malformed(ReasonDecode)
		s.log.Debug("health: undecodable message", "subject", msg.Subject, "err", err)
		return ""
	}
	if m.GetAgentId() != id {
		s.stats.malformed(ReasonAgentMismatch)
		s.log.Warn("health: agent id mismatch", "subject", msg.Subject, "agent_id", m.GetAgentId())
		return ""
	}
	ok, err := s.known(ctx, id)
	if err != nil {
		s.log.Error("health: look up agent", "agent", id, "err", err)
		return ""
	}
	if !ok {
		s.stats.malformed(ReasonUnknownAgent)
		return ""
	}
	return id
}

// onHeartbeat handles one heartbeat.
func (s *Service) onHeartbeat(ctx context.Context, msg *nats.Msg) {
	hb := &busv1.Heartbeat{}
	id := s.agentMessage(ctx, msg, "heartbeat", hb)
	if id == "" {
		return
	}
	s.stats.add(func(st *Stats) { st.HeartbeatsTotal++ })
	now := time.Now()
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	st, ok := s.reg.agents[id]
	if !ok {
		return // deleted meanwhile
	}
	st.heard, st.seenDirty = now, true
	st.hb, st.stateDirty = hb, true
	if hb.GetStats() != nil {
		st.stats = hb.GetStats()
	}
	var facts *busv1.HostFacts
	if f := hb.GetFacts(); f != nil {
		if sum := checksum(f); sum != st.factsSum {
			st.factsSum, facts = sum, f
			if f.GetHostname() != "" {
				st.hostname = f.GetHostname()
			}
		}
	}
	pluginsChanged := false
	if p := hb.GetPlugins(); len(p) > 0 {
		if sum := checksum(&busv1.Heartbeat{Plugins: p}); sum != st.pluginsSum {
			st.pluginsSum, st.plugins, pluginsChanged = sum, p, true
		}
	}
	if st.status != store.StatusOnline && !st.staleAfterGoodbye(hb, now, s.cfg.Grace) {
		s.change(st, store.StatusOnline, st.onlineReason("heartbeat received"), now, nil)
	}
	if facts != nil || pluginsChanged {
		s.q.push(job{kind: jobUpdate, id: id, facts: facts, state: st.lastState(now), seen: now})
		st.stateDirty, st.stateWritten = false, now
	}
}

// staleAfterGoodbye reports whether a heartbeat was sent before the
// agent's last goodbye (and only arrived after it): it must not bring the
// agent back online.
func (st *agentState) staleAfterGoodbye(hb *busv1.Heartbeat, now time.Time, grace time.Duration) bool {
	if st.goodbyeAt.IsZero() {
		return false
	}
	if sent := hb.GetSentAtUnixNano(); sent != 0 && st.goodbyeSent != 0 {
		return sent <= st.goodbyeSent
	}
	return now.Sub(st.goodbyeAt) < grace
}

// onlineReason names where the agent is connected from, if known.
func (st *agentState) onlineReason(fallback string) string {
	for _, addr := range st.conns {
		if addr != "" {
			return "connected from " + addr
		}
	}
	return fallback
}

// lastState encodes what the agent last said about itself.
func (st *agentState) lastState(now time.Time) []byte {
	doc := map[string]any{"received_at": now.UTC().Format(time.RFC3339Nano)}
	if hb := st.hb; hb != nil {
		doc["seq"] = hb.GetSeq()
		doc["sent_at"] = time.Unix(0, hb.GetSentAtUnixNano()).UTC().Format(time.RFC3339Nano)
		doc["policy_revision"] = hb.GetPolicyRevision()
		doc["agent_version"] = hb.GetAgentVersion()
		if t := hb.GetStartedAtUnix(); t > 0 {
			doc["started_at"] = time.Unix(t, 0).UTC().Format(time.RFC3339)
		}
	}
	if st.stats != nil {
		doc["stats"] = st.stats
	}
	if len(st.plugins) > 0 {
		doc["plugins"] = st.plugins
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil
	}
	return b
}

// applyFacts copies host facts onto a stored agent; nil changes nothing.
func applyFacts(a *store.Agent, f *busv1.HostFacts) {
	if f == nil {
		return
	}
	if f.GetHostname() != "" {
		a.Hostname = f.GetHostname()
	}
	a.OS, a.Platform, a.PlatformVersion = f.GetOs(), f.GetPlatform(), f.GetPlatformVersion()
	a.Kernel, a.Arch = f.GetKernel(), f.GetArch()
	a.IPs = append([]string{}, f.GetIps()...)
	if t := f.GetBootTimeUnix(); t > 0 {
		a.BootTime = time.Unix(t, 0).UTC()
	}
	if v := f.GetAgentVersion(); v != "" {
		a.AgentVersion = v
	}
	if m := f.GetMachineId(); m != "" {
		a.MachineID = m
	}
}

// checksum hashes a message's deterministic encoding.
func checksum(m proto.Message) uint64 {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64() | 1
}
