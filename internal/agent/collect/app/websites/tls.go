package websites

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
)

// maxCertFile bounds a certificate file read.
const maxCertFile = 1 << 20

// Certificate states (vigil.website.tls.certificates[].status).
const (
	CertOK         = "ok"
	CertMissing    = "missing"
	CertUnreadable = "unreadable"
	CertInvalid    = "invalid"
	// CertNotAFile: the setting is not a file path (a variable, "data:").
	CertNotAFile = "not_a_file"
)

// Certificate is what a site's certificate file says of its first
// certificate (the server's own; the others are its chain).
type Certificate struct {
	Path   string
	Status string
	// Subject and Issuer are distinguished names (RFC 2253 order as
	// crypto/x509 writes them); the common names apart.
	Subject, SubjectCN string
	Issuer, IssuerCN   string
	NotBefore          time.Time
	NotAfter           time.Time
	Serial             string
	// AltNames are the DNS names and IP addresses of the certificate.
	AltNames []string
	// SHA256 is the fingerprint of the certificate (DER).
	SHA256 string
}

// maxAltNames bounds the alternative names kept.
const maxAltNames = 64

// ErrNoCertificate is returned for a PEM file without a certificate.
var ErrNoCertificate = errors.New("no PEM certificate")

// ParseCertificate reads the first certificate of PEM data; the private
// key blocks a combined file may hold are skipped unread.
func ParseCertificate(data []byte) (Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return Certificate{}, ErrNoCertificate
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return Certificate{}, fmt.Errorf("certificate: %w", err)
		}
		sum := sha256.Sum256(cert.Raw)
		c := Certificate{
			Status:    CertOK,
			Subject:   cert.Subject.String(),
			SubjectCN: cert.Subject.CommonName,
			Issuer:    cert.Issuer.String(),
			IssuerCN:  cert.Issuer.CommonName,
			NotBefore: cert.NotBefore.UTC(),
			NotAfter:  cert.NotAfter.UTC(),
			SHA256:    strings.ToUpper(hex.EncodeToString(sum[:])),
		}
		if cert.SerialNumber != nil {
			c.Serial = strings.ToUpper(cert.SerialNumber.Text(16))
		}
		for _, n := range cert.DNSNames {
			if len(c.AltNames) < maxAltNames {
				c.AltNames = append(c.AltNames, n)
			}
		}
		for _, ip := range cert.IPAddresses {
			if len(c.AltNames) < maxAltNames {
				c.AltNames = append(c.AltNames, ip.String())
			}
		}
		return c, nil
	}
}

// readCertificate reads the certificate file at host path p; its
// status says what went wrong.
func readCertificate(fs *rootfs.FS, p string) Certificate {
	if !strings.HasPrefix(p, "/") || strings.Contains(p, "$") {
		return Certificate{Path: p, Status: CertNotAFile}
	}
	data, _, err := fs.ReadFile(p, maxCertFile)
	switch {
	case rootfs.IsNotExist(err):
		return Certificate{Path: p, Status: CertMissing}
	case err != nil:
		return Certificate{Path: p, Status: CertUnreadable}
	}
	c, err := ParseCertificate(data)
	if err != nil {
		return Certificate{Path: p, Status: CertInvalid}
	}
	c.Path = p
	return c
}

// fields returns the certificate as ECS x509 fields and its hash.
func (c Certificate) fields() map[string]any {
	m := map[string]any{"file": map[string]any{"path": c.Path}, "status": c.Status}
	if c.Status != CertOK {
		return m
	}
	x := map[string]any{
		"subject":       map[string]any{"distinguished_name": c.Subject, "common_name": c.SubjectCN},
		"issuer":        map[string]any{"distinguished_name": c.Issuer, "common_name": c.IssuerCN},
		"not_before":    c.NotBefore.Format(time.RFC3339),
		"not_after":     c.NotAfter.Format(time.RFC3339),
		"serial_number": c.Serial,
	}
	if len(c.AltNames) > 0 {
		x["alternative_names"] = strs(c.AltNames)
	}
	m["x509"] = x
	m["hash"] = map[string]any{"sha256": c.SHA256}
	return m
}
