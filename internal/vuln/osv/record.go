// Package osv reads vulnerability advisories in the Open Source
// Vulnerability format (https://ossf.github.io/osv-schema/) and CISA's
// Known Exploited Vulnerabilities catalog, and rates an advisory's
// severity.
//
// The types here are the project's own, so that a record can be checked
// field by field on the way in: Parse ignores fields it does not know (the
// schema grows) but rejects a record whose known fields are malformed,
// with an error naming the field.
package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrInvalidRecord is wrapped by every error Parse returns for a record
// that is not valid OSV.
var ErrInvalidRecord = errors.New("invalid OSV record")

// Range types.
const (
	RangeEcosystem = "ECOSYSTEM"
	RangeSemver    = "SEMVER"
	RangeGit       = "GIT"
)

// Severity types.
const (
	SeverityCVSSv2 = "CVSS_V2"
	SeverityCVSSv3 = "CVSS_V3"
	SeverityCVSSv4 = "CVSS_V4"
	SeverityUbuntu = "Ubuntu"
)

// Record is one OSV advisory.
type Record struct {
	SchemaVersion string    `json:"schema_version,omitempty"`
	ID            string    `json:"id"`
	Modified      time.Time `json:"modified"`
	Published     time.Time `json:"published,omitzero"`
	// Withdrawn is set when the advisory was taken back; such a record
	// must not be matched.
	Withdrawn  time.Time       `json:"withdrawn,omitzero"`
	Aliases    []string        `json:"aliases,omitempty"`
	Upstream   []string        `json:"upstream,omitempty"`
	Related    []string        `json:"related,omitempty"`
	Summary    string          `json:"summary,omitempty"`
	Details    string          `json:"details,omitempty"`
	Severity   []SeverityScore `json:"severity,omitempty"`
	Affected   []Affected      `json:"affected,omitempty"`
	References []Reference     `json:"references,omitempty"`
	Credits    []Credit        `json:"credits,omitempty"`
	// DatabaseSpecific is the feed's own data, kept as written.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// SeverityScore is one severity rating: a CVSS vector or a feed's own label.
type SeverityScore struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected names a package and the versions of it an advisory affects.
type Affected struct {
	// Package is nil for an entry that only names git ranges.
	Package           *Package        `json:"package,omitempty"`
	Severity          []SeverityScore `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Package identifies a package in an ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a series of version events of one type.
type Range struct {
	Type             string          `json:"type"`
	Repo             string          `json:"repo,omitempty"`
	Events           []Event         `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one point of a range; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// EventKind tells which field of an event is set.
type EventKind uint8

// Event kinds.
const (
	EventIntroduced EventKind = iota + 1
	EventFixed
	EventLastAffected
	EventLimit
)

// Kind returns which field of the event is set.
func (e Event) Kind() EventKind {
	switch {
	case e.Introduced != "":
		return EventIntroduced
	case e.Fixed != "":
		return EventFixed
	case e.LastAffected != "":
		return EventLastAffected
	case e.Limit != "":
		return EventLimit
	}
	return 0
}

// Version returns the version the event names.
func (e Event) Version() string {
	return e.Introduced + e.Fixed + e.LastAffected + e.Limit
}

// Reference is a link about the advisory.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Credit names someone credited in the advisory.
type Credit struct {
	Name    string   `json:"name"`
	Contact []string `json:"contact,omitempty"`
	Type    string   `json:"type,omitempty"`
}

// The wire forms keep what the public types cannot tell apart: a
// missing timestamp from a malformed one, and how many keys an event has.
type wireRecord struct {
	SchemaVersion    string          `json:"schema_version"`
	ID               string          `json:"id"`
	Modified         *string         `json:"modified"`
	Published        *string         `json:"published"`
	Withdrawn        *string         `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Upstream         []string        `json:"upstream"`
	Related          []string        `json:"related"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []SeverityScore `json:"severity"`
	Affected         []wireAffected  `json:"affected"`
	References       []Reference     `json:"references"`
	Credits          []Credit        `json:"credits"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type wireAffected struct {
	Package           *Package        `json:"package"`
	Severity          []SeverityScore `json:"severity"`
	Ranges            []wireRange     `json:"ranges"`
	Versions          []string        `json:"versions"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	DatabaseSpecific  json.RawMessage `json:"database_specific"`
}

type wireRange struct {
	Type             string          `json:"type"`
	Repo             string          `json:"repo"`
	Events           []wireEvent     `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type wireEvent struct {
	Introduced   *string `json:"introduced"`
	Fixed        *string `json:"fixed"`
	LastAffected *string `json:"last_affected"`
	Limit        *string `json:"limit"`
}

// Parse decodes and checks one OSV record. Unknown fields are ignored; a
// record without id or modified, with a malformed timestamp, a range of
// unknown type or without events, an event with zero or several keys, or
// an affected entry that names neither a package nor versions is
// rejected with an error naming the field.
func Parse(data []byte) (*Record, error) {
	var w wireRecord
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRecord, describeJSONError(err))
	}
	return w.record()
}

// describeJSONError names the field of a type mismatch.
func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%s: %s where %s is expected", te.Field, te.Value, te.Type)
	}
	return err
}

func invalid(id, field, format string, args ...any) error {
	where := field
	if id != "" {
		where = id + ": " + field
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalidRecord, where, fmt.Sprintf(format, args...))
}

func (w *wireRecord) record() (*Record, error) {
	id := strings.TrimSpace(w.ID)
	if id == "" {
		return nil, invalid("", "id", "missing")
	}
	r := &Record{
		SchemaVersion:    w.SchemaVersion,
		ID:               id,
		Aliases:          w.Aliases,
		Upstream:         w.Upstream,
		Related:          w.Related,
		Summary:          w.Summary,
		Details:          w.Details,
		Severity:         w.Severity,
		References:       w.References,
		Credits:          w.Credits,
		DatabaseSpecific: nullToNil(w.DatabaseSpecific),
	}
	if w.Modified == nil {
		return nil, invalid(id, "modified", "missing")
	}
	var err error
	if r.Modified, err = parseTime(*w.Modified); err != nil {
		return nil, invalid(id, "modified", "%v", err)
	}
	if w.Published != nil {
		if r.Published, err = parseTime(*w.Published); err != nil {
			return nil, invalid(id, "published", "%v", err)
		}
	}
	if w.Withdrawn != nil {
		if r.Withdrawn, err = parseTime(*w.Withdrawn); err != nil {
			return nil, invalid(id, "withdrawn", "%v", err)
		}
	}
	for i, s := range w.Severity {
		if s.Type == "" {
			return nil, invalid(id, fmt.Sprintf("severity[%d].type", i), "missing")
		}
	}
	if len(w.Affected) > 0 {
		r.Affected = make([]Affected, len(w.Affected))
	}
	for i := range w.Affected {
		a, err := w.Affected[i].affected(id, fmt.Sprintf("affected[%d]", i))
		if err != nil {
			return nil, err
		}
		r.Affected[i] = a
	}
	return r, nil
}

func (wa *wireAffected) affected(id, field string) (Affected, error) {
	a := Affected{
		Package:           wa.Package,
		Severity:          wa.Severity,
		Versions:          wa.Versions,
		EcosystemSpecific: nullToNil(wa.EcosystemSpecific),
		DatabaseSpecific:  nullToNil(wa.DatabaseSpecific),
	}
	if wa.Package == nil && len(wa.Ranges) == 0 && len(wa.Versions) == 0 {
		return a, invalid(id, field+".package", "missing, and the entry has no ranges or versions")
	}
	if p := wa.Package; p != nil {
		if strings.TrimSpace(p.Ecosystem) == "" {
			return a, invalid(id, field+".package.ecosystem", "missing")
		}
		if strings.TrimSpace(p.Name) == "" {
			return a, invalid(id, field+".package.name", "missing")
		}
	}
	for i, s := range wa.Severity {
		if s.Type == "" {
			return a, invalid(id, fmt.Sprintf("%s.severity[%d].type", field, i), "missing")
		}
	}
	for i, v := range wa.Versions {
		if v == "" {
			return a, invalid(id, fmt.Sprintf("%s.versions[%d]", field, i), "empty")
		}
	}
	if len(wa.Ranges) > 0 {
		a.Ranges = make([]Range, len(wa.Ranges))
	}
	for i, wr := range wa.Ranges {
		rf := fmt.Sprintf("%s.ranges[%d]", field, i)
		switch wr.Type {
		case RangeEcosystem, RangeSemver, RangeGit:
		case "":
			return a, invalid(id, rf+".type", "missing")
		default:
			return a, invalid(id, rf+".type", "unknown range type %q", wr.Type)
		}
		if len(wr.Events) == 0 {
			return a, invalid(id, rf+".events", "missing or empty")
		}
		rg := Range{Type: wr.Type, Repo: wr.Repo, Events: make([]Event, len(wr.Events)), DatabaseSpecific: nullToNil(wr.DatabaseSpecific)}
		for j, we := range wr.Events {
			e, err := we.event()
			if err != nil {
				return a, invalid(id, fmt.Sprintf("%s.events[%d]", rf, j), "%v", err)
			}
			rg.Events[j] = e
		}
		a.Ranges[i] = rg
	}
	return a, nil
}

func (we wireEvent) event() (Event, error) {
	var keys []string
	var e Event
	set := func(name string, src *string, dst *string) error {
		if src == nil {
			return nil
		}
		keys = append(keys, name)
		if *src == "" {
			return fmt.Errorf("%s is empty", name)
		}
		*dst = *src
		return nil
	}
	for _, f := range []struct {
		name string
		src  *string
		dst  *string
	}{
		{"introduced", we.Introduced, &e.Introduced},
		{"fixed", we.Fixed, &e.Fixed},
		{"last_affected", we.LastAffected, &e.LastAffected},
		{"limit", we.Limit, &e.Limit},
	} {
		if err := set(f.name, f.src, f.dst); err != nil {
			return e, err
		}
	}
	switch len(keys) {
	case 1:
		return e, nil
	case 0:
		return e, errors.New("no introduced, fixed, last_affected or limit key")
	default:
		return e, fmt.Errorf("has %d keys (%s), want exactly one", len(keys), strings.Join(keys, ", "))
	}
}

// parseTime reads an RFC 3339 timestamp; OSV asks for UTC with a "Z"
// but feeds also write offsets, which are converted to UTC.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("not an RFC 3339 timestamp: %q", s)
	}
	return t.UTC(), nil
}

func nullToNil(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || bytes.Equal(bytes.TrimSpace(m), []byte("null")) {
		return nil
	}
	return m
}

// CVEs returns the CVE identifiers a record names as itself, an alias or
// an upstream vulnerability, upper-cased, sorted and without duplicates.
func (r *Record) CVEs() []string {
	return CVEsOf(r.ID, r.Aliases, r.Upstream)
}

// CVEsOf returns the CVE identifiers among id and the lists, upper-cased,
// sorted and without duplicates.
func CVEsOf(id string, lists ...[]string) []string {
	var out []string
	add := func(s string) {
		if IsCVE(s) {
			out = append(out, strings.ToUpper(strings.TrimSpace(s)))
		}
	}
	add(id)
	for _, l := range lists {
		for _, s := range l {
			add(s)
		}
	}
	return sortUnique(out)
}

// IsCVE tells whether s is a CVE identifier (CVE-YYYY-NNNN...).
func IsCVE(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < len("CVE-2000-0000") || !strings.EqualFold(s[:4], "CVE-") {
		return false
	}
	year, num, ok := strings.Cut(s[4:], "-")
	if !ok || len(year) != 4 || len(num) < 4 {
		return false
	}
	return allDigits(year) && allDigits(num)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func sortUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
