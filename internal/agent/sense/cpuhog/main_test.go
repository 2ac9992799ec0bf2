package cpuhog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/cpuhog"
	"github.com/vigilsec/vigil/internal/event"
)

// Variables that turn the test binary into a helper process.
const (
	helperEnv   = "VIGIL_CPUHOG_HELPER"
	settingsEnv = "VIGIL_CPUHOG_SETTINGS"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "sensor" {
		os.Exit(sensorHelper())
	}
	os.Exit(m.Run())
}

// helperRunTime is how long the sensor helper runs.
const helperRunTime = 4 * time.Second

// helperCounters prefixes the helper's last line: its counters.
const helperCounters = "counters "

// sensorHelper runs the sensor with the settings of settingsEnv for
// helperRunTime, writing each event as a line of JSON and then its
// counters: the test runs it as another user.
func sensorHelper() int {
	s := cpuhog.New()
	s.PackageOf = packageOf
	if err := s.Configure(plugin.Env{Root: "/", HostID: testHostID}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := s.ApplySettings(json.RawMessage(os.Getenv(settingsEnv))); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), helperRunTime)
	defer cancel()
	out := json.NewEncoder(os.Stdout)
	if err := s.Run(ctx, printer{out}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	b, _ := json.Marshal(s.Counters())
	fmt.Printf("%s%s\n", helperCounters, b)
	return 0
}

// printer is an emitter that writes events as JSON lines.
type printer struct{ enc *json.Encoder }

func (p printer) Emit(e event.Event) { _ = p.enc.Encode(e) }
func (p printer) Lost(uint64)        {}

// testHostID is the host id of the tests' process table.
const testHostID = "cpuhog-test-host"

// packageOf stands in for the inventory's package index (package
// collect/proc/processes), which belongs to the collectors and cannot be
// imported by a sensor's package: it gives the answers of this host's
// dpkg database for the programs the tests run (gzip is Debian's package
// gzip; the copies of the shell the tests make in temporary folders are
// in no package).
func packageOf(_, p string) string {
	switch p {
	case "/usr/bin/gzip", "/bin/gzip":
		return "gzip"
	case "/usr/bin/sleep", "/bin/sleep":
		return "coreutils"
	}
	return cpuhog.Unowned
}
