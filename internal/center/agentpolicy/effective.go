package agentpolicy

import (
	"fmt"
	"hash/fnv"

	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/store"
)

// Select returns the policy that applies to an agent with these labels:
// among the policies whose selector labels all match, the one with the
// highest priority, then the first by name. ok is false when none matches.
func Select(policies []store.AgentPolicy, labels map[string]string) (p store.AgentPolicy, ok bool) {
	for _, c := range policies {
		if !matches(c.Selector, labels) {
			continue
		}
		if !ok || c.Priority > p.Priority || c.Priority == p.Priority && c.Name < p.Name {
			p, ok = c, true
		}
	}
	return p, ok
}

// matches reports whether every selector label is among labels; an empty
// selector matches every agent.
func matches(selector, labels map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Merge returns the default policy with spec merged over it: fields the
// spec sets replace the default's, plugin entries are added per name.
func Merge(spec *busv1.AgentPolicy) *busv1.AgentPolicy {
	out := Default()
	if spec != nil {
		proto.Merge(out, spec)
	}
	return out
}

// Compute returns the effective policy of an agent with these labels,
// given every stored policy, its revision stamped (see Stamp).
func Compute(policies []store.AgentPolicy, labels map[string]string) (*busv1.AgentPolicy, error) {
	chosen, ok := Select(policies, labels)
	if !ok {
		return Stamp(Default(), 0), nil
	}
	spec, err := ParseSpec(chosen.Spec)
	if err != nil {
		return nil, fmt.Errorf("policy %q: %w", chosen.Name, err)
	}
	out := Merge(spec)
	out.Name = chosen.Name
	if err := Validate(out); err != nil {
		return nil, fmt.Errorf("policy %q: %w", chosen.Name, err)
	}
	return Stamp(out, chosen.Revision), nil
}

// Stamp sets p's revision to the stored policy's revision in the upper 32
// bits and a hash of p's content (without the revision) in the lower 32,
// never 0, and returns p. Two policies that differ in anything an agent
// applies get different revisions.
func Stamp(p *busv1.AgentPolicy, storedRevision uint64) *busv1.AgentPolicy {
	p.Revision = 0
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
	if err != nil {
		// Marshal fails only for invalid UTF-8 in strings, which protojson
		// decoding and plugin name checks rule out; hash what is there.
		b = []byte(p.String())
	}
	h := fnv.New32a()
	_, _ = h.Write(b)
	sum := h.Sum32()
	if sum == 0 {
		sum = 1
	}
	p.Revision = storedRevision<<32 | uint64(sum)
	return p
}
