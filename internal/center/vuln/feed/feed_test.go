package feed

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, yaml, err string
	}{
		{"ok", "interval: 24h\nsources:\n  - name: Debian\n    url: https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip\n  - name: mirror\n    url: /srv/osv\n", ""},
		{"file url", "sources:\n  - name: m\n    url: file:///srv/osv/Maven/all.zip\n", ""},
		{"unknown field", "sources:\n  - name: m\n    url: /x\n    colour: red\n", "field colour not found"},
		{"http refused", "sources:\n  - name: m\n    url: http://mirror.example/all.zip\n", "plain http is refused"},
		{"http allowed", "sources:\n  - name: m\n    url: http://mirror.example/all.zip\n    allow_http: true\n", ""},
		{"relative path", "sources:\n  - name: m\n    url: osv/all.zip\n", "https://, file:// or an absolute path"},
		{"credentials", "sources:\n  - name: m\n    url: https://u:p@mirror.example/all.zip\n", "credentials do not belong"},
		{"bad name", "sources:\n  - name: \"../x\"\n    url: /x\n", "name \"../x\""},
		{"duplicate", "sources:\n  - name: a\n    url: /x\n  - name: a\n    url: /y\n", "given twice"},
		{"bad sha", "sources:\n  - name: a\n    url: /x\n    sha256: abc\n", "not 64 hex digits"},
		{"short interval", "interval: 5m\nsources: []\n", "at least 1h0m0s"},
		{"bad interval", "interval: soon\nsources: []\n", "invalid duration"},
		{"two documents", "sources: []\n---\nsources: []\n", "more than one YAML document"},
		{"remote host file url", "sources:\n  - name: a\n    url: file://host/x\n", "names no host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Parse error %v, want %q", err, tt.err)
			}
		})
	}
}

func TestParseSums(t *testing.T) {
	d := strings.Repeat("ab", 32)
	got, err := ParseSums([]byte("# made by sha256sum\n" + d + "  Debian/all.zip\n" + strings.ToUpper(d) + " *Maven/all.zip\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got["Debian/all.zip"] != d || got["Maven/all.zip"] != d || len(got) != 2 {
		t.Fatalf("ParseSums = %v", got)
	}
	for _, bad := range []string{"abc  x\n", d + "\n", d + "  a\n" + strings.Repeat("cd", 32) + "  a\n"} {
		if _, err := ParseSums([]byte(bad)); err == nil {
			t.Errorf("ParseSums(%q) succeeded", bad)
		}
	}
}

// mirror is an HTTPS server with one file, the way Google Cloud Storage
// serves osv.dev's exports (ETag, x-goog-hash), optionally with a
// published digest.
type mirror struct {
	body      []byte
	etag      string
	googHash  string // "" for the right one, "none" for none, else sent as is
	published string // body of FILE.sha256, "" for a 404
	length    int64  // announced length; 0 for the real one
	gets      atomic.Int32
}

func (m *mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/Debian/all.zip":
		m.gets.Add(1)
		if r.Header.Get("If-None-Match") == m.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", m.etag)
		switch m.googHash {
		case "":
			md := md5.Sum(m.body)
			crc := crc32.Checksum(m.body, crc32.MakeTable(crc32.Castagnoli))
			var c [4]byte
			binary.BigEndian.PutUint32(c[:], crc)
			w.Header().Add("X-Goog-Hash", "crc32c="+base64.StdEncoding.EncodeToString(c[:]))
			w.Header().Add("X-Goog-Hash", "md5="+base64.StdEncoding.EncodeToString(md[:]))
		case "none":
		default:
			w.Header().Set("X-Goog-Hash", m.googHash)
		}
		n := m.length
		if n == 0 {
			n = int64(len(m.body))
		}
		w.Header().Set("Content-Length", fmt.Sprint(n))
		_, _ = w.Write(m.body[:min(int64(len(m.body)), n)])
	case "/Debian/all.zip.sha256":
		if m.published == "" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(m.published))
	default:
		http.NotFound(w, r)
	}
}

