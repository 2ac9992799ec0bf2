// Package list names every collector the agent ships. Registration is
// explicit: a collector runs only when it is in All, and the package's
// test fails when a collector package under collect/ is missing from it.
package list

import (
	"github.com/vigilsec/vigil/internal/agent/collect/app/libraries"
	"github.com/vigilsec/vigil/internal/agent/collect/app/middleware"
	"github.com/vigilsec/vigil/internal/agent/collect/app/websites"
	"github.com/vigilsec/vigil/internal/agent/collect/compliance/baseline"
	"github.com/vigilsec/vigil/internal/agent/collect/container/containerd"
	"github.com/vigilsec/vigil/internal/agent/collect/container/docker"
	"github.com/vigilsec/vigil/internal/agent/collect/host/facts"
	"github.com/vigilsec/vigil/internal/agent/collect/host/hardware"
	"github.com/vigilsec/vigil/internal/agent/collect/net/listeners"
	"github.com/vigilsec/vigil/internal/agent/collect/os/modules"
	ospackages "github.com/vigilsec/vigil/internal/agent/collect/os/packages"
	"github.com/vigilsec/vigil/internal/agent/collect/os/services"
	"github.com/vigilsec/vigil/internal/agent/collect/os/sysctl"
	"github.com/vigilsec/vigil/internal/agent/collect/os/tasks"
	"github.com/vigilsec/vigil/internal/agent/collect/os/users"
	"github.com/vigilsec/vigil/internal/agent/collect/proc/processes"
	riskaccounts "github.com/vigilsec/vigil/internal/agent/collect/risk/accounts"
	riskservices "github.com/vigilsec/vigil/internal/agent/collect/risk/services"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/scan/passwords/words"
)

// All returns a new instance of every collector.
func All() []plugin.Collector {
	libs := libraries.New()
	// Web applications deployed in the web servers' roots (a WAR in
	// Tomcat's appBase, a PHP site's vendor folder) are scanned too.
	libs.DiscoverWebRoots = websites.DocumentRoots
	// Weak credentials of services: the built-in dictionary comes after
	// each product's defaults and the policy's words.
	svc := riskservices.New()
	svc.Words = words.Builtin
	return []plugin.Collector{
		facts.New(),
		hardware.New(),
		users.New(),
		listeners.New(),
		processes.New(),
		services.New(),
		tasks.New(),
		modules.New(),
		sysctl.New(),
		ospackages.New(),
		riskaccounts.New(),
		baseline.New(),
		libs,
		middleware.New(),
		websites.New(),
		docker.New(),
		containerd.New(),
		svc,
	}
}
