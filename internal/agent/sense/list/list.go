// Package list names every sensor the agent ships. Registration is
// explicit: a sensor runs only when it is in All, and the package's test
// fails when a sensor package under sense/ is missing from it.
package list

import (
	"github.com/vigilsec/vigil/internal/agent/collect/app/websites"
	"github.com/vigilsec/vigil/internal/agent/collect/proc/processes"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog"
	"github.com/vigilsec/vigil/internal/agent/sense/cpuhog"
	execaudit "github.com/vigilsec/vigil/internal/agent/sense/exec/audit"
	execebpf "github.com/vigilsec/vigil/internal/agent/sense/exec/ebpf"
	"github.com/vigilsec/vigil/internal/agent/sense/exec/proccon"
	"github.com/vigilsec/vigil/internal/agent/sense/fim"
	"github.com/vigilsec/vigil/internal/agent/sense/kmod"
	netebpf "github.com/vigilsec/vigil/internal/agent/sense/net/ebpf"
	"github.com/vigilsec/vigil/internal/agent/sense/net/sockdiag"
	"github.com/vigilsec/vigil/internal/agent/sense/netcfg"
	"github.com/vigilsec/vigil/internal/agent/sense/persist"
	"github.com/vigilsec/vigil/internal/agent/sense/selfguard"
)

// All returns a new instance of every sensor.
func All() []plugin.Sensor {
	files := fim.New()
	// The web roots the web servers' configurations name are watched too:
	// a changed page is a defacement or a webshell.
	files.DiscoverWebRoots = websites.DocumentRoots
	hog := cpuhog.New()
	// A busy program is named with the package that owns it, as the
	// inventory names the programs of the processes.
	hog.PackageOf = processes.PackageOf
	return []plugin.Sensor{
		execebpf.New(),  // process events: first choice
		proccon.New(),   // process events: the fallback
		execaudit.New(), // process events: the last resort
		accounts.New(),
		authlog.New(),
		persist.New(),
		files,
		kmod.New(),
		netcfg.New(),
		netebpf.New(),  // network events: first choice
		sockdiag.New(), // network events: the fallback
		selfguard.New(),
		hog,
	}
}
