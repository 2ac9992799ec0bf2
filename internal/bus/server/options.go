package server

import (
	"crypto/tls"
	"fmt"
	"path/filepath"

	"github.com/nats-io/jwt/v2"
	natsserver "github.com/nats-io/nats-server/v2/server"
)

// options builds the NATS server options: operator mode with the VIGIL and
// SYS accounts in a memory resolver, TLS, JetStream and fast liveness.
func (s *Server) options(host string, port int) (*natsserver.Options, error) {
	oc, err := s.keys.operatorClaims()
	if err != nil {
		return nil, err
	}
	sysJWT, err := s.keys.sysAccountJWT()
	if err != nil {
		return nil, err
	}
	vigilJWT, _, err := s.keys.vigilAccountJWT(s.revoked)
	if err != nil {
		return nil, err
	}
	s.resolver = &natsserver.MemAccResolver{}
	if err := s.resolver.Store(s.keys.sys.pub, sysJWT); err != nil {
		return nil, fmt.Errorf("store system account: %w", err)
	}
	if err := s.resolver.Store(s.keys.vigil.pub, vigilJWT); err != nil {
		return nil, fmt.Errorf("store account: %w", err)
	}
	tlsCfg := s.cfg.TLS.Clone()
	if tlsCfg.MinVersion < tls.VersionTLS12 {
		tlsCfg.MinVersion = tls.VersionTLS12
	}
	return &natsserver.Options{
		ServerName:             s.cfg.Name,
		Host:                   host,
		Port:                   port,
		TLS:                    true,
		TLSConfig:              tlsCfg,
		TLSTimeout:             5,
		TrustedOperators:       []*jwt.OperatorClaims{oc},
		SystemAccount:          s.keys.sys.pub,
		AccountResolver:        s.resolver,
		JetStream:              true,
		StoreDir:               filepath.Join(s.cfg.Dir, "jetstream"),
		DisableJetStreamBanner: true,
		PingInterval:           PingInterval,
		MaxPingsOut:            MaxPingsOut,
		MaxPayload:             MaxPayload,
		NoSigs:                 true,
		NoLog:                  true,
	}, nil
}
