package enroll

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/pki"
)

// ErrCAMismatch means the server did not present the CA the join token
// names: a wrong URL, another center, or someone in between.
var ErrCAMismatch = errors.New("CA hash mismatch: the server is not the center this join token was made for")

// pinnedTLS returns a TLS configuration that trusts no system root: it
// accepts the server only if the chain it presents holds a CA certificate
// whose SPKI hash is caHash and the leaf verifies against that CA for the
// host (a name or an IP address). The CA found is stored in *found.
func pinnedTLS(caHash, host string, found **x509.Certificate) *tls.Config {
	want := "sha256:" + caHash
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Verification is done by VerifyConnection, against the pinned CA
		// only; the default would consult the system roots.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server presented no certificate")
			}
			var ca *x509.Certificate
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				if c.IsCA && pki.SPKIHash(c) == want {
					ca = c
				} else {
					inter.AddCert(c)
				}
			}
			if ca == nil {
				return fmt.Errorf("%w (want %s)", ErrCAMismatch, want)
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
				Roots:         roots,
				Intermediates: inter,
				DNSName:       host,
				KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			})
			if err != nil {
				return fmt.Errorf("server certificate does not verify against the pinned CA (is %q among the center's advertised names?): %w", host, err)
			}
			*found = ca
			return nil
		},
	}
}
