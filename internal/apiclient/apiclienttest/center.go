// Package apiclienttest is an in-memory imitation of the center's REST API
// (docs/api.md) for tests of its clients (package apiclient and the vigil
// CLI): the same routes, JSON shapes, error envelope, roles, paging and
// cursors, over data the test puts in. The real API (internal/center/api)
// is exercised against these clients by the end-to-end tests in test/e2e;
// this imitation keeps the client tests fast and independent of the bus
// and the store.
package apiclienttest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Center holds the data of one imitated center and serves the API. It is
// safe for concurrent use; seed it with the Add methods.
type Center struct {
	mu       sync.Mutex
	now      func() time.Time
	mux      *http.ServeMux
	bearers  map[string]principal
	agents   map[string]store.Agent
	history  map[string][]store.StatusChange
	policies map[string]store.AgentPolicy
	events   []storedEvent
	alerts   []store.Alert // newest first
	joins    []store.JoinToken
	apiToks  []store.APIToken
	users    []store.User
	password map[string]string // user id -> password
	audit    []store.AuditEntry
	requests []string
	unwell   string
	nextID   int
}

type principal struct {
	name, kind string
	role       store.Role
	userID     string
	tokenID    string
}

type storedEvent struct {
	seq int64
	ev  event.Event
}

// New returns an empty center whose clock is now (time.Now when nil).
func New(now func() time.Time) *Center {
	if now == nil {
		now = time.Now
	}
	c := &Center{
		now: now, mux: http.NewServeMux(), bearers: map[string]principal{},
		agents: map[string]store.Agent{}, history: map[string][]store.StatusChange{},
		policies: map[string]store.AgentPolicy{}, password: map[string]string{},
	}
	c.routes()
	return c
}

// ServeHTTP serves the API, recording each request line for Requests.
func (c *Center) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.requests = append(c.requests, r.Method+" "+r.URL.RequestURI())
	c.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

// Requests returns "METHOD /path?query" of every request so far.
func (c *Center) Requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.requests...)
}

// AddBearer accepts token as an API token named name with role.
func (c *Center) AddBearer(token, name string, role store.Role) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bearers[token] = principal{name: name, kind: "api", role: role}
}

// SetUnhealthy makes /healthz answer 503 with reason ("" for healthy).
func (c *Center) SetUnhealthy(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unwell = reason
}

// id returns a new identifier with prefix.
func (c *Center) id(prefix string) string {
	c.nextID++
	return fmt.Sprintf("%s%04d", prefix, c.nextID)
}

// apiError is an answer with the error envelope.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

var codes = map[int]string{
	400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
	405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "too_large", 500: "internal",
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = 500, []byte(`{"error":{"code":"internal","message":"encode answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
	}
	writeJSON(w, e.status, map[string]any{"error": map[string]string{"code": codes[e.status], "message": e.msg}})
}

// list is the shape of every listing.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// paginate serves items[offset:offset+limit] with an offset cursor.
func paginate[T any](r *http.Request, items []T) (list[T], error) {
	q := r.URL.Query()
	limit, err := limitOf(q.Get("limit"))
	if err != nil {
		return list[T]{}, err
	}
	offset := 0
	if cur := q.Get("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "o:") || n < 0 || n > len(items) {
			return list[T]{}, errorf(400, "cursor: not one this server returned")
		}
		offset = n
	}
	out := list[T]{Items: append([]T{}, items[offset:min(offset+limit, len(items))]...)}
	if offset+limit < len(items) {
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset+limit)))
	}
	return out, nil
}

func limitOf(v string) (int, error) {
	if v == "" {
		return store.DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > store.MaxLimit {
		return 0, errorf(400, "limit %q: want 1 to %d", v, store.MaxLimit)
	}
	return n, nil
}

// decode reads a JSON body strictly, as the center does.
func decode(r *http.Request, dst any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return errorf(400, "request body: %v", err)
	}
	return nil
}

func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, errorf(400, "%s %q: want an RFC 3339 time such as 2025-01-02T15:04:05Z", name, v)
	}
	return t, nil
}

func labelsMatch(labels, selector map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
