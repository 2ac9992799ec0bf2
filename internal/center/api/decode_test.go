package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

func TestStrictDecoding(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, body string
		status     int
		msg        string
	}{
		{"empty", "", 400, "empty"},
		{"unknown field", `{"name":"x","role":"viewer","password":"long-enough-pw","admin":true}`, 400, `unknown field "admin"`},
		{"wrong type", `{"name":"x","role":"viewer","password":12}`, 400, `field "password": want string`},
		{"not an object", `[1,2]`, 400, "want a JSON object"},
		{"syntax", `{"name":`, 400, "truncated JSON"},
		{"bad syntax", `{"name" "x"}`, 400, "invalid JSON at offset"},
		{"trailing", `{"name":"x","role":"viewer","password":"long-enough-pw"} {}`, 400, "unexpected data"},
		{"too large", `{"name":"` + strings.Repeat("x", maxBody) + `"}`, 413, "larger than"},
	} {
		status, data := e.do("POST", "/api/v1/users", e.tokens[store.RoleAdmin], tc.body)
		var env errorBody
		if err := json.Unmarshal(data, &env); err != nil || status != tc.status || !strings.Contains(env.Error.Message, tc.msg) {
			t.Errorf("%s: %d %s", tc.name, status, data)
		}
	}
}

// FuzzDecodeCommand feeds arbitrary bodies to the strict decoder and the
// validation of a command request: never a panic, only client errors.
func FuzzDecodeCommand(f *testing.F) {
	f.Add(`{"command":"ping","agent_ids":["a1"],"timeout":"5s"}`)
	f.Add(`{"command":"collect","selector":{"env":"prod"},"args":{"plugin":"os/dpkg"}}`)
	f.Add(`{"command":"ping","agent_ids":null,"selector":{}}`)
	f.Add(`{"command":1}`)
	f.Add(`{"command":"ping"} x`)
	f.Fuzz(func(t *testing.T, body string) {
		var b commandBody
		err := decodeJSON([]byte(body), &b)
		if err == nil {
			_, err = b.request()
		}
		var ae *apiError
		if err != nil && (!errors.As(err, &ae) || ae.Status != http.StatusBadRequest) {
			t.Fatalf("not a 400: %v", err)
		}
	})
}

// FuzzDecodeUserPatch does the same for PATCH /users/{id} bodies.
func FuzzDecodeUserPatch(f *testing.F) {
	f.Add(`{"role":"admin","password":"a-long-password","disabled":false}`)
	f.Add(`{"disabled":null}`)
	f.Add(`{"role":5}`)
	f.Fuzz(func(t *testing.T, body string) {
		var p userPatch
		err := decodeJSON([]byte(body), &p)
		var ae *apiError
		if err != nil && (!errors.As(err, &ae) || ae.Status != http.StatusBadRequest) {
			t.Fatalf("not a 400: %v", err)
		}
	})
}
