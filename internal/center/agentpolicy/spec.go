package agentpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

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
		if err := validateSensorLimits(kind+"."+name, pp, !intervals); err != nil {
			return err
		}
		if err := validateSettings(kind+"."+name+".settingsJson", pp.GetSettingsJson()); err != nil {
			return err
		}
	}
	return nil
}

// validateSensorLimits checks a sensor's rate limit and drop filters.
func validateSensorLimits(field string, pp *busv1.PluginPolicy, sensor bool) error {
	eps := pp.GetMaxEventsPerSecond()
	switch {
	case eps != 0 && !sensor:
		return invalid(field+".maxEventsPerSecond", "only sensors stream events")
	case math.IsNaN(eps) || eps < 0 || eps > MaxSensorEventsPerSecond:
		return invalid(field+".maxEventsPerSecond", "%v is out of range 0 to %d", eps, MaxSensorEventsPerSecond)
	}
	drop := pp.GetDrop()
	if len(drop) > 0 && !sensor {
		return invalid(field+".drop", "only sensors' events are filtered")
	}
	if len(drop) > MaxDropFilters {
		return invalid(field+".drop", "%d filters (max %d)", len(drop), MaxDropFilters)
	}
	for i, f := range drop {
		at := fmt.Sprintf("%s.drop[%d]", field, i)
		if f == nil {
			return invalid(at, "empty filter")
		}
		if !validFieldPath(f.GetField()) {
			return invalid(at+".field", "%q is not a field path (like process.executable)", f.GetField())
		}
		n := len(f.GetEquals()) + len(f.GetPrefixes())
		if n == 0 {
			return invalid(at, "needs equals or prefixes")
		}
		if n > MaxFilterValues {
			return invalid(at, "%d values (max %d)", n, MaxFilterValues)
		}
		for _, v := range append(append([]string{}, f.GetEquals()...), f.GetPrefixes()...) {
			if v == "" || len(v) > maxFilterValueLen {
				return invalid(at, "values must be 1 to %d bytes", maxFilterValueLen)
			}
		}
		if a := f.GetAction(); a != "" && !validFieldPath(a) {
			return invalid(at+".action", "%q is not an event action", a)
		}
	}
	return nil
}

// validateSettings checks that a plugin's settings are a JSON object of a
// sane size; what the keys mean is the plugin's to check.
func validateSettings(field, raw string) error {
	if raw == "" {
		return nil
	}
	if len(raw) > MaxSettingsBytes {
		return invalid(field, "%d bytes (max %d)", len(raw), MaxSettingsBytes)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &obj); err != nil || obj == nil {
		return invalid(field, "must be a JSON object")
	}
	return nil
}

// validFieldPath accepts dotted names of letters, digits, '_', '-' and
// '@' (for @timestamp).
func validFieldPath(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for _, c := range part {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '@') {
				return false
			}
		}
	}
	return true
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
