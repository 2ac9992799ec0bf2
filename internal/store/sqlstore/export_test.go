package sqlstore

import (
	"database/sql"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// AssetListSQL returns the query List runs for f, rebound for the
// dialect, starting after a cursor when after is set.
func (s *Store) AssetListSQL(f store.AssetFilter, after bool) (string, []any) {
	var c *Cursor
	if after {
		c = &Cursor{Kind: kindAssets, S: "agent-0150", T: "package", U: "p7:amd64", V: "os/dpkg"}
	}
	q, args := assetListSQL(f, c)
	return s.sql(q + " LIMIT 101"), args
}

// ReadDB returns the handle reads go through.
func (s *Store) ReadDB() *sql.DB { return s.r }

// AdvisoryListSQL returns the query ListAdvisories runs for f, rebound
// for the dialect, starting after a cursor when after is set.
func (s *Store) AdvisoryListSQL(f store.AdvisoryFilter, after bool) (string, []any, error) {
	var c *Cursor
	if after {
		c = &Cursor{Kind: kindAdvisories, S: "DEBIAN-CVE-2024-01000"}
	}
	q, args, err := advisoryListSQL(f, c)
	return s.sql(q + " LIMIT 101"), args, err
}

// FindingListSQL returns the query ListFindings runs for f, rebound for
// the dialect, starting after a cursor when after is set.
func (s *Store) FindingListSQL(f store.VulnFindingFilter, after bool) (string, []any, error) {
	var c *Cursor
	if after {
		c = &Cursor{Kind: kindFindings, N: 1, S: "7.5", T: "agent-0150", U: "CVE-2024-00300", V: "lib00300-1:amd64"}
	}
	q, args, err := findingListSQL(f, c)
	return s.sql(q + " LIMIT 101"), args, err
}

// VulnSummarySQL returns the aggregate query VulnSummaries runs for f,
// rebound for the dialect, starting after a cursor when after is set.
func (s *Store) VulnSummarySQL(f store.VulnFindingFilter, after bool) (string, []any, error) {
	var c *Cursor
	if after {
		c = &Cursor{Kind: kindVulnSummaries, N: 1, S: "40", T: "CVE-2024-00300"}
	}
	q, args, _, err := vulnSummarySQL(f, c)
	return s.sql(q + " LIMIT 101"), args, err
}

// ScoreListSQL returns the query Scores runs for f, rebound for the
// dialect, starting after a cursor when after is set.
func (s *Store) ScoreListSQL(f store.ComplianceScoreFilter, after bool) (string, []any, error) {
	var c *Cursor
	if after {
		c = &Cursor{Kind: kindScores, N: 1773446400000000, S: "agent-0150", T: "policy-3"}
	}
	q, args, err := scoreListSQL(f, c)
	return s.sql(q + " LIMIT 101"), args, err
}

// IndicatorListSQL returns the query the listing of indicators runs for
// f, rebound for the dialect, starting after a cursor when after is set.
func (s *Store) IndicatorListSQL(f store.IndicatorFilter, after bool) (string, []any, error) {
	var c *Cursor
	if after {
		c = &Cursor{Kind: kindIndicators, S: "ip", T: "10.0.150.7", U: "feed-07"}
	}
	q, args, err := indicatorListSQL(f, c, time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC))
	return s.sql(q + " LIMIT 101"), args, err
}

// LoginProfileListSQL returns the query the listing of login profiles
// runs for f, rebound for the dialect, starting after a cursor when
// after is set.
func (s *Store) LoginProfileListSQL(f store.LoginProfileFilter, after bool) (string, []any, error) {
	var c *Cursor
	if after {
		c = &Cursor{Kind: kindLoginProfiles, S: "agent-0150", T: "user-07"}
	}
	q, args, err := loginProfileListSQL(f, c)
	return s.sql(q + " LIMIT 101"), args, err
}
