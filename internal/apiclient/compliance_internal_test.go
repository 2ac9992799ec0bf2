package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
)

func TestAttachmentName(t *testing.T) {
	for in, want := range map[string]string{
		`attachment; filename="vigil-compliance-acme_baseline-en.html"`: "vigil-compliance-acme_baseline-en.html",
		`attachment; filename=report.html`:                              "report.html",
		`attachment; filename="../../etc/passwd"`:                       "passwd",
		`attachment; filename="..\\..\\boot.ini"`:                       "boot.ini",
		`attachment; filename=".bashrc"`:                                "bashrc",
		`attachment; filename="报告 1.html"`:                              "___1.html",
		"attachment; filename=\"a\u202eb.html\"":                        "a_b.html",
		`attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.html`:            "r_sum_.html",
		`attachment; filename="/"`:                                      "",
		`attachment; filename=""`:                                       "",
		`attachment; filename=".."`:                                     "",
		`attachment`:                                                    "",
		`inline; filename="r.html"`:                                     "r.html",
		``:                                                              "",
		`attachment; filename="unterminated`:                            "",
		`attachment; filename="` + strings.Repeat("a", 300) + `"`:       strings.Repeat("a", maxFileName),
	} {
		if got := attachmentName(in); got != want {
			t.Errorf("attachmentName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzAttachmentName checks that a center's Content-Disposition never
// names a file outside the current folder, a hidden one or a path.
func FuzzAttachmentName(f *testing.F) {
	for _, s := range []string{`attachment; filename="r.html"`, `attachment; filename="../x"`, `attachment; filename*=UTF-8''%2e%2e%2fx`,
		`a; filename=".."`, `attachment; filename="..\\x"`, `attachment; filename="a/b/.c"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		name := attachmentName(header)
		if name == "" {
			return
		}
		if strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || len(name) > maxFileName || name == "_" ||
			strings.ContainsFunc(name, func(r rune) bool { return r > 0x7e || r < 0x21 }) {
			t.Fatalf("attachmentName(%q) = %q", header, name)
		}
	})
}

// TestNoRouteHint asks the center for a route it does not serve, as a
// client newer than its center does: the error says to upgrade the
// center. Other 404s keep their message.
func TestNoRouteHint(t *testing.T) {
	env := apiclienttest.Start(t)
	c, err := New(Config{Server: env.URL, Token: env.AdminToken, CAPEM: env.CAPEM})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = c.do(ctx, request{method: http.MethodGet, path: pathOf("compliance", "baselines")}, nil)
	var ae *APIError
	want := "no route GET /api/v1/compliance/baselines: this center does not offer it yet (upgrade vigil-center)"
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound || ae.Code != "not_found" || ae.Message != want {
		t.Errorf("unknown route: %#v, want the message %q", err, want)
	}
	_, err = c.Agent(ctx, "nope")
	if !errors.As(err, &ae) || ae.Message != "agent nope not found" {
		t.Errorf("unknown agent: %v", err)
	}
}

// FuzzRawItems decodes answers of the results listing: an answer is
// either refused with an error naming the route, or each item keeps the
// JSON it was sent as and encodes as that again.
func FuzzRawItems(f *testing.F) {
	for _, s := range []string{
		`{"items":[{"agent_id":"a1","check_id":"c.1","status":"fail","evidence":[{"index":0,"evidence":["x <&> y"]}],"future":1}],"next_cursor":"n"}`,
		`{"items":[null,{}],"next_cursor":""}`,
		`{"items":[{"status":1}]}`,
		`{"items":[{"check":{"title":{"en":"a","zh":"\u7f51"}},"first_seen":"2025-03-04T10:00:00Z"}]}`,
		`[]`, `{"items":{}}`, ``,
	} {
		f.Add([]byte(s))
	}
	r := request{method: http.MethodGet, path: pathOf("compliance")}
	f.Fuzz(func(t *testing.T, data []byte) {
		var page Page[Raw[ComplianceResult]]
		if err := decodeAnswer(bytes.NewReader(data), &page, r); err != nil {
			if !strings.HasPrefix(err.Error(), "decode answer of GET /api/v1/compliance: ") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		for i, it := range page.Items {
			if !json.Valid(it.JSON) {
				t.Fatalf("item %d kept %q", i, it.JSON)
			}
			var want, got bytes.Buffer
			if err := json.Compact(&want, it.JSON); err != nil {
				t.Fatal(err)
			}
			enc := json.NewEncoder(&got)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(it); err != nil {
				t.Fatalf("encode item %d: %v", i, err)
			}
			if strings.TrimSuffix(got.String(), "\n") != want.String() {
				t.Fatalf("item %d sent as %s encodes as %s", i, want.String(), got.String())
			}
		}
	})
}

// BenchmarkDecodeResultsPage decodes a full page of results (1000, with
// evidence), as Raw items and as plain ones, to show what keeping the
// JSON costs.
func BenchmarkDecodeResultsPage(b *testing.B) {
	item := `{"agent_id":"7f3c9a","hostname":"web-1","policy_id":"cis_debian12","policy_version":"1.1.0","check_id":"cis_debian12.5.1.20",` +
		`"status":"fail","severity":"high","reason":"rule 0 fails","evidence":[{"index":0,"type":"config","result":"fails",` +
		`"evidence":["/etc/ssh/sshd_config:12: PermitRootLogin yes"]}],"check":{"title":{"en":"Ensure sshd PermitRootLogin is disabled",` +
		`"zh":"确保 sshd 禁止 root 直接登录"},"rationale":{"en":"r","zh":"r"},"remediation":{"en":"m","zh":"m"},"severity":"high"},` +
		`"first_seen":"2025-03-01T10:00:00Z","updated_at":"2025-03-04T08:00:00Z"}`
	page := []byte(`{"items":[` + strings.TrimSuffix(strings.Repeat(item+",", 1000), ",") + `],"next_cursor":"x"}`)
	r := request{method: http.MethodGet, path: pathOf("compliance")}
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			var p Page[Raw[ComplianceResult]]
			if err := decodeAnswer(bytes.NewReader(page), &p, r); err != nil || len(p.Items) != 1000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			var p Page[ComplianceResult]
			if err := decodeAnswer(bytes.NewReader(page), &p, r); err != nil || len(p.Items) != 1000 {
				b.Fatal(err)
			}
		}
	})
}
