package bus

import (
	"fmt"
	"strings"
)

// Subjects and names on the bus. Every subject an agent may publish starts
// with AgentPrefix(id); every subject it may subscribe to is its command
// subject, its own inbox prefix or its own policy key.
const (
	// EventsStream is the JetStream stream that receives event batches.
	EventsStream = "EVENTS"
	// IngestConsumer is the center's durable pull consumer on EventsStream.
	IngestConsumer = "ingest"
	// PolicyBucket is the JetStream key-value bucket holding agent policies.
	PolicyBucket = "vigil_policy"
	// Account is the NATS account agents and the center live in.
	Account = "VIGIL"
	// ErrorHeader is set on a reply the center could not act on (for
	// example a goodbye it failed to record); its value says why.
	ErrorHeader = "Vigil-Error"
	// SystemAccount is the NATS system account.
	SystemAccount = "SYS"
)

// AgentPrefix is the start of every subject agent id may publish on; id must pass ValidAgentID.
func AgentPrefix(id string) string { return "vigil.agent." + id }

// HeartbeatSubject carries busv1.Heartbeat from agent id.
func HeartbeatSubject(id string) string { return AgentPrefix(id) + ".heartbeat" }

// GoodbyeSubject carries busv1.Goodbye requests from agent id.
func GoodbyeSubject(id string) string { return AgentPrefix(id) + ".goodbye" }

// EventsSubject carries busv1.EventBatch from agent id into EventsStream.
func EventsSubject(id string) string { return AgentPrefix(id) + ".events" }

// InventorySubject carries busv1.InventoryRequest requests from agent id,
// answered by busv1.InventoryReply.
func InventorySubject(id string) string { return AgentPrefix(id) + ".inventory" }

// CommandSubject carries busv1.Command requests to agent id.
func CommandSubject(id string) string { return "vigil.cmd." + id }

// InboxPrefix is agent id's own reply-inbox prefix.
func InboxPrefix(id string) string { return "_INBOX." + id }

// PolicyKey is agent id's key in PolicyBucket.
func PolicyKey(id string) string { return "agent." + id }

// Wildcards the center subscribes to.
const (
	AllHeartbeats = "vigil.agent.*.heartbeat"
	AllGoodbyes   = "vigil.agent.*.goodbye"
	AllEvents     = "vigil.agent.*.events"
	AllInventory  = "vigil.agent.*.inventory"
)

// AgentIDFromSubject returns the agent id of a vigil.agent.<id>.<kind> subject.
func AgentIDFromSubject(subject string) (string, error) {
	parts := strings.Split(subject, ".")
	if len(parts) != 4 || parts[0] != "vigil" || parts[1] != "agent" || !ValidAgentID(parts[2]) {
		return "", fmt.Errorf("not an agent subject: %q", subject)
	}
	return parts[2], nil
}

// ValidAgentID reports whether id can be used in subjects: 1 to 64
// characters of [a-zA-Z0-9_-] (no dots, no wildcards).
func ValidAgentID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
