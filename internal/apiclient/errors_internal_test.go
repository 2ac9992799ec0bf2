package apiclient

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzErrorOf checks that any error answer becomes an *APIError with its
// status and a message, and that invalid fields are only taken from an
// answer with the error envelope and a list of fields.
func FuzzErrorOf(f *testing.F) {
	for _, seed := range []struct {
		status int
		body   string
	}{
		{400, `{"error":{"code":"bad_request","message":"invalid notification channel: language: must be en or zh"},"fields":[{"path":"language","reason":"must be en or zh"}]}`},
		{400, `{"error":{"code":"bad_request","message":"refused"},"fields":{"path":"x"}}`},
		{400, `{"fields":[{"path":"x","reason":"y"}]}`},
		{404, `{"error":{"code":"not_found","message":"no route GET /api/v1/notify/channels"}}`},
		{502, "upstream down\n"},
		{429, `{"error":{"code":"too_many_requests","message":"slow down"}}`},
		{500, "\xff\x00"},
	} {
		f.Add(seed.status, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 400 || status > 599 {
			return
		}
		err := errorOf(&http.Response{StatusCode: status, Header: http.Header{}}, body)
		ae, ok := err.(*APIError)
		if !ok {
			t.Fatalf("errorOf(%d, %q) = %T", status, body, err)
		}
		if ae.Status != status || ae.Message == "" || ae.Code == "" {
			t.Fatalf("errorOf(%d, %q) = %+v", status, body, ae)
		}
		if len(ae.Fields) > 0 {
			var answer struct {
				Error  map[string]any `json:"error"`
				Fields []any          `json:"fields"`
			}
			if json.Unmarshal(body, &answer) != nil || len(answer.Error) == 0 || len(answer.Fields) != len(ae.Fields) {
				t.Fatalf("errorOf(%d, %q) has fields %+v", status, body, ae.Fields)
			}
		}
	})
}
