package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// Bounds of the settings.
const (
	// MaxSettingsSize bounds the settings' JSON, every policy included.
	MaxSettingsSize = 16 << 20
	// MaxPolicies bounds the policies assigned to one host.
	MaxPolicies = 32
	// MaxPolicyID bounds a policy's id, which is part of every item's key.
	MaxPolicyID = 128
	minTimeout  = 10 * time.Second
	// MaxTimeout bounds the time of one run, every policy together: it
	// ends well within the time the agent gives a collector.
	MaxTimeout        = 4 * time.Minute
	minCommandTimeout = time.Second
	maxCommandTimeout = time.Minute
	// maxRefusalText bounds the problems quoted for one refused policy.
	maxRefusalText = 2048
)

// Settings are the collector's policy settings, written by the center.
type Settings struct {
	// Policies are the compliance policies assigned to the host.
	Policies []AssignedPolicy `json:"policies"`
	// Timeout bounds one run, every policy together ("2m" by default);
	// checks not evaluated by then are errors.
	Timeout plugin.Duration `json:"timeout"`
	// CommandTimeout bounds each command a rule runs ("10s" by default).
	CommandTimeout plugin.Duration `json:"command_timeout"`
}

// AssignedPolicy is one policy in the settings.
type AssignedPolicy struct {
	// ID is the policy's id.
	ID string `json:"id"`
	// Digest is the policy's RulesDigest as the center computed it; the
	// policy runs only when the agent computes the same.
	Digest string `json:"digest"`
	// Policy is the policy's compact form (policy.Policy.Compact), a
	// JSON object.
	Policy json.RawMessage `json:"policy"`
}

// DefaultSettings returns the settings used when the policy sets none:
// no policy.
func DefaultSettings() Settings {
	return Settings{Timeout: plugin.Duration(2 * time.Minute), CommandTimeout: plugin.Duration(10 * time.Second)}
}

var policyIDForm = regexp.MustCompile(`^[a-z0-9_]+$`)

// ParseSettings decodes and checks settings strictly: unknown fields,
// wrong types, bounds, duplicate or malformed policy ids are errors.
// The policies themselves are read by the collector, which refuses each
// bad one alone. Empty raw gives the defaults; fields not given keep
// theirs.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	if len(raw) > MaxSettingsSize {
		return Settings{}, fmt.Errorf("%s: settings: %d bytes, more than %d", Name, len(raw), MaxSettingsSize)
	}
	s := DefaultSettings()
	if err := plugin.DecodeSettings(raw, &s); err != nil {
		return Settings{}, fmt.Errorf("%s: %w", Name, err)
	}
	if err := s.check(); err != nil {
		return Settings{}, fmt.Errorf("%s: settings: %w", Name, err)
	}
	return s, nil
}

func (s *Settings) check() error {
	if t := time.Duration(s.Timeout); t < minTimeout || t > MaxTimeout {
		return fmt.Errorf("timeout %s: want %s to %s", t, minTimeout, MaxTimeout)
	}
	if t := time.Duration(s.CommandTimeout); t < minCommandTimeout || t > maxCommandTimeout {
		return fmt.Errorf("command_timeout %s: want %s to %s", t, minCommandTimeout, maxCommandTimeout)
	}
	if s.CommandTimeout > s.Timeout {
		return fmt.Errorf("command_timeout %s is longer than timeout %s", time.Duration(s.CommandTimeout), time.Duration(s.Timeout))
	}
	if len(s.Policies) > MaxPolicies {
		return fmt.Errorf("%d policies, at most %d", len(s.Policies), MaxPolicies)
	}
	seen := map[string]bool{}
	for i, p := range s.Policies {
		if len(p.ID) > MaxPolicyID || !policyIDForm.MatchString(p.ID) {
			return fmt.Errorf("policies[%d]: id %q: want [a-z0-9_]+, at most %d bytes", i, p.ID, MaxPolicyID)
		}
		if seen[p.ID] {
			return fmt.Errorf("policies[%d]: policy %s is assigned twice", i, p.ID)
		}
		seen[p.ID] = true
	}
	return nil
}

// assigned is a policy ready to run.
type assigned struct {
	id, digest string
	policy     *policy.Policy
}

// refusal is a policy of the settings that does not run, and why.
type refusal struct {
	id, digest, version string
	reason              string
}

func (r refusal) error() error { return fmt.Errorf("policy %s refused: %s", r.id, r.reason) }

// config is what a run uses: the settings with their policies read.
type config struct {
	policies       []assigned
	refused        []refusal
	timeout        time.Duration
	commandTimeout time.Duration
}

// prepare reads each policy of s, checking it against its digest.
func prepare(s Settings) config {
	cfg := config{timeout: time.Duration(s.Timeout), commandTimeout: time.Duration(s.CommandTimeout)}
	for _, ap := range s.Policies {
		p, err := readPolicy(ap)
		if err != nil {
			r := refusal{id: ap.ID, digest: ap.Digest, reason: err.Error()}
			if p != nil {
				r.version = p.Meta.Version
			}
			cfg.refused = append(cfg.refused, r)
			continue
		}
		cfg.policies = append(cfg.policies, assigned{id: ap.ID, digest: ap.Digest, policy: p})
	}
	return cfg
}

// readPolicy reads an assigned policy's compact form and checks its id
// and digest; with a digest or id that does not match it returns the
// policy too, for its version.
func readPolicy(ap AssignedPolicy) (*policy.Policy, error) {
	body := bytes.TrimSpace(ap.Policy)
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		return nil, errors.New("the settings hold no policy")
	}
	p, err := policy.ParseCompact(body)
	if err != nil {
		return nil, fmt.Errorf("not a valid policy: %s", clipProblems(err))
	}
	if p.Meta.ID != ap.ID {
		return p, fmt.Errorf("the settings assign %s, the policy is %s", ap.ID, p.Meta.ID)
	}
	if got := p.RulesDigest(); got != ap.Digest {
		return p, fmt.Errorf("digest %q does not match the policy's %s: the center and the agent do not read the same rules", ap.Digest, got)
	}
	return p, nil
}

// clipProblems joins a policy's problems on one line, cut at
// maxRefusalText.
func clipProblems(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", "; ")
	if len(s) <= maxRefusalText {
		return s
	}
	return clip(s, maxRefusalText) + fmt.Sprintf(" ... (%d problems in all)", max(1, len(policy.Problems(err))))
}
