// Package compliancecmdtest runs a center for the tests of `vigil
// compliance` (package compliancecmd): the real REST API of package
// apiclienttest with the real compliance service (internal/center/compliance:
// the shipped policy catalogue, uploads, assignments, exceptions, scores),
// the agent policy distributor that puts the assigned policies into each
// agent's policy, the command service and the inventory service on an
// embedded bus; and it runs the vigil command tree in-process against it
// (package clikittest).
//
// The hosts are folders standing for a host's root. Their results are
// real: the agent's compliance/baseline collector evaluates the policies
// the center assigned (read from the agent's policy in the policy
// bucket) on the host's folder. Seeding stores them as the inventory
// service does (Store.Inventory().Apply, then the compliance service's
// InventoryChanged) at chosen times; a connected host answers the collect
// command on the bus as an agent does, sending its inventory with the
// agent's syncer to the inventory service. Nothing of the API is imitated.
package compliancecmdtest

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/center/inventory"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/cli/compliancecmd"
	"github.com/vigilsec/vigil/internal/store"
)

// Now is the clock of the API, the compliance service and the CLI: times
// in fixtures and golden files are measured from it.
var Now = apiclienttest.Now

// Env is one running center, and the compliance commands against it as
// the admin.
type Env struct {
	*apiclienttest.Env
	*clikittest.Runner
	// AnalystToken is the bearer value of an API token named analyst with
	// that role.
	AnalystToken string
	// ExceptionIDs are the random ids of the exceptions Seed stored, by
	// name (ExceptionEquiv, ExceptionExpired).
	ExceptionIDs map[string]string

	clock clock
}

// clock is the center's clock: Now, or the time of a collection being
// stored (the compliance service records scores at its time).
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.at = t
	c.mu.Unlock()
}

// Start starts the center on a fresh store and bus; the test's cleanup
// stops everything.
func Start(tb testing.TB) *Env {
	tb.Helper()
	e := &Env{ExceptionIDs: map[string]string{}}
	e.clock.set(Now)
	e.Env = apiclienttest.StartWith(tb, apiclienttest.Options{Compliance: true, Now: e.clock.now})
	// The compliance commands alone, as the vigil binary's tree holds them.
	e.Runner = clikittest.For(tb, e.Env, clikittest.Commands(compliancecmd.Command))
	// The CLI's clock stays at Now while a collection moves the center's.
	e.Runner.Now = func() time.Time { return Now }
	e.AnalystToken = e.AddToken("at-analyst", "analyst", store.RoleAnalyst)

	inv := inventory.New(inventory.Config{Conn: e.Bus.Server.Conn(), Store: e.Store, OnChange: e.Compliance.InventoryChanged})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := inv.Run(ctx); err != nil {
			tb.Errorf("inventory service: %v", err)
		}
	}()
	tb.Cleanup(func() { cancel(); <-done })
	return e
}

// uuid is the form of the ids the center draws at random.
var uuid = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)

// Mask replaces what changes from run to run: the seeded exceptions' ids
// become their names padded to the width of an id (ex-equiv-----...),
// so that tables keep their shape, and any other random id
// RANDOM-ID-----... .
func (e *Env) Mask(s string) string {
	for name, id := range e.ExceptionIDs {
		s = strings.ReplaceAll(s, id, name+strings.Repeat("-", len(id)-len(name)))
	}
	return uuid.ReplaceAllString(s, "RANDOM-ID"+strings.Repeat("-", 27))
}
