package hardware

import (
	"testing"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// BenchmarkHostAssets measures one inventory of this host (see
// collecttest.Benchmark).
func BenchmarkHostAssets(b *testing.B) { collecttest.Benchmark(b, New(), plugin.Env{Root: "/"}) }
