package sockdiag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Duration is a time.Duration written in settings as a Go duration string
// ("60s", "1m30s").
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"60s\", not %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// DecodeSettings decodes the JSON object raw into v strictly: unknown
// fields, wrong types and data after the object are errors. An empty raw
// leaves v as it is (the defaults).
func DecodeSettings(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("settings: data after the JSON object")
	}
	return nil
}

// CheckRange returns an error when d is outside [min, max].
func CheckRange(name string, d Duration, min, max time.Duration) error {
	if time.Duration(d) < min || time.Duration(d) > max {
		return fmt.Errorf("settings: %s %s is outside %s..%s", name, time.Duration(d), min, max)
	}
	return nil
}

// Settings are the sock-diag sensor's settings (see the package doc).
type Settings struct {
	PollInterval    Duration `json:"poll_interval"`
	FlowInterval    Duration `json:"flow_interval"`
	Flows           bool     `json:"flows"`
	IgnorePorts     []int    `json:"ignore_ports"`
	IgnoreAddresses []string `json:"ignore_addresses"`
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings {
	return Settings{
		PollInterval: Duration(5 * time.Second),
		FlowInterval: Duration(60 * time.Second),
		Flows:        true,
	}
}

// parseSettings decodes and checks raw on top of the defaults.
func parseSettings(raw []byte) (Settings, Filter, error) {
	s := DefaultSettings()
	if err := DecodeSettings(raw, &s); err != nil {
		return Settings{}, Filter{}, err
	}
	if err := CheckRange("poll_interval", s.PollInterval, 100*time.Millisecond, 10*time.Minute); err != nil {
		return Settings{}, Filter{}, err
	}
	if err := CheckRange("flow_interval", s.FlowInterval, time.Second, time.Hour); err != nil {
		return Settings{}, Filter{}, err
	}
	if s.FlowInterval < s.PollInterval {
		return Settings{}, Filter{}, fmt.Errorf("settings: flow_interval %s is shorter than poll_interval %s",
			time.Duration(s.FlowInterval), time.Duration(s.PollInterval))
	}
	f, err := NewFilter(s.IgnorePorts, s.IgnoreAddresses)
	if err != nil {
		return Settings{}, Filter{}, fmt.Errorf("settings: %w", err)
	}
	return s, f, nil
}
