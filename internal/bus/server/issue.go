package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/bus"
)

// Errors IssueAgent and Revoke return.
var (
	ErrInvalidAgentID = errors.New("invalid agent id")
	ErrInvalidUserKey = errors.New("not an NKEY user public key")
	ErrRevoked        = errors.New("user key is revoked")
)

// replyTTL bounds how long after a request an agent may still answer it.
const replyTTL = 10 * time.Minute

// kvStream is the stream behind the policy bucket, and kvPrefix the subject
// prefix of its keys.
const (
	kvStream = "KV_" + bus.PolicyBucket
	kvPrefix = "$KV." + bus.PolicyBucket + "."
)

// IssueAgent returns a user JWT named agentID for the agent's user public
// key, signed by the VIGIL account's signing key, with the permissions
// AgentPermissions describes. A revoked key gets nothing.
func (s *Server) IssueAgent(agentID, userPublicKey string) (string, error) {
	if !bus.ValidAgentID(agentID) {
		return "", fmt.Errorf("issue credentials: %w: %q", ErrInvalidAgentID, agentID)
	}
	if !nkeys.IsValidPublicUserKey(userPublicKey) {
		return "", fmt.Errorf("issue credentials for %s: %w", agentID, ErrInvalidUserKey)
	}
	s.mu.Lock()
	_, revoked := s.revoked[userPublicKey]
	s.mu.Unlock()
	if revoked {
		return "", fmt.Errorf("issue credentials for %s: %w", agentID, ErrRevoked)
	}
	uc := jwt.NewUserClaims(userPublicKey)
	uc.Name = agentID
	uc.IssuerAccount = s.keys.vigil.pub
	uc.Permissions = AgentPermissions(agentID)
	uc.AllowedConnectionTypes.Add(jwt.ConnectionTypeStandard)
	tok, err := uc.Encode(s.keys.signing.kp)
	if err != nil {
		return "", fmt.Errorf("sign credentials for %s: %w", agentID, err)
	}
	return tok, nil
}

// AgentPermissions returns what agent id may do on the bus:
//
//   - publish under bus.AgentPrefix(id) (heartbeats, goodbyes, events,
//     inventory requests; a
//     JetStream publish there gets its acknowledgement on the agent's inbox);
//   - read the policy bucket's stream info, create an ordered consumer
//     filtered to its own key bus.PolicyKey(id), delete consumers of the
//     bucket by name (the ordered consumer drops its previous one when it
//     resets; names are random and cannot be listed) and direct-get its own
//     key: exactly what the jetstream package's KeyValue, Get and Watch use;
//   - subscribe to its command subject and to its own inbox prefix;
//   - answer each message it received with a reply subject once, within
//     replyTTL: command replies and JetStream flow-control replies.
func AgentPermissions(id string) jwt.Permissions {
	var p jwt.Permissions
	ownKey := kvPrefix + bus.PolicyKey(id)
	p.Pub.Allow.Add(
		bus.AgentPrefix(id)+".>",
		"$JS.API.STREAM.INFO."+kvStream,
		"$JS.API.CONSUMER.CREATE."+kvStream+".*."+ownKey,
		"$JS.API.CONSUMER.DELETE."+kvStream+".*",
		"$JS.API.DIRECT.GET."+kvStream+"."+ownKey,
	)
	p.Sub.Allow.Add(bus.CommandSubject(id), bus.InboxPrefix(id)+".>")
	p.Resp = &jwt.ResponsePermission{MaxMsgs: 1, Expires: replyTTL}
	return p
}
