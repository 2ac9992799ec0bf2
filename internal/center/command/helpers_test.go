package command

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// env is a bus server, a store and the center's connection.
type env struct {
	t      *testing.T
	url    string
	center *nats.Conn
	store  store.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	e := &env{t: t, url: ns.ClientURL()}
	e.center = e.connect(nats.CustomInboxPrefix(bus.CenterInboxPrefix))
	e.store, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.store.Close() })
	return e
}

func (e *env) connect(opts ...nats.Option) *nats.Conn {
	e.t.Helper()
	nc, err := nats.Connect(e.url, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(nc.Close)
	return nc
}

// agent creates an agent in the store.
func (e *env) agent(id, hostname string, labels map[string]string) {
	e.t.Helper()
	if err := e.store.Agents().Create(e.t.Context(), store.Agent{ID: id, Hostname: hostname, Labels: labels, UserKey: "U" + id}); err != nil {
		e.t.Fatal(err)
	}
}

// answer runs an agent on its own connection that answers each genuine
// command with reply(cmd); a nil reply means no answer at all.
func (e *env) answer(id string, reply func(*busv1.Command) *busv1.CommandReply) {
	e.t.Helper()
	nc := e.connect(nats.CustomInboxPrefix(bus.InboxPrefix(id)))
	_, err := nc.Subscribe(bus.CommandSubject(id), func(m *nats.Msg) {
		if !client.IsCommand(m, id) {
			e.t.Errorf("agent %s: %q with reply %q is not a genuine command", id, m.Subject, m.Reply)
			return
		}
		cmd := &busv1.Command{}
		if err := proto.Unmarshal(m.Data, cmd); err != nil {
			e.t.Errorf("agent %s: %v", id, err)
			return
		}
		r := reply(cmd)
		if r == nil {
			return
		}
		data, _ := proto.Marshal(r)
		_ = m.Respond(data)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		e.t.Fatal(err)
	}
}

// ok answers every command with its name and args as output.
func ok(id string) func(*busv1.Command) *busv1.CommandReply {
	return func(c *busv1.Command) *busv1.CommandReply {
		out := fmt.Sprintf(`{"command":%q,"issued_by":%q,"args":%d}`, c.Name, c.IssuedBy, len(c.Args))
		return &busv1.CommandReply{CommandId: c.Id, AgentId: id, Ok: true, Output: []byte(out)}
	}
}
