package sockdiag

import (
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// CheckRange returns an error when d is outside [min, max].
func CheckRange(name string, d plugin.Duration, min, max time.Duration) error {
	if time.Duration(d) < min || time.Duration(d) > max {
		return fmt.Errorf("settings: %s %s is outside %s..%s", name, time.Duration(d), min, max)
	}
	return nil
}

// Settings are the sock-diag sensor's settings (see the package doc).
type Settings struct {
	PollInterval    plugin.Duration `json:"poll_interval"`
	FlowInterval    plugin.Duration `json:"flow_interval"`
	Flows           bool            `json:"flows"`
	IgnorePorts     []int           `json:"ignore_ports"`
	IgnoreAddresses []string        `json:"ignore_addresses"`
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings {
	return Settings{
		PollInterval: plugin.Duration(5 * time.Second),
		FlowInterval: plugin.Duration(60 * time.Second),
		Flows:        true,
	}
}

// parseSettings decodes and checks raw on top of the defaults.
func parseSettings(raw []byte) (Settings, Filter, error) {
	s := DefaultSettings()
	if err := plugin.DecodeSettings(raw, &s); err != nil {
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
