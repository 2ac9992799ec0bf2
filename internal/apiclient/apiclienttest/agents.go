package apiclienttest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/client"
)

// connectWait bounds the wait for a simulated agent's connection.
const connectWait = 10 * time.Second

// userKey returns the NKEY user key pair of an agent, derived from its id
// so that stored agents and expected output need no random key.
func userKey(id string) (nkeys.KeyPair, error) {
	raw := sha256.Sum256([]byte("vigil test agent " + id))
	seed, err := nkeys.EncodeSeed(nkeys.PrefixByteUser, raw[:])
	if err != nil {
		return nil, err
	}
	return nkeys.FromSeed(seed)
}

// UserKey is the public user key of the agent with this id: store it as
// store.Agent.UserKey for an agent that ConnectAgent connects, so that
// deleting the agent revokes the credentials it is connected with.
func UserKey(id string) string {
	kp, err := userKey(id)
	if err != nil {
		panic("agent key: " + err.Error()) // a 32-byte seed always encodes
	}
	pub, _ := kp.PublicKey()
	return pub
}

// Answer is how a simulated agent replies to a command; a nil reply means
// no answer at all (the command times out).
type Answer func(cmd *busv1.Command) *busv1.CommandReply

// Echo answers every command ok with a JSON document naming the command,
// who issued it and its arguments.
func Echo(agentID string) Answer {
	return func(cmd *busv1.Command) *busv1.CommandReply {
		out, _ := json.Marshal(struct {
			Command  string            `json:"command"`
			IssuedBy string            `json:"issued_by"`
			Args     map[string]string `json:"args,omitempty"`
		}{cmd.GetName(), cmd.GetIssuedBy(), cmd.GetArgs()})
		return &busv1.CommandReply{CommandId: cmd.GetId(), AgentId: agentID, Ok: true, Output: out}
	}
}

// ConnectAgent connects a simulated agent to the bus with credentials the
// bus issued for UserKey(id), as an enrolled agent holds them, and answers
// the commands it receives with answer until the test ends. It returns the
// connection once the agent's subscription is in place.
func (e *Env) ConnectAgent(id string, answer Answer) *nats.Conn {
	e.tb.Helper()
	kp, err := userKey(id)
	if err != nil {
		e.tb.Fatalf("agent %s key: %v", id, err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	jwt, err := e.Bus.Server.IssueAgent(id, pub)
	if err != nil {
		e.tb.Fatalf("issue credentials for agent %s: %v", id, err)
	}
	ident := bus.Identity{
		AgentID: id, CenterURL: e.URL, NATSURLs: []string{e.Bus.Server.ClientURL()},
		UserJWT: jwt, UserSeed: string(seed), CAPEM: string(e.Bus.CA.PEM()),
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectWait)
	defer cancel()
	nc, err := client.Connect(ctx, ident, client.Options{})
	if err != nil {
		e.tb.Fatalf("connect agent %s: %v", id, err)
	}
	e.tb.Cleanup(nc.Close)
	_, err = nc.Subscribe(bus.CommandSubject(id), func(m *nats.Msg) {
		if !client.IsCommand(m, id) {
			return
		}
		cmd := &busv1.Command{}
		if err := proto.Unmarshal(m.Data, cmd); err != nil {
			return
		}
		reply := answer(cmd)
		if reply == nil {
			return
		}
		if data, err := proto.Marshal(reply); err == nil {
			_ = m.Respond(data)
		}
	})
	if err != nil {
		e.tb.Fatalf("agent %s: subscribe to commands: %v", id, err)
	}
	for !nc.IsConnected() {
		if ctx.Err() != nil {
			e.tb.Fatalf("agent %s: not connected within %s", id, connectWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := nc.FlushWithContext(ctx); err != nil {
		e.tb.Fatalf("agent %s: flush: %v", id, err)
	}
	return nc
}
