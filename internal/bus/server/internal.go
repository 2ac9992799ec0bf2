package server

import (
	"fmt"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/bus"
)

// Names and inbox of the server's own connections.
const (
	centerConnName = "vigil-center"
	sysConnName    = "vigil-center-sys"
)

// connectInternal opens the center's connection in VIGIL and its
// connection in SYS, both in-process, with fresh user keys each start.
func (s *Server) connectInternal() error {
	var err error
	s.conn, err = s.internalConn(s.keys.signing, s.keys.vigil.pub, centerConnName, nats.CustomInboxPrefix(bus.CenterInboxPrefix))
	if err != nil {
		return err
	}
	s.sys, err = s.internalConn(s.keys.sys, "", sysConnName)
	return err
}

// internalConn connects a new unrestricted user signed by signer; when
// signer is a signing key, issuerAccount names its account.
func (s *Server) internalConn(signer key, issuerAccount, name string, extra ...nats.Option) (*nats.Conn, error) {
	user, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("internal user %s: %w", name, err)
	}
	pub, err := user.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("internal user %s: %w", name, err)
	}
	seed, err := user.Seed()
	if err != nil {
		return nil, fmt.Errorf("internal user %s: %w", name, err)
	}
	uc := jwt.NewUserClaims(pub)
	uc.Name = name
	uc.IssuerAccount = issuerAccount
	tok, err := uc.Encode(signer.kp)
	if err != nil {
		return nil, fmt.Errorf("sign internal user %s: %w", name, err)
	}
	s.internal[pub] = true
	opts := append([]nats.Option{
		nats.InProcessServer(s.ns),
		nats.UserJWTAndSeed(tok, string(seed)),
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			s.log.Warn("bus internal connection error", "conn", name, "subject", subj, "err", err)
		}),
	}, extra...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("internal connection %s: %w", name, err)
	}
	return nc, nil
}
