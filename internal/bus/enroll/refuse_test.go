package enroll_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/enroll"
	"github.com/vigilsec/vigil/internal/bus/jointoken"
	"github.com/vigilsec/vigil/internal/pki"
)

func newCA(t *testing.T) *pki.CA {
	t.Helper()
	ca, err := pki.EnsureCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestEnrollRefusesAFakeCenter(t *testing.T) {
	real, fake := newCA(t), newCA(t)
	tok, err := jointoken.Generate(real.Hash())
	if err != nil {
		t.Fatal(err)
	}
	never := func(w http.ResponseWriter, _ bus.EnrollRequest) {
		apiError(w, http.StatusInternalServerError, "internal", "must not be reached")
	}
	tests := []struct {
		name     string
		ca       *pki.CA
		addr     string
		leafOnly bool
		want     error
		text     string
	}{
		{"another CA", fake, "127.0.0.1:0", false, enroll.ErrCAMismatch, "CA hash mismatch"},
		{"CA not presented", real, "127.0.0.1:0", true, enroll.ErrCAMismatch, "CA hash mismatch"},
		{"name not in the certificate", real, "127.0.0.2:0", false, nil, "advertised names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, tt.ca, tt.addr, tt.leafOnly, never)
			_, err := enroll.Enroll(context.Background(), f.URL, tok.String(), nil)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tt.want, tt.text)
			}
			t.Logf("refused with: %v", err)
			if strings.Contains(err.Error(), tok.Secret) {
				t.Errorf("error repeats the token secret")
			}
			if n := f.calls.Load(); n != 0 {
				t.Errorf("the token reached the server %d times", n)
			}
		})
	}
}

func TestEnrollMapsAPIErrors(t *testing.T) {
	ca := newCA(t)
	tok, err := jointoken.Generate(ca.Hash())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		answer func(http.ResponseWriter, bus.EnrollRequest)
		want   error
		text   string
	}{
		{"expired", errAnswer(http.StatusGone, "gone", "join token expired"), enroll.ErrTokenExpired, "join token expired"},
		{"used up", errAnswer(http.StatusGone, "gone", "join token used up"), enroll.ErrTokenUsedUp, "used up"},
		{"invalid", errAnswer(http.StatusUnauthorized, "unauthorized", "invalid join token"), enroll.ErrTokenInvalid, "invalid join token"},
		{"other center", errAnswer(http.StatusBadRequest, "bad_request", "token is for another center (CA hash mismatch)"), enroll.ErrCAMismatch, "another center"},
		{"rate limited", errAnswer(http.StatusTooManyRequests, "too_many_requests", "too many failed enrollments"), enroll.ErrRateLimited, "HTTP 429"},
		{"crash", func(w http.ResponseWriter, _ bus.EnrollRequest) { http.Error(w, "boom", 500) }, enroll.ErrCenterFailure, "HTTP 500"},
		{"redirect", func(w http.ResponseWriter, _ bus.EnrollRequest) {
			w.Header().Set("Location", "https://example.invalid/")
			w.WriteHeader(http.StatusFound)
		}, nil, "HTTP 302"},
		{"not JSON", func(w http.ResponseWriter, _ bus.EnrollRequest) { _, _ = w.Write([]byte("<html>")) }, nil, "decode answer"},
		{"bad agent id", func(w http.ResponseWriter, _ bus.EnrollRequest) {
			_, _ = w.Write([]byte(`{"agent_id":"a.b","user_jwt":"x","nats_port":4222}`))
		}, nil, "invalid agent id"},
		{"JWT for another key", jwtForOtherKey(t), nil, "another key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, ca, "127.0.0.1:0", false, tt.answer)
			_, err := enroll.Enroll(context.Background(), f.URL, tok.String(), nil)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tt.want, tt.text)
			}
		})
	}
}

func TestEnrollChecksInputFirst(t *testing.T) {
	ca := newCA(t)
	tok, _ := jointoken.Generate(ca.Hash())
	tests := []struct {
		name, url, token string
		want             error
		text             string
	}{
		{"malformed token", "https://127.0.0.1:1", "vgl1.abc", jointoken.ErrMalformed, "malformed"},
		{"plain http", "http://127.0.0.1:1", tok.String(), nil, "https"},
		{"no host", "https://", tok.String(), nil, "https"},
	}
	for _, tt := range tests {
		_, err := enroll.Enroll(context.Background(), tt.url, tt.token, nil)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: err = %v, want %v mentioning %q", tt.name, err, tt.want, tt.text)
		}
	}
}

func errAnswer(status int, code, msg string) func(http.ResponseWriter, bus.EnrollRequest) {
	return func(w http.ResponseWriter, _ bus.EnrollRequest) { apiError(w, status, code, msg) }
}
