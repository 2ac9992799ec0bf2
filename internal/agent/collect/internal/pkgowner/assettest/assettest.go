// Package assettest is the former name of collecttest, kept for the
// tests that still import it.
//
// Deprecated: use collect/internal/collecttest.
package assettest

import "github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"

// Golden, Check and Benchmark are collecttest's.
var (
	Golden    = collecttest.Golden
	Check     = collecttest.Check
	Benchmark = collecttest.Benchmark
)
