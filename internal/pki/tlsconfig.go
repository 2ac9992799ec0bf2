package pki

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
)

// hashPrefix starts every hash SPKIHash returns.
const hashPrefix = "sha256:"

// SPKIHash returns "sha256:" and the hex SHA-256 of the certificate's
// SubjectPublicKeyInfo, as kubeadm's discovery-token-ca-cert-hash does. The
// hash survives re-signing the certificate with the same key.
func SPKIHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return hashPrefix + hex.EncodeToString(sum[:])
}

// ClientTLSConfig returns a client TLS configuration that trusts only the
// CA certificates in caPEM (no system roots) and speaks TLS 1.2 or later.
func ClientTLSConfig(caPEM []byte) (*tls.Config, error) {
	certs, err := ParseCerts(caPEM)
	if err != nil {
		return nil, fmt.Errorf("pinned CA: %w", err)
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		if !c.IsCA {
			return nil, fmt.Errorf("pinned CA: %q is not a CA certificate", c.Subject.CommonName)
		}
		pool.AddCert(c)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// ServerTLSConfig returns a server TLS configuration presenting cert, for
// TLS 1.2 or later and without client certificates.
func ServerTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}
