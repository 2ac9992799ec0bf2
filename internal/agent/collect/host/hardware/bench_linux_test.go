package hardware

import (
	"context"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// BenchmarkHostAssets measures one inventory of this host.
func BenchmarkHostAssets(b *testing.B) {
	c := New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Assets(context.Background(), plugin.Env{Root: "/"}); err != nil {
			b.Fatal(err)
		}
	}
}
