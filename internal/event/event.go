// Package event holds Vigil's canonical event: one ECS document (Elastic
// Common Schema field names, nested JSON objects). The same field names are
// used on the bus, in the store, in the API, in hunting queries and in rules.
// The package does no I/O.
package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ECS field names used by the platform itself.
const (
	FieldID            = "event.id"
	FieldTimestamp     = "@timestamp"
	FieldCategory      = "event.category"
	FieldAction        = "event.action"
	FieldKind          = "event.kind"
	FieldDataset       = "event.dataset"
	FieldOutcome       = "event.outcome"
	FieldMessage       = "message"
	FieldAgentID       = "agent.id"
	FieldAgentVersion  = "agent.version"
	FieldHostID        = "host.id"
	FieldHostName      = "host.name"
	FieldProcessExe    = "process.executable"
	FieldProcessCmd    = "process.command_line"
	FieldProcessPID    = "process.pid"
	FieldProcessEntity = "process.entity_id"
	FieldParentExe     = "process.parent.executable"
	FieldUserName      = "user.name"
	FieldSourceIP      = "source.ip"
	FieldDestIP        = "destination.ip"
	FieldDestPort      = "destination.port"
	FieldFilePath      = "file.path"
)

// MaxSize is the largest encoded event accepted anywhere on the platform.
const MaxSize = 256 << 10

// Event is one ECS document. Keys of nested objects are separate levels:
// {"process": {"executable": "/bin/sh"}}, never {"process.executable": ...}.
type Event map[string]any

// New returns an event with id, timestamp, category and action set.
func New(id string, at time.Time, category, action string) Event {
	e := Event{}
	e.Set(FieldID, id)
	e.Set(FieldTimestamp, at.UTC().Format(time.RFC3339Nano))
	e.Set(FieldCategory, category)
	e.Set(FieldAction, action)
	return e
}

// Get returns the value at a dotted path. A flat dotted key at any level
// ({"process": {"parent.executable": ...}}) is found too, as ECS allows both.
// It does not allocate: it runs for every field of every rule on every event.
func (e Event) Get(path string) (any, bool) {
	return lookup(map[string]any(e), path)
}

// lookup tries the longest key first: the whole path, then each prefix
// before a dot, descending into the object found there.
func lookup(m map[string]any, path string) (any, bool) {
	if v, ok := m[path]; ok {
		return v, true
	}
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		v, ok := m[path[:i]]
		if !ok {
			continue
		}
		if sub, ok := asMap(v); ok {
			if found, ok := lookup(sub, path[i+1:]); ok {
				return found, true
			}
		}
	}
	return nil, false
}

// String returns the value at path as a string ("" when absent). Numbers and
// booleans are formatted; objects and lists return "".
func (e Event) String(path string) string {
	v, ok := e.Get(path)
	if !ok {
		return ""
	}
	switch t := v.(type) {
	case string:
		return t
	case float64, int, int64, uint64, int32, uint32, bool, json.Number:
		return fmt.Sprint(t)
	}
	return ""
}

// Set stores v at a dotted path, creating the objects on the way.
func (e Event) Set(path string, v any) {
	parts := strings.Split(path, ".")
	m := map[string]any(e)
	for _, part := range parts[:len(parts)-1] {
		next, ok := asMap(m[part])
		if !ok {
			next = map[string]any{}
			m[part] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// ID is event.id.
func (e Event) ID() string { return e.String(FieldID) }

// AgentID is agent.id.
func (e Event) AgentID() string { return e.String(FieldAgentID) }

// Timestamp parses @timestamp; the zero time when it is absent or invalid.
func (e Event) Timestamp() time.Time {
	t, err := time.Parse(time.RFC3339Nano, e.String(FieldTimestamp))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Errors returned by Validate and Decode.
var (
	ErrMissingField = errors.New("missing required field")
	ErrInvalidField = errors.New("invalid field")
	ErrTooLarge     = errors.New("event too large")
)

// Validate checks what every stored event must have: event.id,
// @timestamp (RFC 3339), event.category, event.action and agent.id, each
// a string (one category per event, unlike ECS's array).
func (e Event) Validate() error {
	for _, f := range []string{FieldID, FieldTimestamp, FieldCategory, FieldAction, FieldAgentID} {
		if e.String(f) != "" {
			continue
		}
		if v, ok := e.Get(f); ok && v != nil && v != "" {
			// ECS allows arrays for event.category; a Vigil event has one
			// category, the one rules and filters select on.
			return fmt.Errorf("%w: %s must be a non-empty string, not %T", ErrInvalidField, f, v)
		}
		return fmt.Errorf("%w: %s", ErrMissingField, f)
	}
	if len(e.ID()) > 128 {
		return fmt.Errorf("%w: %s longer than 128 bytes", ErrInvalidField, FieldID)
	}
	if e.Timestamp().IsZero() {
		return fmt.Errorf("%w: %s %q is not RFC 3339", ErrInvalidField, FieldTimestamp, e.String(FieldTimestamp))
	}
	return nil
}

// Decode parses one JSON object and validates it. Numbers are
// json.Number, so that integers above 2^53 stay exact. Anything but white
// space after the object is an error.
func Decode(data []byte) (Event, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrTooLarge, len(data), MaxSize)
	}
	e, err := DecodeJSONNumbers(data)
	if errors.Is(err, ErrJSONNotObject) {
		return nil, fmt.Errorf("decode event: %w: %w", ErrInvalidField, err)
	}
	if err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	return e, nil
}

// Text is the free text searched by the events API's q filter: message,
// command line, executable and file path, joined by spaces.
func (e Event) Text() string {
	var parts []string
	for _, f := range []string{FieldMessage, FieldProcessCmd, FieldProcessExe, FieldFilePath, FieldUserName, FieldSourceIP, FieldDestIP} {
		if s := e.String(f); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case Event:
		return m, true
	}
	return nil, false
}
