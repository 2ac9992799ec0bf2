package httpjson

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type sample struct {
	Name  string            `json:"name"`
	Count int               `json:"count"`
	Tags  map[string]string `json:"tags"`
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		body, msg string
	}{
		{`{"name":"a","count":2,"tags":{"k":"v"}}`, ""},
		{``, "request body is empty"},
		{`  `, "request body is empty"},
		{`{"name":"a","extra":1}`, `unknown field "extra"`},
		{`{"count":"two"}`, `field "count": want number, got string`},
		{`{"tags":[1]}`, `field "tags": want object, got array`},
		{`"x"`, "want a JSON object, got string"},
		{`{"name":"a"`, "truncated JSON"},
		{`{"name":"a",}`, "invalid JSON at offset"},
		{`{"name":"a"}{"name":"b"}`, "unexpected data after the JSON object"},
	} {
		var s sample
		err := Decode([]byte(tc.body), &s)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.body, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != http.StatusBadRequest || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%q: %v, want 400 %q", tc.body, err, tc.msg)
		}
	}
}

func TestDecodeBodyLimit(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"`+strings.Repeat("x", 100)+`"}`))
	var s sample
	err := DecodeBody(rec, req, &s, 64)
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteError(t *testing.T) {
	for status, code := range map[int]string{400: "bad_request", 405: "method_not_allowed", 422: "unprocessable", 429: "too_many_requests", 418: "bad_request", 502: "internal"} {
		rec := httptest.NewRecorder()
		e := Errorf(status, "thing %d", 7)
		e.RetryAfter = 3
		WriteError(rec, e)
		var env Envelope
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			t.Fatal(err)
		}
		if rec.Code != status || env.Error.Code != code || env.Error.Message != "thing 7" ||
			rec.Header().Get("Retry-After") != "3" || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%d: %d %s %v", status, rec.Code, rec.Body, rec.Header())
		}
	}
}

func TestWriteListNeverNull(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteList[int](rec, nil, "")
	if got := strings.TrimSpace(rec.Body.String()); got != `{"items":[],"next_cursor":""}` {
		t.Fatalf("%s", got)
	}
}

// FuzzDecode: any input decodes or gives a 400, never a panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"name":"a","count":1,"tags":{"a":"b"}}`))
	f.Add([]byte(`{"count":1e400}`))
	f.Add([]byte(`[{}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s sample
		err := Decode(data, &s)
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Status != http.StatusBadRequest) {
			t.Fatalf("not a 400: %v", err)
		}
	})
}
