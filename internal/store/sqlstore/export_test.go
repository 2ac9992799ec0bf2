package sqlstore

import (
	"database/sql"

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
