package pki

import "testing"

func FuzzParseCerts(f *testing.F) {
	ca, err := EnsureCA(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ca.PEM())
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCerts(data)
		if err == nil && len(certs) == 0 {
			t.Fatalf("no error and no certificate")
		}
		if _, err := ClientTLSConfig(data); err == nil && len(certs) == 0 {
			t.Fatalf("ClientTLSConfig accepted input without certificates")
		}
	})
}
