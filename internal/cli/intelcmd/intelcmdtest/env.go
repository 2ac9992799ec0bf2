// Package intelcmdtest runs a center for the tests of `vigil intel` and
// `vigil baselines` (packages intelcmd and baselinecmd): the real REST API
// of package apiclienttest with the real threat-intelligence service
// (internal/center/intel importing into the store and matching) and login
// baseline (internal/center/baseline listing and resetting its login
// profiles), and the vigil CLI in-process against it (package
// clikittest). Tests seed the store through its interfaces; nothing of
// the API is imitated.
package intelcmdtest

import (
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/cli"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/store"
)

// Now is the clock of the API, the services and the CLI: times in
// fixtures and golden files are measured from it. It lies after the wall
// clock because the store judges expiry by the wall clock: an indicator
// that expires after Now must not have expired for the store either.
var Now = time.Date(2099, 3, 4, 10, 0, 0, 0, time.UTC)

// TimeZone is the login baseline's time zone.
const TimeZone = "Asia/Shanghai"

// Options shape an Env.
type Options struct {
	// NoIntel starts the API without the threat-intelligence service, as
	// a center with it off runs.
	NoIntel bool
	// NoBaselines starts the API without the login baseline.
	NoBaselines bool
}

// Env is one running center API with its threat-intelligence service
// (Intel, nil with Options.NoIntel) and login baseline (Baselines, nil
// with Options.NoBaselines), and the CLI against it as the admin.
type Env struct {
	*apiclienttest.Env
	*clikittest.Runner
	// AnalystToken is the bearer value of an API token named analyst with
	// that role.
	AnalystToken string
}

// Start starts the API on a fresh store; the test's cleanup stops it.
func Start(tb testing.TB, opts Options) *Env {
	tb.Helper()
	o := apiclienttest.Options{Intel: !opts.NoIntel, Now: func() time.Time { return Now }}
	if !opts.NoBaselines {
		zone, err := time.LoadLocation(TimeZone)
		if err != nil {
			tb.Fatalf("baseline time zone: %v", err)
		}
		o.Baselines = zone
	}
	api := apiclienttest.StartWith(tb, o)
	return &Env{Env: api, Runner: clikittest.For(tb, api, cli.Run),
		AnalystToken: api.AddToken("at-analyst", "analyst", store.RoleAnalyst)}
}
