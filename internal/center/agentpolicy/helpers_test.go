package agentpolicy

import (
	"path/filepath"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// newBucket starts a NATS server with JetStream on loopback and returns the
// policy bucket, configured as the center's bus server makes it.
func newBucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true, DisableJetStreamBanner: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateOrUpdateKeyValue(t.Context(), jetstream.KeyValueConfig{
		Bucket: bus.PolicyBucket, History: 1, Storage: jetstream.FileStorage,
	})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// newStore opens a SQLite store in a temporary directory.
func newStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// addAgent creates an agent with labels.
func addAgent(t *testing.T, st store.Store, id string, labels map[string]string) store.Agent {
	t.Helper()
	a := store.Agent{ID: id, Hostname: "host-" + id, Labels: labels, UserKey: "U" + id}
	if err := st.Agents().Create(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// putPolicy stores a policy.
func putPolicy(t *testing.T, st store.Store, name string, prio int, selector map[string]string, spec string) store.AgentPolicy {
	t.Helper()
	p, err := st.AgentPolicies().Put(t.Context(), store.AgentPolicy{
		Name: name, Priority: prio, Selector: selector, Spec: []byte(spec), UpdatedBy: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
