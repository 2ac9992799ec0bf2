//go:build !linux

package kmod

import (
	"context"
	"errors"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Run implements plugin.Sensor: kernel modules are Linux's.
func (s *Sensor) Run(context.Context, plugin.Emitter) error {
	return errors.New("kmod: kernel modules are watched on Linux only")
}
