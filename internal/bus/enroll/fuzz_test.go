package enroll

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func FuzzDecodeAPIError(f *testing.F) {
	f.Add(410, []byte(`{"error":{"code":"gone","message":"join token expired"}}`))
	f.Add(401, []byte(`{"error":{"code":"unauthorized","message":"invalid join token"}}`))
	f.Add(500, []byte(`<html>`))
	f.Add(400, []byte(`{"error":"x"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := decodeAPIError(status, body)
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("decodeAPIError returned %T", err)
		}
		if len(apiErr.Message) > 303 || len(apiErr.Code) > 43 {
			t.Fatalf("unbounded text: %d/%d bytes", len(apiErr.Message), len(apiErr.Code))
		}
		if utf8.ValidString(string(body)) && !utf8.ValidString(apiErr.Message) {
			t.Fatalf("clipping broke UTF-8: %q", apiErr.Message)
		}
		_ = err.Error()
	})
}

func FuzzParseIdentity(f *testing.F) {
	f.Add([]byte(`{"agent_id":"a","nats_urls":["tls://h:4222"],"user_jwt":"x","user_seed":"SU","ca_pem":""}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := parseIdentity(data)
		if err == nil && Validate(id) != nil {
			t.Fatalf("parseIdentity accepted an identity Validate refuses")
		}
	})
}
