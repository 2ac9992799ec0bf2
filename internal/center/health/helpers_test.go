package health

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

const password = "s3cret-for-tests"

// env is a NATS server with the agents' account and the system account,
// a SQLite store and a running health service.
type env struct {
	t        *testing.T
	url      string
	store    store.Store
	svc      *Service
	center   *nats.Conn
	agentIDs []string
}

// newEnv starts a server with users center (VIGIL), sys (SYS) and one per
// agent id, creates the agents as stopped, and runs the service.
func newEnv(t *testing.T, cfg Config, agentIDs ...string) *env {
	t.Helper()
	return newEnvWith(t, cfg, store.StatusStopped, agentIDs...)
}

// newEnvWith is newEnv with the agents stored in the given status.
func newEnvWith(t *testing.T, cfg Config, status store.AgentStatus, agentIDs ...string) *env {
	t.Helper()
	vigil, sys := natsserver.NewAccount(bus.Account), natsserver.NewAccount(bus.SystemAccount)
	users := []*natsserver.User{
		{Username: "center", Password: password, Account: vigil},
		{Username: "sys", Password: password, Account: sys},
	}
	for _, id := range agentIDs {
		users = append(users, &natsserver.User{Username: id, Password: password, Account: vigil,
			Permissions: &natsserver.Permissions{
				Publish:   &natsserver.SubjectPermission{Allow: []string{bus.AgentPrefix(id) + ".>"}},
				Subscribe: &natsserver.SubjectPermission{Allow: []string{bus.InboxPrefix(id) + ".>"}},
			}})
	}
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		Accounts: []*natsserver.Account{vigil, sys}, SystemAccount: bus.SystemAccount, Users: users,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	e := &env{t: t, url: ns.ClientURL(), agentIDs: agentIDs}
	e.center = e.connect("center")
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e.store = st
	for _, id := range agentIDs {
		a := store.Agent{ID: id, Hostname: "host-" + id, Status: status, UserKey: id}
		if err := st.Agents().Create(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Store, cfg.Conn, cfg.SysConn = st, e.center, e.connect("sys")
	e.svc = New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	// Run has subscribed once a goodbye is answered; those that find no
	// subscriber reach nobody.
	e.eventually("service subscribed", func() bool {
		_, err := e.center.Request(bus.GoodbyeSubject("nobody"), nil, time.Second)
		return err == nil
	})
	return e
}

func (e *env) connect(user string, opts ...nats.Option) *nats.Conn {
	e.t.Helper()
	nc, err := nats.Connect(e.url, append([]nats.Option{nats.UserInfo(user, password)}, opts...)...)
	if err != nil {
		e.t.Fatalf("connect as %s: %v", user, err)
	}
	e.t.Cleanup(nc.Close)
	return nc
}

// agent is a client acting as one agent.
type agent struct {
	e   *env
	id  string
	nc  *nats.Conn
	mu  sync.Mutex
	raw net.Conn
	seq uint64
}

// agent connects as agent id, without reconnects, keeping hold of its
// socket so that a test can cut it.
func (e *env) agent(id string) *agent {
	a := &agent{e: e, id: id}
	dialer := &recordingDialer{keep: func(c net.Conn) { a.mu.Lock(); a.raw = c; a.mu.Unlock() }}
	a.nc = e.connect(id, nats.SetCustomDialer(dialer), nats.NoReconnect(), nats.Name(id),
		nats.CustomInboxPrefix(bus.InboxPrefix(id)))
	return a
}

// heartbeat publishes a heartbeat with the given parts set.
func (a *agent) heartbeat(change func(*busv1.Heartbeat)) {
	a.e.t.Helper()
	a.seq++
	hb := &busv1.Heartbeat{AgentId: a.id, Seq: a.seq, SentAtUnixNano: time.Now().UnixNano(),
		Stats: &busv1.AgentStats{CpuPercent: 1.5, RssBytes: 40 << 20}}
	if change != nil {
		change(hb)
	}
	data, _ := proto.Marshal(hb)
	if err := a.nc.Publish(bus.HeartbeatSubject(a.id), data); err != nil {
		a.e.t.Fatal(err)
	}
	if err := a.nc.Flush(); err != nil {
		a.e.t.Fatal(err)
	}
}

// goodbye sends a goodbye on nc and returns the reply's error header.
func goodbye(t *testing.T, nc *nats.Conn, gb *busv1.Goodbye) string {
	t.Helper()
	data, _ := proto.Marshal(gb)
	reply, err := nc.Request(bus.GoodbyeSubject(gb.AgentId), data, 5*time.Second)
	if err != nil {
		t.Fatalf("goodbye: %v", err)
	}
	return reply.Header.Get(ErrorHeader)
}

// kill cuts the agent's socket with a reset, as when its process dies.
func (a *agent) kill() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if tcp, ok := a.raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = a.raw.Close()
}

// recordingDialer dials TCP and hands each connection to keep.
type recordingDialer struct {
	keep func(net.Conn)
}

func (d *recordingDialer) Dial(network, address string) (net.Conn, error) {
	c, err := net.Dial(network, address)
	if err == nil {
		d.keep(c)
	}
	return c, err
}

// agentRec reads an agent from the store.
func (e *env) agentRec(id string) store.Agent {
	e.t.Helper()
	a, err := e.store.Agents().Get(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// waitStatus waits until the store holds status for agent id.
func (e *env) waitStatus(id string, status store.AgentStatus) store.Agent {
	e.t.Helper()
	e.eventually("agent "+id+" "+string(status), func() bool { return e.agentRec(id).Status == status })
	return e.agentRec(id)
}

// alerts lists the alerts of an agent.
func (e *env) alerts(id string) []store.Alert {
	e.t.Helper()
	list, _, err := e.store.Alerts().List(context.Background(), store.AlertFilter{AgentID: id})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
