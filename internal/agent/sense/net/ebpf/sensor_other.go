//go:build !(linux && (amd64 || arm64))

package ebpf

import (
	"context"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Probe implements plugin.Alternative: the programs need Linux on amd64
// or arm64.
func (*Sensor) Probe(context.Context) error { return ErrUnsupported }

// Run implements plugin.Sensor: it cannot run here.
func (*Sensor) Run(context.Context, plugin.Emitter) error { return ErrUnsupported }
