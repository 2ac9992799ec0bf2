package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/pki/securefile"
)

// Server certificate lifetime, and how close to its end it is replaced.
const (
	serverValidity = 2 * 365 * 24 * time.Hour
	renewBefore    = 30 * 24 * time.Hour
)

// EnsureServerCert loads dir/server.pem and dir/server-key.pem, or issues a
// new server certificate signed by ca when they are missing, were signed by
// another CA, lack a wanted name or expire within 30 days. The wanted names
// are hosts plus localhost, 127.0.0.1, ::1, the machine's hostname and its
// non-loopback addresses. server.pem holds the leaf and then the CA, and the
// returned certificate presents both, so that a client can find the CA it
// pins in the chain.
func (ca *CA) EnsureServerCert(dir string, hosts []string) (tls.Certificate, error) {
	dns, ips := wantedNames(hosts)
	certPath, keyPath := filepath.Join(dir, ServerFile), filepath.Join(dir, ServerKeyFile)
	certOK, err := exists(certPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyOK, err := exists(keyPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	if certOK && keyOK {
		leaf, key, err := loadLeaf(certPath, keyPath)
		if err == nil && ca.stillGood(leaf, dns, ips, time.Now()) {
			return ca.tlsCert(leaf, key), nil
		}
	}
	if err := securefile.EnsureDir(dir); err != nil {
		return tls.Certificate{}, fmt.Errorf("server certificate dir: %w", err)
	}
	leaf, key, err := ca.issueServer(dns, ips)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := securefile.Write(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, fmt.Errorf("save server key: %w", err)
	}
	if err := securefile.Write(certPath, EncodeCerts(leaf, ca.Cert), 0o644); err != nil {
		return tls.Certificate{}, fmt.Errorf("save server certificate: %w", err)
	}
	return ca.tlsCert(leaf, key), nil
}

// stillGood reports whether leaf was signed by ca, covers every wanted name
// and stays valid for more than renewBefore.
func (ca *CA) stillGood(leaf *x509.Certificate, dns []string, ips []net.IP, now time.Time) bool {
	if leaf.CheckSignatureFrom(ca.Cert) != nil || now.Add(renewBefore).After(leaf.NotAfter) {
		return false
	}
	for _, d := range dns {
		if !slices.Contains(leaf.DNSNames, d) {
			return false
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(leaf.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// issueServer makes a new server key and certificate for the names.
func (ca *CA) issueServer(dns []string, ips []net.IP) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate server key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "vigil-center", Organization: []string{"Vigil"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(serverValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("sign server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse new server certificate: %w", err)
	}
	return leaf, key, nil
}

// tlsCert pairs leaf and key and presents the CA after the leaf.
func (ca *CA) tlsCert(leaf *x509.Certificate, key *ecdsa.PrivateKey) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{leaf.Raw, ca.Cert.Raw}, PrivateKey: key, Leaf: leaf}
}

// loadLeaf reads the server certificate and checks that the key is its own.
func loadLeaf(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certs, err := readCerts(certPath)
	if err != nil {
		return nil, nil, err
	}
	key, err := readKey(keyPath)
	if err != nil {
		return nil, nil, err
	}
	if !key.PublicKey.Equal(certs[0].PublicKey) {
		return nil, nil, fmt.Errorf("%s does not hold the key of %s", keyPath, certPath)
	}
	return certs[0], key, nil
}
