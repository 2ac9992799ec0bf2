package server_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/server"
	"github.com/vigilsec/vigil/internal/pki"
)

func TestStartRefusesBadConfig(t *testing.T) {
	ca, err := pki.EnsureCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.EnsureServerCert(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := pki.ServerTLSConfig(cert)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		cfg  server.Config
		want string
	}{
		{"no dir", server.Config{Listen: "127.0.0.1:0", TLS: tlsCfg}, "Dir"},
		{"no TLS", server.Config{Dir: t.TempDir(), Listen: "127.0.0.1:0"}, "TLS"},
		{"no listen", server.Config{Dir: t.TempDir(), TLS: tlsCfg}, "listen"},
		{"bad port", server.Config{Dir: t.TempDir(), Listen: "127.0.0.1:x", TLS: tlsCfg}, "port"},
		{"port in use", server.Config{Dir: t.TempDir(), Listen: busy.Addr().String(), TLS: tlsCfg}, "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := server.Start(context.Background(), tt.cfg)
			if err == nil {
				s.Shutdown()
				t.Fatalf("started")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestIssueAgentValidates(t *testing.T) {
	c := bustest.Start(t)
	user, _ := nkeys.CreateUser()
	userKey, _ := user.PublicKey()
	account, _ := nkeys.CreateAccount()
	accountKey, _ := account.PublicKey()
	tests := []struct {
		name, id, key string
		want          error
	}{
		{"good", "0b9f3c2e-8d2a-4a57-9a51-8c2f0e3d1a77", userKey, nil},
		{"dot in id", "a.b", userKey, server.ErrInvalidAgentID},
		{"wildcard id", "*", userKey, server.ErrInvalidAgentID},
		{"empty id", "", userKey, server.ErrInvalidAgentID},
		{"account key", "a", accountKey, server.ErrInvalidUserKey},
		{"garbage key", "a", "Uxyz", server.ErrInvalidUserKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := c.Server.IssueAgent(tt.id, tt.key)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && tok == "" {
				t.Errorf("empty JWT")
			}
		})
	}
	if err := c.Server.Revoke("not-a-key"); !errors.Is(err, server.ErrInvalidUserKey) {
		t.Errorf("Revoke(garbage) err = %v", err)
	}
}
