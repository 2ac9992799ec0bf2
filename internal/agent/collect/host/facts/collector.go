// Package facts is the host/facts collector: the host's name, operating
// system, kernel, architecture, addresses, boot time and machine id. It
// returns them as one ECS state event, and gives them to the runtime
// (plugin.FactsProvider) for enrollment and heartbeats.
package facts

import (
	"context"
	"strings"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "host/facts"

// Collector collects the host's facts.
type Collector struct {
	// Interfaces, when set, replaces the host's interface list (tests).
	Interfaces func() ([]Interface, error)
	// Now, when set, replaces the clock (tests).
	Now func() time.Time
}

var (
	_ plugin.EventCollector = (*Collector)(nil)
	_ plugin.FactsProvider  = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: it reads /proc and /etc.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return time.Hour }

// HostFacts implements plugin.FactsProvider.
func (c *Collector) HostFacts(ctx context.Context, env plugin.Env) (*busv1.HostFacts, error) {
	r := Reader{Root: env.Root, AgentVersion: env.AgentVersion, Interfaces: c.Interfaces}
	return r.Read(ctx)
}

// Collect implements plugin.EventCollector: one event of kind "state",
// category "host", action "facts" with the host.* fields.
func (c *Collector) Collect(ctx context.Context, env plugin.Env) ([]event.Event, error) {
	f, err := c.HostFacts(ctx, env)
	if f == nil {
		return nil, err
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	return []event.Event{Event(f, now)}, err
}

// Event returns the facts as an ECS event taken at now (without event.id
// and agent.id, which the runtime sets).
func Event(f *busv1.HostFacts, now time.Time) event.Event {
	e := event.Event{}
	e.Set(event.FieldTimestamp, now.UTC().Format(time.RFC3339Nano))
	e.Set(event.FieldKind, "state")
	// event.category is a single string on this platform (event.Validate).
	e.Set(event.FieldCategory, "host")
	e.Set(event.FieldAction, "facts")
	e.Set(event.FieldDataset, "host.facts")
	setString(e, "host.hostname", f.GetHostname())
	setString(e, event.FieldHostName, f.GetHostname())
	setString(e, event.FieldHostID, f.GetMachineId())
	setString(e, "host.architecture", f.GetArch())
	setString(e, "host.os.type", f.GetOs())
	setString(e, "host.os.platform", f.GetPlatform())
	setString(e, "host.os.version", f.GetPlatformVersion())
	setString(e, "host.os.kernel", f.GetKernel())
	if ips := f.GetIps(); len(ips) > 0 {
		e.Set("host.ip", strs(ips))
	}
	if macs := f.GetMacs(); len(macs) > 0 {
		ecs := make([]any, len(macs))
		for i, m := range macs {
			// ECS writes MAC addresses upper-case with hyphens.
			ecs[i] = strings.ToUpper(strings.ReplaceAll(m, ":", "-"))
		}
		e.Set("host.mac", ecs)
	}
	if bt := f.GetBootTimeUnix(); bt > 0 {
		if up := now.Unix() - bt; up >= 0 {
			e.Set("host.uptime", up)
		}
	}
	return e
}

// setString sets a non-empty value.
func setString(e event.Event, path, v string) {
	if v != "" {
		e.Set(path, v)
	}
}

// strs converts to the []any a decoded JSON document would hold.
func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
