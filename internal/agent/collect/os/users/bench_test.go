package users

import (
	"context"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

func benchmarkAssets(b *testing.B, root string) {
	c := New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Assets(context.Background(), plugin.Env{Root: root}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssetsFixture measures one inventory of the fixture's
// accounts.
func BenchmarkAssetsFixture(b *testing.B) { benchmarkAssets(b, fixture(b)) }

// BenchmarkAssetsHost measures one inventory of this host's accounts.
func BenchmarkAssetsHost(b *testing.B) { benchmarkAssets(b, "/") }
