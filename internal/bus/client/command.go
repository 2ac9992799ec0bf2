package client

import (
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/bus"
)

// IsCommand reports whether m, received on the agent's command
// subscription, is a genuine command: a request on bus.CommandSubject(id)
// whose reply subject is in the center's inbox, without a NATS status
// header. Any agent may create a JetStream consumer on its own policy key
// and name another agent's command subject as its delivery subject; what
// that delivers (its own policy entries under their $KV subject, idle
// heartbeats with a status header and no reply) fails this check and must
// be dropped.
func IsCommand(m *nats.Msg, agentID string) bool {
	if m == nil || m.Subject != bus.CommandSubject(agentID) {
		return false
	}
	if !strings.HasPrefix(m.Reply, bus.CenterInboxPrefix+".") {
		return false
	}
	return m.Header.Get("Status") == ""
}
