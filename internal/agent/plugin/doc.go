// Package plugin defines what the agent runtime runs: collectors, which
// take a snapshot of the host on a schedule, and sensors, which stream
// events for as long as they run.
//
// The core interfaces are small (Plugin, Collector, Sensor); optional ones
// (Configurer, FactsProvider) are found by type assertion. Every plugin
// says what it needs from the host in Requirements; the runtime compares
// that with the host's Capabilities (Detect) and skips a plugin the host
// cannot run, stating the reason upstream, instead of letting it fail.
//
// A plugin lives in its own package under internal/agent/collect/<area>/
// or internal/agent/sense/, and its Name is that folder's path below
// collect/ or sense/ ("host/facts", "selfguard"). Registration is explicit:
// the packages collect/list and sense/list name every plugin, and their
// tests check that none is missing and each is well named.
//
// # Ownership
//
// The runtime owns every plugin value it is given: it calls Configure at
// most once, before the first Collect or Run; it never calls Collect twice
// at the same time on one collector; it calls a sensor's Run from one
// goroutine at a time and cancels its context to stop it, and Run must
// return soon after. A sensor closes what it opened (watches, sockets,
// kernel objects) before Run returns; it never closes the Emitter, which
// belongs to the runtime and is valid only until Run returns. An event
// handed to Emit, or returned by Collect, belongs to the runtime from then
// on: the plugin must not touch it again.
package plugin