func TestDownload(t *testing.T) {
	body := []byte("PK\x03\x04 pretend this is an OSV export")
	tests := []struct {
		name   string
		m      *mirror
		pin    string
		err    string
		checks []string
	}{
		{name: "checked by the server's hashes", m: &mirror{googHash: ""},
			checks: []string{"length", "x-goog-hash crc32c", "x-goog-hash md5"}},
		{name: "published digest", m: &mirror{googHash: "none", published: sum(body) + "  all.zip\n"},
			checks: []string{"length", "sha256 published"}},
		{name: "pinned", m: &mirror{googHash: "none"}, pin: sum(body),
			checks: []string{"length", "sha256 pinned"}},
		{name: "pin differs", m: &mirror{googHash: "none"}, pin: sum([]byte("other")), err: "the source pins"},
		{name: "published differs", m: &mirror{googHash: "none", published: sum([]byte("other"))}, err: "the mirror publishes"},
		{name: "md5 differs", m: &mirror{googHash: "md5=" + base64.StdEncoding.EncodeToString(make([]byte, 16))}, err: "md5 is"},
		{name: "short body", m: &mirror{googHash: "none", length: int64(len(body)) + 10}, err: "download"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			m.body, m.etag = body, `"v1"`
			srv := httptest.NewTLSServer(m)
			defer srv.Close()
			f := testFetcher(t, srv)
			res, err := f.Fetch(context.Background(), Source{Name: "Debian", URL: srv.URL + "/Debian/all.zip", SHA256: tt.pin}, State{})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Fetch error %v, want %q", err, tt.err)
				}
				assertNoDownloads(t, f.TempDir)
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			defer os.Remove(res.Path)
			got, err := os.ReadFile(res.Path)
			if err != nil || string(got) != string(body) {
				t.Fatalf("downloaded %q, %v", got, err)
			}
			// Named by what it holds, as the readers choose by name.
			if res.SHA256 != sum(body) || res.ETag != `"v1"` || !res.Temporary || !strings.HasSuffix(res.Path, ".zip") {
				t.Errorf("result %+v", res)
			}
			if strings.Join(res.Checks, ",") != strings.Join(tt.checks, ",") {
				t.Errorf("checks %v, want %v", res.Checks, tt.checks)
			}
			// Unchanged: the server says so and nothing is downloaded.
			again, err := f.Fetch(context.Background(), Source{Name: "Debian", URL: srv.URL + "/Debian/all.zip", SHA256: tt.pin},
				State{ETag: res.ETag, SHA256: res.SHA256})
			if err != nil || !again.NotModified || again.Path != "" {
				t.Errorf("second fetch %+v, %v; want not modified", again, err)
			}
		})
	}
}

// testFetcher returns a fetcher trusting srv, downloading into a
// temporary folder.
func testFetcher(t *testing.T, srv *httptest.Server) *Fetcher {
	t.Helper()
	f, err := NewFetcher(Config{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if srv != nil {
		f.Client.Transport = srv.Client().Transport
	}
	return f
}

// assertNoDownloads checks that a failed fetch left no file behind.
func assertNoDownloads(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("a failed fetch left %d files", len(ents))
	}
}

func TestDownloadRefusals(t *testing.T) {
	body := []byte("data")
	m := &mirror{body: body, etag: `"x"`, googHash: "none"}
	plain := httptest.NewServer(m)
	defer plain.Close()
	f := testFetcher(t, nil)

	// Plain http needs a digest.
	_, err := f.Fetch(context.Background(), Source{Name: "m", URL: plain.URL + "/Debian/all.zip", AllowHTTP: true}, State{})
	if !errors.Is(err, ErrIntegrity) {
		t.Errorf("plain http without a digest: %v, want ErrIntegrity", err)
	}
	res, err := f.Fetch(context.Background(), Source{Name: "m", URL: plain.URL + "/Debian/all.zip", AllowHTTP: true, SHA256: sum(body)}, State{})
	if err != nil {
		t.Errorf("plain http with a pinned digest: %v", err)
	} else {
		os.Remove(res.Path)
	}

	// A redirect from https to http is refused.
	redirect := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusFound)
	}))
	defer redirect.Close()
	f = testFetcher(t, redirect)
	if _, err := f.Fetch(context.Background(), Source{Name: "m", URL: redirect.URL + "/Debian/all.zip"}, State{}); err == nil ||
		!strings.Contains(err.Error(), "redirect from https to http refused") {
		t.Errorf("redirect to http: %v", err)
	}

	// Larger than allowed.
	big := &mirror{body: make([]byte, 1<<20), etag: `"b"`, googHash: "none"}
	srv := httptest.NewTLSServer(big)
	defer srv.Close()
	f = testFetcher(t, srv)
	f.MaxSize = 1000
	if _, err := f.Fetch(context.Background(), Source{Name: "m", URL: srv.URL + "/Debian/all.zip"}, State{}); err == nil ||
		!strings.Contains(err.Error(), "more than 1000") {
		t.Errorf("oversized download: %v", err)
	}
	assertNoDownloads(t, f.TempDir)

	// A certificate the configured roots do not trust.
	f, err = NewFetcher(Config{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(context.Background(), Source{Name: "m", URL: srv.URL + "/Debian/all.zip"}, State{}); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: %v", err)
	}
}

