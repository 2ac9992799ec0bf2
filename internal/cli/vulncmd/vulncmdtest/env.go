// Package vulncmdtest runs a center for the tests of `vigil vulns`,
// `vigil weak-passwords` and `vigil vulndb` (packages vulncmd and
// vulndbcmd): the real REST API of package apiclienttest with the real
// vulnerability service (internal/center/vuln importing into the store),
// and the vigil CLI in-process against it (package clikittest). Tests
// seed the store through its interfaces (Seed); nothing of the API is
// imitated.
package vulncmdtest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"testing"

	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/cli"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
)

// Now is the clock of the API, the vulnerability service and the CLI:
// times in fixtures and golden files are measured from it.
var Now = apiclienttest.Now

// Options shape an Env.
type Options struct {
	// Sources are the center's configured vulnerability sources (what
	// `vulndb sync` fetches).
	Sources []feed.Source
	// Wrap, when set, wraps the API's handler: a test acts between the
	// CLI's requests with it (starting a job, say).
	Wrap func(http.Handler) http.Handler
	// NoVulns starts the API without the vulnerability service, as a
	// center with vulnerability matching off runs.
	NoVulns bool
}

// Env is one running center API with its vulnerability service (Vulns,
// nil with Options.NoVulns), and the CLI against it as the admin.
type Env struct {
	*apiclienttest.Env
	*clikittest.Runner
}

// Start starts the API on a fresh store; the test's cleanup stops it.
func Start(tb testing.TB, opts Options) *Env {
	tb.Helper()
	o := apiclienttest.Options{Wrap: opts.Wrap}
	if !opts.NoVulns {
		o.Vulns = &feed.Config{Sources: opts.Sources}
	}
	api := apiclienttest.StartWith(tb, o)
	return &Env{Env: api, Runner: clikittest.For(tb, api, cli.Run)}
}

// jobID is the form of a job's id.
var jobID = regexp.MustCompile(`\b[0-9a-f]{16}\b`)

// serverFile is a file the center keeps while it imports: an upload or a
// download in its temporary folder, which job problems name.
var serverFile = regexp.MustCompile(`/\S*/vulndb-[0-9]+(-upload\.zip|-upload\.json|\.download)`)

// Mask replaces what changes from run to run in the output of vulndb
// commands: jobs' random ids become JOB-ID-XXXXXXXXX (as wide, so that
// tables keep their shape) and the center's temporary files UPLOAD.
func Mask(s string) string {
	return serverFile.ReplaceAllString(jobID.ReplaceAllString(s, "JOB-ID-XXXXXXXXX"), "UPLOAD")
}

// SHA256 is the hex SHA-256 of data.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
