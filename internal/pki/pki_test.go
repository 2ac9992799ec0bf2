package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEnsureCACreatesAndReloads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	ca, err := EnsureCA(dir)
	if err != nil {
		t.Fatalf("EnsureCA: %v", err)
	}
	if !ca.Cert.IsCA || ca.Cert.NotAfter.Before(time.Now().Add(9*365*24*time.Hour)) {
		t.Errorf("CA certificate: IsCA=%v NotAfter=%v", ca.Cert.IsCA, ca.Cert.NotAfter)
	}
	for name, want := range map[string]os.FileMode{CAKeyFile: 0o600, CAFile: 0o644, ".": 0o700} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", name, got, want)
		}
	}
	again, err := EnsureCA(dir)
	if err != nil {
		t.Fatalf("EnsureCA again: %v", err)
	}
	if again.Hash() != ca.Hash() || !again.Cert.Equal(ca.Cert) {
		t.Errorf("reloaded CA differs: %s vs %s", again.Hash(), ca.Hash())
	}
	if got := "sha256:" + ca.Hash(); got != SPKIHash(ca.Cert) {
		t.Errorf("Hash %q does not match SPKIHash %q", got, SPKIHash(ca.Cert))
	}
	if len(ca.Hash()) != 64 || strings.Trim(ca.Hash(), "0123456789abcdef") != "" {
		t.Errorf("Hash %q is not 64 lowercase hex digits", ca.Hash())
	}
}

func TestEnsureCARefusesHalfACA(t *testing.T) {
	dir := t.TempDir()
	if _, err := EnsureCA(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, CAKeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureCA(dir); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Fatalf("EnsureCA with only ca.pem: err = %v, want incomplete", err)
	}
}

func TestEnsureServerCert(t *testing.T) {
	dir := t.TempDir()
	ca, err := EnsureCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.EnsureServerCert(dir, []string{"center.example.org", "10.9.8.7"})
	if err != nil {
		t.Fatalf("EnsureServerCert: %v", err)
	}
	leaf := cert.Leaf
	for _, name := range []string{"center.example.org", "localhost", "10.9.8.7", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("certificate does not cover %s: %v", name, err)
		}
	}
	if host, err := os.Hostname(); err == nil {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("certificate does not cover the hostname: %v", err)
		}
	}
	if len(cert.Certificate) != 2 || string(cert.Certificate[1]) != string(ca.Cert.Raw) {
		t.Errorf("chain has %d certificates, want leaf and CA", len(cert.Certificate))
	}
	if fi, err := os.Stat(filepath.Join(dir, ServerKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("server key mode: %v %v", fi, err)
	}

	same, err := ca.EnsureServerCert(dir, []string{"center.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if same.Leaf.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Errorf("certificate re-issued although it covers every name")
	}
	more, err := ca.EnsureServerCert(dir, []string{"center.example.org", "other.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if more.Leaf.SerialNumber.Cmp(leaf.SerialNumber) == 0 || more.Leaf.VerifyHostname("other.example.org") != nil {
		t.Errorf("certificate not re-issued for a new name")
	}

	other, err := EnsureCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fromOther, err := other.EnsureServerCert(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fromOther.Leaf.CheckSignatureFrom(other.Cert) != nil {
		t.Errorf("certificate of another CA not replaced")
	}
}

func TestStillGood(t *testing.T) {
	ca, err := EnsureCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dns, ips := []string{"a.example"}, []net.IP{net.ParseIP("192.0.2.1")}
	leaf, _, err := ca.issueServer(dns, ips)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dns  []string
		ips  []net.IP
		now  time.Time
		want bool
	}{
		{"fresh", dns, ips, time.Now(), true},
		{"missing name", []string{"b.example"}, ips, time.Now(), false},
		{"missing address", dns, []net.IP{net.ParseIP("192.0.2.2")}, time.Now(), false},
		{"expires within 30 days", dns, ips, leaf.NotAfter.Add(-29 * 24 * time.Hour), false},
		{"expires in 31 days", dns, ips, leaf.NotAfter.Add(-31 * 24 * time.Hour), true},
	}
	for _, tt := range tests {
		if got := ca.stillGood(leaf, tt.dns, tt.ips, tt.now); got != tt.want {
			t.Errorf("%s: stillGood = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestClientTLSConfigPinsTheCA(t *testing.T) {
	dir := t.TempDir()
	ca, err := EnsureCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.EnsureServerCert(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ServerTLSConfig(cert))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	other, err := EnsureCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		caPEM  []byte
		wantOK bool
	}{
		{"own CA", ca.PEM(), true},
		{"another CA", other.PEM(), false},
	}
	for _, tt := range tests {
		cfg, err := ClientTLSConfig(tt.caPEM)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		cfg.ServerName = "localhost"
		c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err == nil {
			c.Close()
		}
		var unknown x509.UnknownAuthorityError
		switch {
		case tt.wantOK && err != nil:
			t.Errorf("%s: handshake failed: %v", tt.name, err)
		case !tt.wantOK && (err == nil || !errors.As(err, &unknown)):
			t.Errorf("%s: handshake err = %v, want unknown authority", tt.name, err)
		}
	}
	if _, err := ClientTLSConfig([]byte("not pem")); err == nil {
		t.Errorf("ClientTLSConfig accepted garbage")
	}
	if _, err := ClientTLSConfig(EncodeCerts(cert.Leaf)); err == nil {
		t.Errorf("ClientTLSConfig accepted a leaf certificate as CA")
	}
}
