package apiclient_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/apiclient"
)

// sparseFile creates a file of size bytes that takes no room on disk.
func sparseFile(t *testing.T, size int64) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return f
}

// countingBody counts the bytes the client reads from it.
type countingBody struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestImportVulnDBStreams sends a 128 MiB file and checks that the
// center received all of it while the client's allocations stayed far
// below its size: the file is streamed, not read into memory.
func TestImportVulnDBStreams(t *testing.T) {
	const size = 128 << 20
	var got atomic.Int64
	var query, contentType, expect string
	c, _ := newTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query, contentType, expect = r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Expect")
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got.Store(n)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"id":"0123456789abcdef","kind":"import","source":"Debian","state":"running"}`)
	}), "vgt_x")
	f := sparseFile(t, size)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	j, err := c.ImportVulnDB(context.Background(), "Debian", f, size)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if j.ID != "0123456789abcdef" || j.State != "running" || j.Source != "Debian" {
		t.Errorf("job %+v", j)
	}
	if got.Load() != size {
		t.Errorf("center received %d bytes, want %d", got.Load(), size)
	}
	if query != "source=Debian" || contentType != "application/octet-stream" || expect != "100-continue" {
		t.Errorf("query %q, content type %q, expect %q", query, contentType, expect)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > size/4 {
		t.Errorf("allocated %d bytes to send %d: not streamed", alloc, size)
	}
	t.Logf("sent %d MiB with %.1f MiB allocated in the process (client and server)", size>>20, float64(alloc)/(1<<20))
}

// TestImportVulnDBRefusedBeforeBody: a center that refuses the import
// (here, a role that may not) answers before the file is sent.
func TestImportVulnDBRefusedBeforeBody(t *testing.T) {
	c, _ := newTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"error":{"code":"forbidden","message":"role viewer may not do this (needs responder)"}}`)
	}), "vgt_x")
	body := &countingBody{r: sparseFile(t, 64<<20)}
	_, err := c.ImportVulnDB(context.Background(), "Debian", body, 64<<20)
	if !apiclient.IsStatus(err, http.StatusForbidden) {
		t.Fatalf("error %v, want a 403", err)
	}
	if n := body.n.Load(); n != 0 {
		t.Errorf("%d bytes of the file were read before the refusal", n)
	}
}

// TestImportVulnDBStall: an upload that stops moving fails after the
// client's timeout, although an upload has no overall deadline.
func TestImportVulnDBStall(t *testing.T) {
	release := make(chan struct{})
	srv := quietTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.CopyN(io.Discard, r.Body, 1<<20)
		<-release // read no more: the client's writes block
	}))
	t.Cleanup(func() { close(release) }) // before the server closes
	c, err := apiclient.New(apiclient.Config{Server: srv.URL, CAPEM: caPEM(srv), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ImportVulnDB(context.Background(), "Debian", sparseFile(t, 256<<20), 256<<20)
	var ne *apiclient.NetError
	if !errors.As(err, &ne) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Fatalf("error %v, want a stalled upload", err)
	}
}

// failingReader fails after some bytes, as a file on a bad disk does.
type failingReader struct{ left int }

var errDisk = errors.New("input/output error")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left == 0 {
		return 0, errDisk
	}
	n := min(len(p), f.left)
	f.left -= n
	return n, nil
}

// TestImportVulnDBReadError: a file that cannot be read is the file's
// fault, not the center's.
func TestImportVulnDBReadError(t *testing.T) {
	c, _ := newTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"id":"x","state":"running"}`)
	}), "vgt_x")
	_, err := c.ImportVulnDB(context.Background(), "Debian", &failingReader{left: 100 << 10}, 1<<20)
	var ne *apiclient.NetError
	if !errors.Is(err, errDisk) || errors.As(err, &ne) {
		t.Fatalf("error %v, want the read error", err)
	}
}

// TestPutWordlist checks the body and the created flag.
func TestPutWordlist(t *testing.T) {
	var body, contentType string
	calls := 0
	c, _ := newTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		body, contentType = string(data), r.Header.Get("Content-Type")
		calls++
		status := http.StatusCreated
		if calls > 1 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		io.WriteString(w, `{"name":"corp","count":2,"sha256":"ab","author":"token:admin"}`)
	}), "vgt_x")
	ctx := context.Background()
	wl, created, err := c.PutWordlist(ctx, "corp", []byte("a\nb\n"))
	if err != nil || !created || wl.Count != 2 || body != "a\nb\n" || contentType != "text/plain; charset=utf-8" {
		t.Fatalf("PutWordlist = %+v, %v, %v; body %q, type %q", wl, created, err, body, contentType)
	}
	if _, created, err = c.PutWordlist(ctx, "corp", []byte("a\n")); err != nil || created {
		t.Errorf("replace: created %v, %v", created, err)
	}
	if _, _, err := c.PutWordlist(ctx, "corp", make([]byte, apiclient.MaxWordlistSize+1)); err == nil || calls != 2 {
		t.Errorf("oversized list: %v after %d calls", err, calls)
	}
	if _, _, err := c.PutWordlist(ctx, "", []byte("a")); err == nil {
		t.Error("empty name accepted")
	}
}

// BenchmarkImportVulnDB measures the upload of a feed to a center that
// reads it over TLS on loopback.
func BenchmarkImportVulnDB(b *testing.B) {
	const size = 64 << 20
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"id":"x","state":"running"}`)
	}))
	defer srv.Close()
	c, err := apiclient.New(apiclient.Config{Server: srv.URL, CAPEM: caPEM(srv)})
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(filepath.Join(b.TempDir(), "all.zip"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if _, err := c.ImportVulnDB(context.Background(), "Debian", f, size); err != nil {
			b.Fatal(err)
		}
	}
}
