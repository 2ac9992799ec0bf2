package osv

import (
	"encoding/json"
	"fmt"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// Level is a severity label.
type Level string

// Severity levels, from most to least severe; LevelUnknown when nothing
// usable rates the advisory.
const (
	LevelCritical Level = "critical"
	LevelHigh     Level = "high"
	LevelMedium   Level = "medium"
	LevelLow      Level = "low"
	LevelNone     Level = "none"
	LevelUnknown  Level = "unknown"
)

// Rank orders levels: higher is more severe; unknown (and any other
// value) ranks lowest.
func (l Level) Rank() int {
	switch l {
	case LevelCritical:
		return 5
	case LevelHigh:
		return 4
	case LevelMedium:
		return 3
	case LevelLow:
		return 2
	case LevelNone:
		return 1
	}
	return 0
}

// Rating is the severity of an advisory.
type Rating struct {
	Level Level `json:"level"`
	// Score is the CVSS base score; 0 when the level comes from a
	// textual rating.
	Score float64 `json:"score,omitempty"`
	// Source names where the level comes from: CVSS_V4, CVSS_V3, CVSS_V2,
	// or the textual rating used ("database_specific.severity", "Ubuntu",
	// "urgency").
	Source string `json:"source,omitempty"`
	// Vector is the CVSS vector used.
	Vector string `json:"vector,omitempty"`
	// Ignored lists ratings that could not be used, with the reason.
	Ignored []string `json:"ignored,omitempty"`
}

// Severity rates a record from its CVSS vectors, at record or affected
// level, the highest CVSS version winning (and the highest score among
// vectors of that version). Without a usable vector it falls back to the
// textual ratings feeds carry: GitHub's database_specific.severity
// (CRITICAL, HIGH, MODERATE, LOW), Ubuntu's severity type, Debian's
// urgency, taking the most severe. Malformed vectors and unknown labels
// are listed in Ignored.
func Severity(r *Record) Rating {
	var out Rating
	var best *CVSS
	consider := func(s SeverityScore) {
		switch s.Type {
		case SeverityCVSSv2, SeverityCVSSv3, SeverityCVSSv4:
		default:
			return
		}
		c, err := ParseCVSS(s.Score)
		if err != nil {
			out.Ignored = append(out.Ignored, fmt.Sprintf("%s %q: %v", s.Type, s.Score, err))
			return
		}
		if best == nil || c.version > best.version || (c.version == best.version && c.Score > best.Score) {
			best = &c
		}
	}
	for _, s := range r.Severity {
		consider(s)
	}
	for _, a := range r.Affected {
		for _, s := range a.Severity {
			consider(s)
		}
	}
	if best != nil {
		out.Score = best.Score
		out.Vector = best.Vector
		out.Source = cvssSource(best.version)
		out.Level = best.Level
		return out
	}

	out.Level = LevelUnknown
	text := func(source, value string) {
		if value == "" {
			return
		}
		l, ok := LevelFromText(value)
		if !ok {
			out.Ignored = append(out.Ignored, fmt.Sprintf("%s %q: not a severity label", source, value))
			return
		}
		if l.Rank() > out.Level.Rank() {
			out.Level, out.Source = l, source
		}
	}
	text("database_specific.severity", stringField(r.DatabaseSpecific, "severity"))
	for _, s := range r.Severity {
		if s.Type == SeverityUbuntu {
			text(SeverityUbuntu, s.Score)
		}
	}
	for _, a := range r.Affected {
		for _, s := range a.Severity {
			if s.Type == SeverityUbuntu {
				text(SeverityUbuntu, s.Score)
			}
		}
		text("database_specific.severity", stringField(a.DatabaseSpecific, "severity"))
		text("ecosystem_specific.severity", stringField(a.EcosystemSpecific, "severity"))
		text("urgency", stringField(a.EcosystemSpecific, "urgency"))
		text("urgency", stringField(a.DatabaseSpecific, "urgency"))
	}
	text("urgency", stringField(r.DatabaseSpecific, "urgency"))
	return out
}

func cvssSource(version int) string {
	switch {
	case version >= 40:
		return SeverityCVSSv4
	case version >= 30:
		return SeverityCVSSv3
	}
	return SeverityCVSSv2
}

// levelOfScore maps a base score to its qualitative rating: CVSS v3 and
// v4 define none/low/medium/high/critical; CVSS v2 has no critical and
// no none (NVD's low/medium/high bands).
func levelOfScore(version int, score float64) Level {
	if version < 30 {
		switch {
		case score >= 7.0:
			return LevelHigh
		case score >= 4.0:
			return LevelMedium
		}
		return LevelLow
	}
	switch {
	case score >= 9.0:
		return LevelCritical
	case score >= 7.0:
		return LevelHigh
	case score >= 4.0:
		return LevelMedium
	case score >= 0.1:
		return LevelLow
	}
	return LevelNone
}

// CVSS is a parsed CVSS vector's version and base score.
type CVSS struct {
	// Version is "2.0", "3.0", "3.1" or "4.0".
	Version string
	Vector  string
	Score   float64
	Level   Level
	version int // 20, 30, 31, 40: orders versions
}

func newCVSS(version int, vector string, score float64) CVSS {
	return CVSS{
		Version: fmt.Sprintf("%d.%d", version/10, version%10),
		Vector:  vector,
		Score:   score,
		Level:   levelOfScore(version, score),
		version: version,
	}
}

// ParseCVSS parses a CVSS vector (v2 with or without a "CVSS:2.0/"
// prefix or parentheses, v3.0, v3.1, v4.0) and returns its base score.
func ParseCVSS(vector string) (CVSS, error) {
	v := strings.TrimSpace(vector)
	switch {
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(v)
		if err != nil {
			return CVSS{}, fmt.Errorf("CVSS v4.0: %w", err)
		}
		return newCVSS(40, v, c.Score()), nil
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(v)
		if err != nil {
			return CVSS{}, fmt.Errorf("CVSS v3.1: %w", err)
		}
		return newCVSS(31, v, c.BaseScore()), nil
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return CVSS{}, fmt.Errorf("CVSS v3.0: %w", err)
		}
		return newCVSS(30, v, c.BaseScore()), nil
	case strings.HasPrefix(v, "CVSS:"):
		return CVSS{}, fmt.Errorf("unsupported CVSS version %q", strings.SplitN(v, "/", 2)[0])
	}
	v2 := strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(v, "("), ")"), "CVSS:2.0/")
	if v2 == "" {
		return CVSS{}, fmt.Errorf("empty vector")
	}
	c, err := gocvss20.ParseVector(v2)
	if err != nil {
		return CVSS{}, fmt.Errorf("CVSS v2.0: %w", err)
	}
	return newCVSS(20, v, c.BaseScore()), nil
}

// LevelFromText maps a feed's textual severity to a level: critical;
// high or important (Red Hat); medium or moderate (GitHub, Red Hat);
// low, negligible (Ubuntu) or unimportant (Debian); none. Case, a
// trailing note and Debian's "**" marks are ignored. Labels that say
// nothing of the severity ("not yet assigned", "unknown") are not
// levels.
func LevelFromText(s string) (Level, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimRight(s, "*")
	if f := strings.Fields(s); len(f) > 0 {
		s = strings.TrimRight(f[0], "*,;")
	}
	switch s {
	case "critical":
		return LevelCritical, true
	case "high", "important":
		return LevelHigh, true
	case "medium", "moderate":
		return LevelMedium, true
	case "low", "negligible", "unimportant":
		return LevelLow, true
	case "none":
		return LevelNone, true
	}
	return LevelUnknown, false
}

// stringField returns a string member of a JSON object, "" when the
// object or the member is absent or not a string.
func stringField(raw json.RawMessage, key string) string {
	if len(raw) == 0 || raw[0] != '{' {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[key], &s) != nil {
		return ""
	}
	return s
}
