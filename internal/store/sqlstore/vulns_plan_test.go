package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlstore"
)

// advisoryPlan and findingPlan are the listings of advisories and of
// findings of a filter.
var (
	advisoryPlan = listingPlan((*sqlstore.Store).AdvisoryListSQL)
	findingPlan  = listingPlan((*sqlstore.Store).FindingListSQL)
)

// vulnPlans are the listings of the vulnerability store whose page costs
// the same on a database of any size, with the indexes of SQLite and of
// PostgreSQL; those marked sorted select few rows, which may be sorted.
var vulnPlans = planSuite{
	cases: []planCase{
		{name: "advisories", query: advisoryPlan(store.AdvisoryFilter{}),
			sqlite: []string{"sqlite_autoindex_vuln_advisories_1"}, postgres: []string{"vuln_advisories_pkey"}},
		{name: "advisories of an ecosystem", query: advisoryPlan(store.AdvisoryFilter{Ecosystem: "Debian:12"}),
			sqlite:   []string{"vuln_advisory_ecosystems_ecosystem"},
			postgres: []string{"vuln_advisory_ecosystems_ecosystem", "vuln_advisory_ecosystems_pkey"}},
		{name: "advisories of a source", query: advisoryPlan(store.AdvisoryFilter{Source: "GitHub"}),
			sqlite: []string{"vuln_advisories_source"}, postgres: []string{"vuln_advisories_source", "vuln_advisories_pkey"}},
		{name: "advisories of an id or alias", query: advisoryPlan(store.AdvisoryFilter{ID: "CVE-2024-7"}),
			sqlite: []string{"vuln_advisory_aliases_alias"}, postgres: []string{"vuln_advisory_aliases_alias"}, sorted: true},
		{name: "findings", query: findingPlan(store.VulnFindingFilter{}),
			sqlite: []string{"vuln_findings_order"}, postgres: []string{"vuln_findings_order"}},
		{name: "findings of severities", query: findingPlan(store.VulnFindingFilter{Severities: []string{"critical", "high"}}),
			sqlite: []string{"vuln_findings_order"}, postgres: []string{"vuln_findings_order"}},
		{name: "findings of an agent", query: findingPlan(store.VulnFindingFilter{AgentID: "agent-0007"}),
			sqlite: []string{"sqlite_autoindex_vuln_findings_1"}, postgres: []string{"vuln_findings_pkey"}, sorted: true},
		{name: "findings of a vulnerability", query: findingPlan(store.VulnFindingFilter{VulnID: "CVE-2024-00007"}),
			sqlite: []string{"vuln_findings_vuln"}, postgres: []string{"vuln_findings_vuln"}, sorted: true},
	},
	// A database with statistics: 50,000 advisories of two sources and
	// ecosystems, a fleet of 1,000 agents of 100 findings each.
	fill: []string{
		`INSERT INTO vuln_advisories SELECT 'DEBIAN-CVE-2024-' || lpad(i::text, 5, '0'),
			CASE WHEN i % 3 = 0 THEN 'GitHub' ELSE 'Debian' END, 1, NULL, NULL, 'high', 7.5, 's', '[]', '[]', '[]',
			's', '\x00' FROM generate_series(1, 50000) i`,
		`INSERT INTO vuln_advisory_aliases SELECT 'DEBIAN-CVE-2024-' || lpad(i::text, 5, '0'), 'CVE-2024-' || i
			FROM generate_series(1, 50000) i`,
		`INSERT INTO vuln_advisory_ecosystems SELECT 'DEBIAN-CVE-2024-' || lpad(i::text, 5, '0'),
			CASE WHEN i % 3 = 0 THEN 'npm' ELSE 'Debian:12' END FROM generate_series(1, 50000) i`,
		`INSERT INTO vuln_findings SELECT 'agent-' || lpad(a::text, 4, '0'), 'lib' || j || ':amd64',
			'CVE-2024-' || lpad(((a * 37 + j * 101) % 2000)::text, 5, '0'), 'package', '[]', '[]', 'Debian:12',
			'lib' || j, '1', '', '', 'high', (a + j) % 6, (j % 100) / 10.0, -(j % 100) / 10.0, j % 50 = 0, 's',
			j % 5 = 0, false, 1, 's', '\x00' FROM generate_series(1, 1000) a, generate_series(1, 100) j`,
		`INSERT INTO vuln_finding_sets SELECT 'agent-' || lpad(a::text, 4, '0'), 1 FROM generate_series(1, 1000) a`,
		`ANALYZE vuln_advisories, vuln_advisory_aliases, vuln_advisory_ecosystems, vuln_findings, vuln_finding_sets`,
	},
}

// TestVulnSummaryPlanSQLite checks that the aggregate of the fleet's
// vulnerabilities reads only an index, not the findings' rows.
func TestVulnSummaryPlanSQLite(t *testing.T) {
	s := openSQLite(t)
	for _, after := range []bool{false, true} {
		query, args, err := s.VulnSummarySQL(store.VulnFindingFilter{}, after)
		if err != nil {
			t.Fatal(err)
		}
		plan := queryPlan(t, s.ReadDB(), "EXPLAIN QUERY PLAN ", query, args)
		if !strings.Contains(plan, "USING COVERING INDEX vuln_findings_vuln ") {
			t.Errorf("summaries (after a cursor: %v): plan\n%s\nwant a scan of the covering index vuln_findings_vuln", after, plan)
		}
	}
}

func TestVulnPlanSQLite(t *testing.T) { vulnPlans.checkSQLite(t) }

func TestVulnPlanPostgres(t *testing.T) { vulnPlans.checkPostgres(t) }
