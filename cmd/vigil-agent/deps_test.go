package main

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden are packages the agent must never link, each with the
// packages below it: the center and its storage, SQL and its drivers,
// Kubernetes clients, the NATS server and the package extractors. The agent runs on every host; it
// stays small. (database/sql/driver alone is allowed: it is a handful of
// interfaces that github.com/google/uuid implements.)
var forbidden = []string{
	"github.com/vigilsec/vigil/internal/center",
	"github.com/vigilsec/vigil/internal/store",
	"github.com/vigilsec/vigil/internal/bus/server",
	"database/sql",
	"modernc.org/sqlite",
	"github.com/jackc/pgx",
	"github.com/lib/pq",
	"github.com/go-sql-driver/mysql",
	"github.com/mattn/go-sqlite3",
	"k8s.io/",
	"github.com/nats-io/nats-server",
	// Package and library extractors run in vigil-scan, a short-lived
	// child process (internal/scan): not in the agent's memory.
	"github.com/google/osv-scalibr",
}

func TestDependencies(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps listed only %d packages: %q", len(deps), out)
	}
	for _, dep := range deps {
		if dep == "database/sql/driver" {
			continue
		}
		for _, bad := range forbidden {
			if dep == strings.TrimSuffix(bad, "/") || strings.HasPrefix(dep, strings.TrimSuffix(bad, "/")+"/") {
				t.Errorf("vigil-agent links %s (forbidden: %s)", dep, bad)
			}
		}
	}
}
