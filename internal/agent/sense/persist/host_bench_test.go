package persist_test

import (
	"os"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
	"github.com/vigilsec/vigil/internal/agent/sense/persist"
)

// BenchmarkBaselineHost measures a first start on this host ("/", read
// only), starting and stopping included; µs/reading is the time of the
// reading itself: every source read, the watches placed, the state saved.
func BenchmarkBaselineHost(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("reading the host's files needs root")
	}
	var s *persist.Sensor
	for b.Loop() {
		b.StopTimer()
		s = newSensor(b, "/", b.TempDir(), `{"rescan_interval":"0"}`)
		b.StartTimer()
		r := trackertest.Start(b, s)
		r.Stop(b)
	}
	st := s.Stats()
	b.ReportMetric(float64(st.PassTime.Microseconds())/float64(st.Passes), "µs/reading")
	b.ReportMetric(float64(st.Records), "records")
	b.ReportMetric(float64(st.Sources), "sources")
	b.ReportMetric(float64(st.Watches), "watches")
	b.ReportMetric(float64(st.MalformedLines), "malformed")
}
