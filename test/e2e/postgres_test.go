//go:build e2e

package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// postgresSchema creates a fresh schema in VIGIL_TEST_POSTGRES, drops it
// when the test ends, and returns a DSN whose search_path points at it.
// Without VIGIL_TEST_POSTGRES the test is skipped, unless
// VIGIL_REQUIRE_POSTGRES=1 (CI), where it fails.
func postgresSchema(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("VIGIL_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("VIGIL_REQUIRE_POSTGRES") == "1" {
			t.Fatal("VIGIL_REQUIRE_POSTGRES=1 but VIGIL_TEST_POSTGRES is not set")
		}
		t.Skip("VIGIL_TEST_POSTGRES not set")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := fmt.Sprintf("e2e_%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
