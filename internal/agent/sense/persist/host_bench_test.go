package persist_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
)

// BenchmarkBaselineHost measures a first start on this host
// (trackertest.BenchmarkBaseline).
func BenchmarkBaselineHost(b *testing.B) {
	trackertest.BenchmarkBaseline(b, func(data string) trackertest.StatsSensor {
		return newSensor(b, "/", data, `{"rescan_interval":"0"}`)
	})
}
