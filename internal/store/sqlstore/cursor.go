package sqlstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/vigilsec/vigil/internal/store"
)

// ErrBadCursor is returned (wrapped) for a listing cursor that this store
// did not issue for that listing.
var ErrBadCursor = store.ErrBadCursor

// maxCursorLen bounds what DecodeCursor reads; real cursors are far shorter.
const maxCursorLen = 2048

// Cursor is the decoded form of the opaque cursor strings of listings: the
// sort key of the last item returned and the listing it belongs to.
type Cursor struct {
	Kind string `json:"k"`           // the listing that issued it
	N    int64  `json:"n,omitempty"` // numeric part of the sort key
	S    string `json:"s,omitempty"` // first text part of the sort key
	T    string `json:"t,omitempty"` // second text part of the sort key
	U    string `json:"u,omitempty"` // third text part of the sort key
	V    string `json:"v,omitempty"` // fourth text part of the sort key
}

// Listing kinds, one per sort order.
const (
	kindAgents         = "agents"         // S hostname, T id
	kindJoinToken      = "jointoken"      // N created_at, S id
	kindEvents         = "events"         // N seq
	kindAlerts         = "alerts"         // N created_at, S id
	kindUsers          = "users"          // S name
	kindAPITokens      = "apitokens"      // N created_at, S id
	kindAudit          = "audit"          // N id
	kindAssets         = "assets"         // S agent_id, T kind, U key, V collector
	kindAssetSet       = "assetset"       // S kind, T key
	kindAssetLog       = "assetlog"       // N id
	kindExceptions     = "exceptions"     // N created_at, S id
	kindIncidents      = "incidents"      // N last_seen, S id
	kindIncidentAlerts = "incidentalerts" // N created_at, S alert id, T incident id
	kindAdvisories     = "advisories"     // S id
	kindFindings       = "findings"       // N sev_rank, S score, T agent_id, U vuln_id, V asset_key
	kindVulnSummaries  = "vulnsummaries"  // N sev_rank, S hosts, T vuln_id
	kindScores         = "scores"         // N at, S agent_id, T policy_id
	kindIndicators     = "indicators"     // S type, T value, U source
	kindLoginProfiles  = "loginprofiles"  // S agent_id, T user_name
)

// Encode returns the opaque string form of c.
func (c Cursor) Encode() string {
	b, err := json.Marshal(c)
	if err != nil {
		// A struct of strings and an integer always encodes.
		panic(fmt.Sprintf("encode cursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses a cursor string issued for listing kind. An empty
// string is the start of the listing (ok false). Anything that is not a
// cursor of that kind returns an error wrapping ErrBadCursor.
func DecodeCursor(s, kind string) (c Cursor, ok bool, err error) {
	if s == "" {
		return Cursor{}, false, nil
	}
	if len(s) > maxCursorLen {
		return Cursor{}, false, fmt.Errorf("%w: too long", ErrBadCursor)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, false, fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Cursor{}, false, fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Cursor{}, false, fmt.Errorf("%w: trailing data", ErrBadCursor)
	}
	if c.Kind != kind {
		return Cursor{}, false, fmt.Errorf("%w: issued for another listing", ErrBadCursor)
	}
	return c, true, nil
}

// limitOf applies the store's bounds to a requested page size.
func limitOf(n int) int {
	switch {
	case n <= 0:
		return store.DefaultLimit
	case n > store.MaxLimit:
		return store.MaxLimit
	}
	return n
}

// pageOf trims items fetched with limit+1 to limit and returns the cursor
// of the next page ("" when there is none).
func pageOf[T any](items []T, limit int, key func(T) Cursor) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, key(items[limit-1]).Encode()
}
