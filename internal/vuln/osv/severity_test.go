package osv

import (
	"strings"
	"testing"
)

func TestSeverity(t *testing.T) {
	const (
		log4jV3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H" // 10.0
		log4jV2 = "AV:N/AC:M/Au:N/C:C/I:C/A:C"                   // 9.3
		// CVE-2023-5363 (openssl): 7.5 in CVSS v3.1.
		opensslV3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
		// A CVSS v4.0 vector scoring 9.3.
		v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
	)
	tests := []struct {
		name        string
		rec         Record
		level       Level
		score       float64
		source      string
		ignoredPart string
	}{
		{
			name:  "CVSS v3.1 vector",
			rec:   Record{Severity: []SeverityScore{{SeverityCVSSv3, log4jV3}}},
			level: LevelCritical, score: 10.0, source: SeverityCVSSv3,
		},
		{
			name:  "CVSS v2 alone: NVD bands, no critical",
			rec:   Record{Severity: []SeverityScore{{SeverityCVSSv2, log4jV2}}},
			level: LevelHigh, score: 9.3, source: SeverityCVSSv2,
		},
		{
			name:  "CVSS v2 in parentheses with a prefix",
			rec:   Record{Severity: []SeverityScore{{SeverityCVSSv2, "(CVSS:2.0/AV:N/AC:L/Au:N/C:N/I:N/A:P)"}}},
			level: LevelMedium, score: 5.0, source: SeverityCVSSv2,
		},
		{
			name:  "v3 wins over v2 even with a lower score",
			rec:   Record{Severity: []SeverityScore{{SeverityCVSSv2, log4jV2}, {SeverityCVSSv3, opensslV3}}},
			level: LevelHigh, score: 7.5, source: SeverityCVSSv3,
		},
		{
			name:  "v4 wins over v3",
			rec:   Record{Severity: []SeverityScore{{SeverityCVSSv3, opensslV3}, {SeverityCVSSv4, v4}}},
			level: LevelCritical, score: 9.3, source: SeverityCVSSv4,
		},
		{
			name: "affected-level vector",
			rec: Record{Affected: []Affected{{Severity: []SeverityScore{{SeverityCVSSv3, opensslV3}}}},
				DatabaseSpecific: []byte(`{"severity":"LOW"}`)},
			level: LevelHigh, score: 7.5, source: SeverityCVSSv3,
		},
		{
			name:  "highest score among vectors of one version",
			rec:   Record{Severity: []SeverityScore{{SeverityCVSSv3, opensslV3}}, Affected: []Affected{{Severity: []SeverityScore{{SeverityCVSSv3, log4jV3}}}}},
			level: LevelCritical, score: 10.0, source: SeverityCVSSv3,
		},
		{
			name: "bad vector ignored, GitHub label used",
			rec: Record{Severity: []SeverityScore{{SeverityCVSSv3, "CVSS:3.1/AV:X/AC:L"}},
				DatabaseSpecific: []byte(`{"severity":"MODERATE","github_reviewed":true}`)},
			level: LevelMedium, source: "database_specific.severity", ignoredPart: `CVSS_V3 "CVSS:3.1/AV:X/AC:L"`,
		},
		{
			name:  "unsupported CVSS version ignored",
			rec:   Record{Severity: []SeverityScore{{SeverityCVSSv3, "CVSS:5.0/AV:N"}}},
			level: LevelUnknown, ignoredPart: "unsupported CVSS version",
		},
		{
			name:  "Ubuntu priority",
			rec:   Record{Severity: []SeverityScore{{SeverityUbuntu, "negligible"}, {SeverityUbuntu, "high"}}},
			level: LevelHigh, source: SeverityUbuntu,
		},
		{
			name: "Debian urgency with the tracker's marks",
			rec: Record{Affected: []Affected{
				{EcosystemSpecific: []byte(`{"urgency":"low**"}`)},
				{EcosystemSpecific: []byte(`{"urgency":"not yet assigned"}`)},
			}},
			level: LevelLow, source: "urgency", ignoredPart: `urgency "not yet assigned"`,
		},
		{
			name:  "Red Hat's important",
			rec:   Record{Affected: []Affected{{DatabaseSpecific: []byte(`{"severity":"Important"}`)}}},
			level: LevelHigh, source: "database_specific.severity",
		},
		{
			name:  "nothing to rate",
			rec:   Record{DatabaseSpecific: []byte(`{"severity":5}`)},
			level: LevelUnknown,
		},
		{
			name:  "CVSS 0.0 is none",
			rec:   Record{Severity: []SeverityScore{{SeverityCVSSv3, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"}}},
			level: LevelNone, score: 0, source: SeverityCVSSv3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Severity(&tt.rec)
			if got.Level != tt.level || got.Score != tt.score || got.Source != tt.source {
				t.Errorf("Severity = %+v, want level %s score %v source %q", got, tt.level, tt.score, tt.source)
			}
			if tt.ignoredPart != "" && !strings.Contains(strings.Join(got.Ignored, "\n"), tt.ignoredPart) {
				t.Errorf("ignored = %q, want one naming %q", got.Ignored, tt.ignoredPart)
			}
			if tt.ignoredPart == "" && len(got.Ignored) > 0 {
				t.Errorf("ignored = %q, want none", got.Ignored)
			}
		})
	}
}

func TestLevelRank(t *testing.T) {
	order := []Level{LevelUnknown, LevelNone, LevelLow, LevelMedium, LevelHigh, LevelCritical}
	for i := 1; i < len(order); i++ {
		if order[i].Rank() <= order[i-1].Rank() {
			t.Errorf("%s ranks %d, not above %s (%d)", order[i], order[i].Rank(), order[i-1], order[i-1].Rank())
		}
	}
}
