package notify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedTime is the time of the test alerts.
var fixedTime = time.Date(2025, 3, 14, 2, 38, 5, 123456000, time.UTC)

// testAlert is an alert with Chinese text and characters that every
// format must escape.
func testAlert() store.Alert {
	return store.Alert{
		ID:          "al-0001",
		AgentID:     "ag-7f3c",
		Hostname:    "oa-web-01",
		RuleID:      "vigil.web.exploit",
		Title:       "OA 系统 Web 进程异常执行命令 | cmd=whoami",
		Description: "Web 进程 tomcat 启动了 /bin/sh -c \"whoami; id\"。\n疑似 N-day 漏洞利用 [CVE-2023-0001] \\ 50% = 高",
		Severity:    store.SeverityCritical,
		State:       store.AlertNew,
		Techniques:  []string{"T1190", "T1059.004"},
		DedupKey:    "vigil.web.exploit:ag-7f3c",
		Count:       3,
		CreatedAt:   fixedTime,
		UpdatedAt:   fixedTime.Add(90 * time.Second),
		LastSeen:    fixedTime.Add(90 * time.Second),
		Evidence: map[string]any{
			"process.command_line":      "/bin/sh -c \"whoami; id\"",
			"process.parent.executable": "/opt/tomcat/bin/java",
			"source.ip":                 "203.0.113.7",
			"destination.port":          3000,
			"process.args":              []any{"/bin/sh", "-c", "whoami; id"},
			"note":                      "<at id=all></at> [click](http://evil.example)",
		},
	}
}

// testMessage is the message of testAlert with fixed ids and link.
func testMessage() Message {
	m := FromAlert(testAlert())
	m.NotificationID = "5b0c9b62-8f0e-4d3e-9d2a-6f1f3f7f0a11"
	m.Link = m.linkFor("https://vigil.example.com:8443")
	return m
}

// testCert is a self-signed certificate for 127.0.0.1 and localhost,
// usable as its own CA.
type testCert struct {
	tls    tls.Certificate
	caFile string
	pool   *x509.CertPool
}

var (
	certOnce sync.Once
	certVal  *testCert
	certErr  error
	certDir  string
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if certDir != "" {
		os.RemoveAll(certDir)
	}
	os.Exit(code)
}

// newTestCert returns the package's test certificate, writing its PEM to
// a file for ca_file.
func newTestCert(t testing.TB) *testCert {
	t.Helper()
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			certErr = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "notify test"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
			IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
			DNSNames:              []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			certErr = err
			return
		}
		dir, err := os.MkdirTemp("", "notify-cert")
		if err != nil {
			certErr = err
			return
		}
		certDir = dir
		caFile := filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
			certErr = err
			return
		}
		leaf, _ := x509.ParseCertificate(der)
		pool := x509.NewCertPool()
		pool.AddCert(leaf)
		certVal = &testCert{
			tls:    tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
			caFile: caFile, pool: pool,
		}
	})
	if certErr != nil {
		t.Fatal(certErr)
	}
	return certVal
}

func (c *testCert) serverConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.tls}, MinVersion: tls.VersionTLS12}
}

// logBuffer collects log lines for inspection.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newLogger logs everything, as JSON, to a buffer.
func newLogger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mustChannel builds a channel or fails.
func mustChannel(t *testing.T, c ChannelConfig) Channel {
	t.Helper()
	ch, err := NewChannel(c)
	if err != nil {
		t.Fatalf("NewChannel: %v", err)
	}
	t.Cleanup(func() { ch.Close() })
	return ch
}

// containsAny returns the first of subs found in s.
func containsAny(s string, subs []string) (string, bool) {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return sub, true
		}
	}
	return "", false
}
