//go:build !linux

package netcfg

import (
	"context"
	"errors"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Run implements plugin.Sensor: rtnetlink exists on Linux only.
func (s *Sensor) Run(context.Context, plugin.Emitter) error {
	return errors.New("netcfg: rtnetlink is available on Linux only")
}
