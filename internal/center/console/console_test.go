package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const indexHTML = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`

var bigJS = "console.log('vigil');\n" + strings.Repeat("export const x = 'aaaaaaaaaaaaaaaaaaaaaaaa';\n", 100)

func builtFS() fstest.MapFS {
	return fstest.MapFS{
		".gitkeep":                {Data: nil},
		"index.html":              {Data: []byte(indexHTML)},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/index-abc123.js":  {Data: []byte(bigJS)},
		"assets/index-def456.css": {Data: []byte("body{margin:0}")},
	}
}

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func checkSecurityHeaders(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	want := map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'self' first", csp)
	}
}

func TestServe(t *testing.T) {
	h := NewHandler(builtFS())
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantType, wantBody string
		wantCache          string
	}{
		{"root is index", "GET", "/", 200, "text/html; charset=utf-8", indexHTML, cacheRevalidate},
		{"index by name", "GET", "/index.html", 200, "text/html; charset=utf-8", indexHTML, cacheRevalidate},
		{"app route falls back", "GET", "/agents", 200, "text/html; charset=utf-8", indexHTML, cacheRevalidate},
		{"nested app route falls back", "GET", "/agents/0b9f-41c2?status=lost", 200, "text/html; charset=utf-8", indexHTML, cacheRevalidate},
		{"hashed script", "GET", "/assets/index-abc123.js", 200, "text/javascript; charset=utf-8", bigJS, cacheImmutable},
		{"hashed style", "GET", "/assets/index-def456.css", 200, "text/css; charset=utf-8", "body{margin:0}", cacheImmutable},
		{"unhashed file", "GET", "/favicon.svg", 200, "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"/>`, cacheRevalidate},
		{"missing asset", "GET", "/assets/index-old.js", 404, "text/plain; charset=utf-8", "", "no-store"},
		{"missing file with extension", "GET", "/robots.txt", 404, "text/plain; charset=utf-8", "", "no-store"},
		{"hidden file", "GET", "/.gitkeep", 404, "text/plain; charset=utf-8", "", "no-store"},
		{"hidden folder", "GET", "/.git/config", 404, "text/plain; charset=utf-8", "", "no-store"},
		{"unknown api route", "GET", "/api/v2/agents", 404, "application/json", `{"error":{"code":"not_found","message":"no such API route"}}` + "\n", ""},
		{"dot segments stay inside", "GET", "/assets/../index.html", 200, "text/html; charset=utf-8", indexHTML, cacheRevalidate},
		{"head", "HEAD", "/agents", 200, "text/html; charset=utf-8", "", cacheRevalidate},
		{"post refused", "POST", "/agents", 405, "text/plain; charset=utf-8", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.method, tc.path, nil)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tc.wantStatus, rec.Body.String())
			}
			if got := rec.Header().Get("Content-Type"); got != tc.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tc.wantType)
			}
			if tc.wantBody != "" && rec.Body.String() != tc.wantBody {
				t.Errorf("body = %q, want %q", rec.Body.String(), tc.wantBody)
			}
			if got := rec.Header().Get("Cache-Control"); got != tc.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tc.wantCache)
			}
			checkSecurityHeaders(t, rec)
		})
	}
}

func TestNotBuilt(t *testing.T) {
	h := NewHandler(fstest.MapFS{".gitkeep": {Data: nil}})
	for _, p := range []string{"/", "/agents", "/assets/index-abc123.js"} {
		rec := get(t, h, "GET", p, nil)
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status = %d, want 503", p, rec.Code)
		}
		if rec.Body.String() != NotBuiltMessage {
			t.Errorf("%s: body = %q, want %q", p, rec.Body.String(), NotBuiltMessage)
		}
		if got := rec.Header().Get("Content-Type"); got != "text/plain; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q", p, got)
		}
		checkSecurityHeaders(t, rec)
	}
}

func TestGzip(t *testing.T) {
	h := NewHandler(builtFS())
	tests := []struct {
		accept   string
		wantGzip bool
	}{
		{"gzip, deflate, br", true},
		{"br;q=1, gzip;q=0.5", true},
		{"gzip;q=0", false},
		{"identity", false},
		{"", false},
	}
	for _, tc := range tests {
		rec := get(t, h, "GET", "/assets/index-abc123.js", map[string]string{"Accept-Encoding": tc.accept})
		gotGzip := rec.Header().Get("Content-Encoding") == "gzip"
		if gotGzip != tc.wantGzip {
			t.Errorf("Accept-Encoding %q: gzip = %v, want %v", tc.accept, gotGzip, tc.wantGzip)
			continue
		}
		if rec.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary = %q", tc.accept, rec.Header().Get("Vary"))
		}
		body := rec.Body.Bytes()
		if gotGzip {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("gzip reader: %v", err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatalf("gunzip: %v", err)
			}
		}
		if string(body) != bigJS {
			t.Errorf("Accept-Encoding %q: body differs from the file", tc.accept)
		}
	}
}

func TestConditional(t *testing.T) {
	h := NewHandler(builtFS())
	first := get(t, h, "GET", "/agents", nil)
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on index.html")
	}
	again := get(t, h, "GET", "/alerts", map[string]string{"If-None-Match": etag})
	if again.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status = %d, want 304", again.Code)
	}
}

func TestEmbedded(t *testing.T) {
	if _, err := dist.ReadFile("dist/.gitkeep"); err != nil {
		t.Fatalf("dist/.gitkeep missing from the embedded files: %v", err)
	}
	rec := get(t, Handler(), "GET", "/agents", nil)
	want := http.StatusServiceUnavailable
	if Built() {
		want = http.StatusOK
	}
	if rec.Code != want {
		t.Errorf("status = %d, want %d (built = %v)", rec.Code, want, Built())
	}
	checkSecurityHeaders(t, rec)
}

func FuzzHandlerPath(f *testing.F) {
	for _, s := range []string{"/", "/agents/x", "/assets/index-abc123.js", "/.gitkeep", "/a/../../b", "/%2e%2e/x", "//api/v1"} {
		f.Add(s)
	}
	h := NewHandler(builtFS())
	f.Fuzz(func(t *testing.T, p string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = p
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusNotFound:
		default:
			t.Fatalf("path %q: status %d", p, rec.Code)
		}
		if rec.Code == http.StatusOK && strings.Contains(rec.Body.String(), "aaaa") && !strings.Contains(p, "index-abc123.js") {
			t.Fatalf("path %q served the script", p)
		}
		if rec.Header().Get("X-Frame-Options") != "DENY" {
			t.Fatalf("path %q: no security headers", p)
		}
	})
}