func TestLocal(t *testing.T) {
	dir := t.TempDir()
	deb := filepath.Join(dir, "Debian", "all.zip")
	mvn := filepath.Join(dir, "Maven", "all.zip")
	for p, body := range map[string]string{deb: "debian export", mvn: "maven export"} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := testFetcher(t, nil)
	ctx := context.Background()

	// A file without a published digest.
	res, err := f.Fetch(ctx, Source{Name: "Debian", URL: "file://" + deb}, State{})
	if err != nil || res.Path != deb || res.Temporary || res.SHA256 != sum([]byte("debian export")) {
		t.Fatalf("local file: %+v, %v", res, err)
	}
	again, err := f.Fetch(ctx, Source{Name: "Debian", URL: deb}, State{SHA256: res.SHA256})
	if err != nil || !again.NotModified {
		t.Errorf("unchanged local file: %+v, %v", again, err)
	}

	// FILE.sha256 next to it.
	if err := os.WriteFile(deb+".sha256", []byte(sum([]byte("debian export"))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = f.Fetch(ctx, Source{Name: "Debian", URL: deb}, State{})
	if err != nil || strings.Join(res.Checks, ",") != "sha256 published" {
		t.Errorf("published digest: %+v, %v", res, err)
	}
	if err := os.WriteFile(deb, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(ctx, Source{Name: "Debian", URL: deb}, State{}); !errors.Is(err, ErrIntegrity) {
		t.Errorf("tampered file: %v, want ErrIntegrity", err)
	}
	if err := os.WriteFile(deb, []byte("debian export"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A folder with SHA256SUMS.
	sums := fmt.Sprintf("%s  Debian/all.zip\n%s  Maven/all.zip\n", sum([]byte("debian export")), sum([]byte("maven export")))
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(sums), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = f.Fetch(ctx, Source{Name: "mirror", URL: dir}, State{})
	if err != nil || res.Path != dir || strings.Join(res.Checks, ",") != "sha256 published (2 files)" {
		t.Fatalf("folder: %+v, %v", res, err)
	}
	again, err = f.Fetch(ctx, Source{Name: "mirror", URL: dir}, State{SHA256: res.SHA256})
	if err != nil || !again.NotModified {
		t.Errorf("unchanged folder: %+v, %v", again, err)
	}
	time.Sleep(10 * time.Millisecond)
	if err := os.WriteFile(mvn, []byte("maven export, changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(ctx, Source{Name: "mirror", URL: dir}, State{SHA256: res.SHA256}); !errors.Is(err, ErrIntegrity) {
		t.Errorf("folder with a changed file: %v, want ErrIntegrity", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(sum(nil)+"  ../etc/passwd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(ctx, Source{Name: "mirror", URL: dir}, State{}); err == nil || !strings.Contains(err.Error(), "outside the folder") {
		t.Errorf("SHA256SUMS naming a path outside: %v", err)
	}
	if _, err := f.Fetch(ctx, Source{Name: "mirror", URL: filepath.Join(dir, "missing.zip")}, State{}); err == nil {
		t.Error("missing file fetched")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("interval: 24h\nsources:\n  - name: Debian\n    url: https://h/Debian/all.zip\n    sha256: " + strings.Repeat("a", 64) + "\n"))
	f.Add([]byte("sources:\n  - name: m\n    url: file:///srv\n    allow_http: true\n"))
	f.Add([]byte("sources: {a: b}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Parse accepted a configuration Validate refuses: %v", err)
		}
	})
}

func FuzzParseSums(f *testing.F) {
	f.Add([]byte(strings.Repeat("ab", 32) + "  Debian/all.zip\n"))
	f.Add([]byte("# x\n\n" + strings.Repeat("AB", 32) + " *a b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sums, err := ParseSums(data)
		if err != nil {
			return
		}
		for name, d := range sums {
			if name == "" || !isDigest(d) || d != strings.ToLower(d) {
				t.Fatalf("ParseSums gave %q: %q", name, d)
			}
		}
	})
}
