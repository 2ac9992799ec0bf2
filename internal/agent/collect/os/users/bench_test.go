package users

import (
	"testing"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// BenchmarkAssetsFixture measures one inventory of the fixture's
// accounts (see collecttest.Benchmark).
func BenchmarkAssetsFixture(b *testing.B) {
	collecttest.Benchmark(b, New(), plugin.Env{Root: fixture(b)})
}

// BenchmarkAssetsHost measures one inventory of this host's accounts.
func BenchmarkAssetsHost(b *testing.B) { collecttest.Benchmark(b, New(), plugin.Env{Root: "/"}) }
