// Package server is the center half of the bus: an embedded NATS server
// with decentralized JWT/NKEY authentication, JetStream for the event
// stream and the policy bucket, per-agent credentials and their
// revocation, and typed connect/disconnect events. See package bus for the
// design.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/jwt/v2"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Limits every connection gets.
const (
	// MaxPayload is the largest message the bus accepts.
	MaxPayload = 1 << 20
	// PingInterval and MaxPingsOut make the server drop a silent client
	// (stopped process, cut network) after about 4 to 6 seconds.
	PingInterval = 2 * time.Second
	MaxPingsOut  = 2
	// DuplicateWindow is the event stream's de-duplication window.
	DuplicateWindow = 2 * time.Minute
	readyTimeout    = 10 * time.Second
)

// Config configures the bus server.
type Config struct {
	// Dir holds the bus keys (keys/), the revocation list and the
	// JetStream store (jetstream/). Keep it across restarts: issued
	// credentials stay valid only with the same keys.
	Dir string
	// Listen is host:port for agents and relays; port 0 picks a free port.
	Listen string
	// TLS is the server's TLS configuration; it is required, and every
	// network client must use TLS.
	TLS *tls.Config
	// EventsMaxAge and EventsMaxBytes bound the events stream (0: no limit).
	EventsMaxAge   time.Duration
	EventsMaxBytes int64
	// Name is the server's name (default "vigil-center").
	Name string
	// Logger receives the server's warnings and errors (default: discard).
	Logger *slog.Logger
}

// Server is a running bus server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	ns       *natsserver.Server
	keys     *keySet
	resolver *natsserver.MemAccResolver
	revPath  string
	port     int

	mu      sync.Mutex // serializes account updates
	revoked jwt.RevocationList

	conn, sys *nats.Conn
	// internal are the user keys of the server's own connections.
	internal map[string]bool
}

// Start starts the server, waits until it accepts connections, connects
// the internal clients and makes sure the event stream and the policy
// bucket exist.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	host, port, err := checkConfig(&cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, revPath: filepath.Join(cfg.Dir, "revocations.json"), internal: map[string]bool{}}
	if s.keys, err = loadKeys(filepath.Join(cfg.Dir, "keys")); err != nil {
		return nil, err
	}
	if s.revoked, err = loadRevocations(s.revPath); err != nil {
		return nil, err
	}
	opts, err := s.options(host, port)
	if err != nil {
		return nil, err
	}
	ns, err := natsserver.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("bus server: %w", err)
	}
	logger := slogAdapter{log: s.log, fatal: &atomic.Pointer[string]{}}
	ns.SetLogger(logger, false, false)
	ns.Start()
	s.ns = ns
	if err := waitReady(ns, logger.fatal); err != nil {
		s.Shutdown()
		return nil, fmt.Errorf("bus server on %s: %w", cfg.Listen, err)
	}
	if a, ok := ns.Addr().(*net.TCPAddr); ok {
		s.port = a.Port
	}
	if err := s.connectInternal(); err != nil {
		s.Shutdown()
		return nil, err
	}
	if err := s.ensureStreams(ctx); err != nil {
		s.Shutdown()
		return nil, err
	}
	return s, nil
}

// waitReady waits until ns accepts connections, or fails as soon as the
// server reported a fatal error.
func waitReady(ns *natsserver.Server, fatal *atomic.Pointer[string]) error {
	deadline := time.Now().Add(readyTimeout)
	for !ns.ReadyForConnections(50 * time.Millisecond) {
		if msg := fatal.Load(); msg != nil {
			return errors.New(*msg)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready to accept connections within %s", readyTimeout)
		}
	}
	return nil
}

// checkConfig fills defaults and splits the listen address.
func checkConfig(cfg *Config) (string, int, error) {
	if cfg.Dir == "" {
		return "", 0, errors.New("bus server: Dir is required")
	}
	if cfg.TLS == nil || (len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetCertificate == nil) {
		return "", 0, errors.New("bus server: a TLS configuration with a certificate is required")
	}
	if cfg.Name == "" {
		cfg.Name = "vigil-center"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	host, p, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return "", 0, fmt.Errorf("bus server: listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bus server: listen address %q: bad port", cfg.Listen)
	}
	if port == 0 {
		port = natsserver.RANDOM_PORT
	}
	return host, port, nil
}

// Port returns the port the server listens on.
func (s *Server) Port() int { return s.port }

// ClientURL returns a tls:// URL for the server, with 127.0.0.1 in place
// of an unspecified listen address.
func (s *Server) ClientURL() string {
	host, _, _ := net.SplitHostPort(s.cfg.Listen)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "tls://" + net.JoinHostPort(host, strconv.Itoa(s.Port()))
}

// Conn returns the center's own connection: a user of the VIGIL account
// without restrictions, for the center's services. Do not close it.
func (s *Server) Conn() *nats.Conn { return s.conn }

// SysConn returns a connection in the system account, where the server
// publishes its events ($SYS.>). Do not close it.
func (s *Server) SysConn() *nats.Conn { return s.sys }

// AccountKey returns the public key of the VIGIL account, which names it in
// system subjects ($SYS.ACCOUNT.<key>.CONNECT).
func (s *Server) AccountKey() string { return s.keys.vigil.pub }

// Shutdown closes the internal connections and stops the server.
func (s *Server) Shutdown() {
	for _, c := range []*nats.Conn{s.conn, s.sys} {
		if c != nil {
			c.Close()
		}
	}
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
}
