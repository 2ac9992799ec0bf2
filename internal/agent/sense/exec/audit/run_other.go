//go:build !linux

package audit

import (
	"context"
	"errors"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// errUnsupported says why the sensor cannot run here.
var errUnsupported = errors.New(Name + ": the audit subsystem is Linux's")

// Probe implements plugin.Alternative: it always fails here.
func (*Sensor) Probe(context.Context) error { return errUnsupported }

// Run implements plugin.Sensor: it always fails here.
func (*Sensor) Run(context.Context, plugin.Emitter) error { return errUnsupported }
