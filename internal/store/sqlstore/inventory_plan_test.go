package sqlstore_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlstore"
)

// assetPlan is the listing of inventory items of a filter.
var assetPlan = listingPlan(func(s *sqlstore.Store, f store.AssetFilter, after bool) (string, []any, error) {
	query, args := s.AssetListSQL(f, after)
	return query, args, nil
})

// inventoryPlans are listings that must read an index in listing order,
// so that a page costs the same on a fleet of any size.
var inventoryPlans = planSuite{
	cases: []planCase{
		{name: "kind and name across the fleet", query: assetPlan(store.AssetFilter{Kind: "package", Name: "P7"}),
			sqlite: []string{"inventory_items_name"}, postgres: []string{"inventory_items_name"}},
		{name: "kind across the fleet", query: assetPlan(store.AssetFilter{Kind: "port"}),
			sqlite: []string{"inventory_items_kind"}, postgres: []string{"inventory_items_kind"}},
		{name: "one agent", query: assetPlan(store.AssetFilter{AgentID: "agent-0007"}),
			sqlite: []string{"inventory_items_agent"}, postgres: []string{"inventory_items_agent"}},
		{name: "one agent and kind", query: assetPlan(store.AssetFilter{AgentID: "agent-0007", Kind: "user"}),
			sqlite:   []string{"inventory_items_agent", "inventory_items_kind"},
			postgres: []string{"inventory_items_agent", "inventory_items_kind"}},
	},
	// A fleet with statistics: 300 agents of 400 packages, 30 users, 20
	// ports and 50 services each.
	fill: []string{
		`INSERT INTO inventory_items
		SELECT 'agent-' || lpad(a::text, 4, '0'), 'os/dpkg', k, 'p' || i || ':amd64', 'P' || i, 'p' || i, '1.0',
			NULL, 'p' || i, sha256(('p' || i)::bytea), 1, 1
		FROM generate_series(1, 300) a, generate_series(1, 500) i,
			LATERAL (SELECT CASE WHEN i <= 400 THEN 'package' WHEN i <= 430 THEN 'user'
				WHEN i <= 450 THEN 'port' ELSE 'service' END AS k) kinds`,
		`ANALYZE inventory_items`,
	},
	usingIndex: true,
}

func TestInventoryPlanSQLite(t *testing.T) { inventoryPlans.checkSQLite(t) }

func TestInventoryPlanPostgres(t *testing.T) { inventoryPlans.checkPostgres(t) }
