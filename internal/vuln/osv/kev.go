package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidKEV is wrapped by every error ParseKEV returns for input that
// is not a Known Exploited Vulnerabilities catalog.
var ErrInvalidKEV = errors.New("invalid Known Exploited Vulnerabilities catalog")

// KEVCatalog is CISA's Known Exploited Vulnerabilities catalog.
type KEVCatalog struct {
	Title           string     `json:"title"`
	CatalogVersion  string     `json:"catalogVersion"`
	DateReleased    time.Time  `json:"dateReleased,omitzero"`
	Vulnerabilities []KEVEntry `json:"vulnerabilities"`
	// Skipped lists entries left out because they were malformed, with
	// the reason; File is "vulnerabilities[N]".
	Skipped []Problem `json:"skipped,omitempty"`
}

// KEVEntry is one vulnerability known to be exploited.
type KEVEntry struct {
	CVEID             string    `json:"cveID"`
	VendorProject     string    `json:"vendorProject"`
	Product           string    `json:"product"`
	VulnerabilityName string    `json:"vulnerabilityName"`
	DateAdded         time.Time `json:"dateAdded,omitzero"`
	ShortDescription  string    `json:"shortDescription,omitempty"`
	RequiredAction    string    `json:"requiredAction,omitempty"`
	DueDate           time.Time `json:"dueDate,omitzero"`
	// KnownRansomwareCampaignUse is "Known" or "Unknown".
	KnownRansomwareCampaignUse string   `json:"knownRansomwareCampaignUse,omitempty"`
	Notes                      string   `json:"notes,omitempty"`
	CWEs                       []string `json:"cwes,omitempty"`
}

// UsedByRansomware tells whether the catalog knows of ransomware
// campaigns using the vulnerability.
func (e KEVEntry) UsedByRansomware() bool {
	return strings.EqualFold(strings.TrimSpace(e.KnownRansomwareCampaignUse), "Known")
}

type wireKEV struct {
	Title           string          `json:"title"`
	CatalogVersion  string          `json:"catalogVersion"`
	DateReleased    string          `json:"dateReleased"`
	Vulnerabilities *[]wireKEVEntry `json:"vulnerabilities"`
}

type wireKEVEntry struct {
	CVEID                      string   `json:"cveID"`
	VendorProject              string   `json:"vendorProject"`
	Product                    string   `json:"product"`
	VulnerabilityName          string   `json:"vulnerabilityName"`
	DateAdded                  string   `json:"dateAdded"`
	ShortDescription           string   `json:"shortDescription"`
	RequiredAction             string   `json:"requiredAction"`
	DueDate                    string   `json:"dueDate"`
	KnownRansomwareCampaignUse string   `json:"knownRansomwareCampaignUse"`
	Notes                      string   `json:"notes"`
	CWEs                       []string `json:"cwes"`
}

// ParseKEV decodes the catalog. Input without a vulnerabilities list is
// an error; an entry without a valid CVE id or with a malformed date is
// left out and listed in Skipped.
func ParseKEV(data []byte) (*KEVCatalog, error) {
	var w wireKEV
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKEV, describeJSONError(err))
	}
	if w.Vulnerabilities == nil {
		return nil, fmt.Errorf("%w: vulnerabilities: missing", ErrInvalidKEV)
	}
	c := &KEVCatalog{Title: w.Title, CatalogVersion: w.CatalogVersion}
	if w.DateReleased != "" {
		t, err := time.Parse(time.RFC3339Nano, w.DateReleased)
		if err != nil {
			return nil, fmt.Errorf("%w: dateReleased: not an RFC 3339 timestamp: %q", ErrInvalidKEV, w.DateReleased)
		}
		c.DateReleased = t.UTC()
	}
	c.Vulnerabilities = make([]KEVEntry, 0, len(*w.Vulnerabilities))
	for i, we := range *w.Vulnerabilities {
		e, err := we.entry()
		if err != nil {
			c.Skipped = append(c.Skipped, Problem{File: fmt.Sprintf("vulnerabilities[%d]", i), Reason: err.Error()})
			continue
		}
		c.Vulnerabilities = append(c.Vulnerabilities, e)
	}
	return c, nil
}

func (we wireKEVEntry) entry() (KEVEntry, error) {
	e := KEVEntry{
		CVEID:                      strings.ToUpper(strings.TrimSpace(we.CVEID)),
		VendorProject:              we.VendorProject,
		Product:                    we.Product,
		VulnerabilityName:          we.VulnerabilityName,
		ShortDescription:           we.ShortDescription,
		RequiredAction:             we.RequiredAction,
		KnownRansomwareCampaignUse: we.KnownRansomwareCampaignUse,
		Notes:                      we.Notes,
		CWEs:                       we.CWEs,
	}
	if !IsCVE(e.CVEID) {
		return e, fmt.Errorf("cveID: not a CVE id: %q", we.CVEID)
	}
	var err error
	if e.DateAdded, err = parseDay(we.DateAdded); err != nil {
		return e, fmt.Errorf("%s: dateAdded: %w", e.CVEID, err)
	}
	if e.DueDate, err = parseDay(we.DueDate); err != nil {
		return e, fmt.Errorf("%s: dueDate: %w", e.CVEID, err)
	}
	return e, nil
}

func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not a YYYY-MM-DD date: %q", s)
	}
	return t, nil
}

// CVEs returns the catalog's CVE ids.
func (c *KEVCatalog) CVEs() []string {
	out := make([]string, 0, len(c.Vulnerabilities))
	for _, e := range c.Vulnerabilities {
		out = append(out, e.CVEID)
	}
	return out
}

// Format is the kind of a JSON feed file.
type Format int

// Formats Detect tells apart.
const (
	FormatUnknown Format = iota
	// FormatOSV is one OSV record.
	FormatOSV
	// FormatOSVList is a JSON array (of OSV records, presumably).
	FormatOSVList
	// FormatKEV is a Known Exploited Vulnerabilities catalog.
	FormatKEV
)

// String names the format.
func (f Format) String() string {
	switch f {
	case FormatOSV:
		return "osv"
	case FormatOSVList:
		return "osv-list"
	case FormatKEV:
		return "kev"
	}
	return "unknown"
}

// Detect tells an OSV record, an array of records and a KEV catalog apart
// by their top-level keys, without checking the rest.
func Detect(data []byte) Format {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return FormatUnknown
	}
	if trimmed[0] == '[' {
		if json.Valid(trimmed) {
			return FormatOSVList
		}
		return FormatUnknown
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return FormatUnknown
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	switch {
	case has("vulnerabilities") && (has("catalogVersion") || has("dateReleased") || has("count")):
		return FormatKEV
	case has("id") && (has("modified") || has("affected") || has("schema_version")):
		return FormatOSV
	}
	return FormatUnknown
}
