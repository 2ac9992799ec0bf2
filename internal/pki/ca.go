// Package pki creates and loads the center's certificate authority and its
// TLS server certificate, and computes the CA's public-key hash that join
// tokens carry, so that an agent can pin the center's CA before it trusts
// anything the center says.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/vigilsec/vigil/internal/pki/securefile"
)

// File names inside the directory given to EnsureCA and EnsureServerCert.
const (
	CAFile        = "ca.pem"
	CAKeyFile     = "ca-key.pem"
	ServerFile    = "server.pem"
	ServerKeyFile = "server-key.pem"
)

// caValidity is how long a new CA is valid.
const caValidity = 10 * 365 * 24 * time.Hour

// CA is the center's certificate authority.
type CA struct {
	// Cert is the CA certificate.
	Cert *x509.Certificate
	// key signs server certificates; it never leaves the center.
	key *ecdsa.PrivateKey
	// pem is Cert in PEM form, as written to CAFile.
	pem []byte
}

// EnsureCA loads the CA from dir/ca.pem and dir/ca-key.pem, or creates both
// (ECDSA P-256, valid 10 years; the key file is mode 0600) when neither
// exists. Having only one of the two is an error: the CA is never replaced
// silently, since every enrolled agent pins it.
func EnsureCA(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile)
	certOK, err := exists(certPath)
	if err != nil {
		return nil, err
	}
	keyOK, err := exists(keyPath)
	if err != nil {
		return nil, err
	}
	switch {
	case certOK && keyOK:
		return loadCA(certPath, keyPath)
	case certOK || keyOK:
		return nil, fmt.Errorf("CA in %s is incomplete: need both %s and %s", dir, CAFile, CAKeyFile)
	}
	if err := securefile.EnsureDir(dir); err != nil {
		return nil, fmt.Errorf("CA dir: %w", err)
	}
	ca, keyPEM, err := newCA()
	if err != nil {
		return nil, err
	}
	if err := securefile.Write(keyPath, keyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("save CA key: %w", err)
	}
	if err := securefile.Write(certPath, ca.pem, 0o644); err != nil {
		return nil, fmt.Errorf("save CA certificate: %w", err)
	}
	return ca, nil
}

// PEM returns the CA certificate in PEM form.
func (ca *CA) PEM() []byte { return append([]byte(nil), ca.pem...) }

// Hash returns the hex SHA-256 of the CA's SubjectPublicKeyInfo, without the
// "sha256:" prefix that SPKIHash adds: the form join tokens carry.
func (ca *CA) Hash() string { return SPKIHash(ca.Cert)[len(hashPrefix):] }

// newCA makes a CA key and self-signed certificate.
func newCA() (*CA, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Vigil Center CA", Organization: []string{"Vigil"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("sign CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse new CA certificate: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return &CA{Cert: cert, key: key, pem: EncodeCerts(cert)}, keyPEM, nil
}

// loadCA reads and checks an existing CA.
func loadCA(certPath, keyPath string) (*CA, error) {
	certs, err := readCerts(certPath)
	if err != nil {
		return nil, err
	}
	cert := certs[0]
	if !cert.IsCA {
		return nil, fmt.Errorf("%s: not a CA certificate", certPath)
	}
	key, err := readKey(keyPath)
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%s does not hold the key of %s", keyPath, certPath)
	}
	return &CA{Cert: cert, key: key, pem: EncodeCerts(cert)}, nil
}

// randomSerial returns a random 128-bit certificate serial number.
func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// exists reports whether path exists.
func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	return true, nil
}
