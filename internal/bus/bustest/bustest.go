// Package bustest runs a real bus server for tests: a CA and server
// certificate in a temporary directory, the embedded NATS server on a free
// loopback port, and enrolled-agent identities issued by it.
package bustest

import (
	"context"
	"crypto/tls"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/server"
	"github.com/vigilsec/vigil/internal/pki"
)

// Center is a bus server started for a test, stopped by the test's cleanup.
type Center struct {
	// Server is the running server; it changes on Restart.
	Server *server.Server
	CA     *pki.CA
	// Dir is the server's data directory, kept across Restart.
	Dir  string
	cfg  server.Config
	port int
	tb   testing.TB
}

// Start starts a bus server on 127.0.0.1 with a fresh CA, in a temporary
// directory. change, when given, adjusts the configuration first.
func Start(tb testing.TB, change ...func(*server.Config)) *Center {
	tb.Helper()
	dir := tb.TempDir()
	ca, err := pki.EnsureCA(filepath.Join(dir, "tls"))
	if err != nil {
		tb.Fatalf("CA: %v", err)
	}
	cert, err := ca.EnsureServerCert(filepath.Join(dir, "tls"), nil)
	if err != nil {
		tb.Fatalf("server certificate: %v", err)
	}
	cfg := server.Config{
		Dir:          filepath.Join(dir, "nats"),
		Listen:       "127.0.0.1:0",
		TLS:          pki.ServerTLSConfig(cert),
		EventsMaxAge: time.Hour,
	}
	for _, f := range change {
		f(&cfg)
	}
	c := &Center{CA: ca, Dir: cfg.Dir, cfg: cfg, tb: tb}
	c.start()
	tb.Cleanup(func() { c.Server.Shutdown() })
	return c
}

// start starts the server with c.cfg.
func (c *Center) start() {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := server.Start(ctx, c.cfg)
	if err != nil {
		c.tb.Fatalf("start bus server: %v", err)
	}
	c.Server = s
	c.port = s.Port()
}

// Restart stops the server (unless already stopped) and starts it again from the same directory on
// the same port, as after a crash or an upgrade.
func (c *Center) Restart() {
	c.tb.Helper()
	c.Server.Shutdown()
	c.cfg.Listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port))
	c.start()
}

// Agent issues credentials for a new user key named id and returns the
// identity an enrolled agent would hold, and its user public key.
func (c *Center) Agent(id string) (bus.Identity, string) {
	c.tb.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		c.tb.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	tok, err := c.Server.IssueAgent(id, pub)
	if err != nil {
		c.tb.Fatalf("IssueAgent(%s): %v", id, err)
	}
	return bus.Identity{
		AgentID: id, CenterURL: "https://127.0.0.1", NATSURLs: []string{c.Server.ClientURL()},
		UserJWT: tok, UserSeed: string(seed), CAPEM: string(c.CA.PEM()),
	}, pub
}

// ClientTLS returns a client TLS configuration trusting the test CA.
func (c *Center) ClientTLS() *tls.Config {
	cfg, err := pki.ClientTLSConfig(c.CA.PEM())
	if err != nil {
		c.tb.Fatal(err)
	}
	return cfg
}
