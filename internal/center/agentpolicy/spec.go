package agentpolicy

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protojson"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
)

// ErrInvalidSpec is wrapped by every error of ParseSpec and Validate.
var ErrInvalidSpec = errors.New("invalid agent policy")

// maxSpecSize bounds a spec document; real ones are a few kilobytes.
const maxSpecSize = 256 << 10

// ParseSpec decodes a policy spec: protojson of busv1.AgentPolicy, where
// unknown fields are errors and every range is checked (Validate). The
// revision and name a spec may carry are ignored: the center sets both.
func ParseSpec(data []byte) (*busv1.AgentPolicy, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > maxSpecSize {
		return nil, fmt.Errorf("%w: spec of %d bytes (max %d)", ErrInvalidSpec, len(trimmed), maxSpecSize)
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: spec must be a JSON object", ErrInvalidSpec)
	}
	p := &busv1.AgentPolicy{}
	if err := (protojson.UnmarshalOptions{}).Unmarshal(trimmed, p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSpec, err)
	}
	p.Revision, p.Name = 0, ""
	if err := Validate(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Validate checks the ranges of a policy or spec. A zero field means the
// default and is accepted; field names in errors are the protojson names.
func Validate(p *busv1.AgentPolicy) error {
	if p == nil {
		return fmt.Errorf("%w: no policy", ErrInvalidSpec)
	}
	if hb := p.GetHeartbeatIntervalSeconds(); hb != 0 && (hb < MinHeartbeatSeconds || hb > MaxHeartbeatSeconds) {
		return invalid("heartbeatIntervalSeconds", "%d is out of range %d to %d", hb, MinHeartbeatSeconds, MaxHeartbeatSeconds)
	}
	if b := p.GetBudget(); b != nil {
		cpu := b.GetCpuPercent()
		if math.IsNaN(cpu) || cpu != 0 && (cpu < MinCPUPercent || cpu > MaxCPUPercent) {
			return invalid("budget.cpuPercent", "%v is out of range %d to %d", cpu, MinCPUPercent, MaxCPUPercent)
		}
		if mem := b.GetMemoryMb(); mem != 0 && (mem < MinMemoryMB || mem > MaxMemoryMB) {
			return invalid("budget.memoryMb", "%d is out of range %d to %d", mem, MinMemoryMB, MaxMemoryMB)
		}
	}
	if sp := p.GetSpoolMaxMb(); sp != 0 && (sp < MinSpoolMB || sp > MaxSpoolMB) {
		return invalid("spoolMaxMb", "%d is out of range %d to %d", sp, MinSpoolMB, MaxSpoolMB)
	}
	if err := validatePlugins("collectors", p.GetCollectors(), true); err != nil {
		return err
	}
	return validatePlugins("sensors", p.GetSensors(), false)
}

// validatePlugins checks one plugin map, in name order so that the same
// spec always reports the same error.
func validatePlugins(kind string, plugins map[string]*busv1.PluginPolicy, intervals bool) error {
	if len(plugins) > MaxPlugins {
		return invalid(kind, "%d entries (max %d)", len(plugins), MaxPlugins)
	}
	names := make([]string, 0, len(plugins))
	for name := range plugins {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !validPluginName(name) {
			return invalid(kind, "%q is not a plugin name (like os/dpkg: lower-case letters, digits, '.', '_', '-', parts joined by '/')", name)
		}
		pp := plugins[name]
		if pp == nil {
			return invalid(kind+"."+name, "empty entry")
		}
		iv := pp.GetIntervalSeconds()
		switch {
		case iv != 0 && !intervals:
			return invalid(kind+"."+name+".intervalSeconds", "only collectors run on an interval")
		case iv != 0 && (iv < MinIntervalSeconds || iv > MaxIntervalSeconds):
			return invalid(kind+"."+name+".intervalSeconds", "%d is out of range %d to %d", iv, MinIntervalSeconds, MaxIntervalSeconds)
		}
	}
	return nil
}

// validPluginName accepts names such as os/dpkg, exec/proccon or fim: parts
// of lower-case letters, digits, '.', '_' and '-', each starting with a
// letter or digit, joined by '/'.
func validPluginName(name string) bool {
	if name == "" || len(name) > maxPluginNameLen {
		return false
	}
	partStart := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		switch {
		case c == '/':
			if partStart {
				return false
			}
			partStart = true
			continue
		case partStart && !alnum:
			return false
		case !alnum && c != '.' && c != '_' && c != '-':
			return false
		}
		partStart = false
	}
	return !partStart
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidSpec, field, fmt.Sprintf(format, args...))
}
