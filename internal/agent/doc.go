// Package agent is the agent runtime: it enrolls the host on its first
// run, keeps its identity in the data directory, connects to the bus and
// runs the collectors and sensors the policy asks for, within the agent's
// resource budget.
//
// # Lanes
//
// Heartbeats have a lane of their own: one goroutine publishes them with a
// plain core publish every heartbeat interval, and the event sender keeps
// at most a few batches unacknowledged, so that the connection's write
// buffer never holds more than a few hundred KB ahead of a heartbeat.
// Events go through the on-disk spool: every event a plugin produces gets
// its event.id (a UUIDv7), agent.id, host.id and @timestamp, is written to
// the spool and is sent from there by the sender (package sender), which
// removes it only once the events stream acknowledged it.
//
// # Plugins
//
// A plugin the host cannot run (plugin.Requirements) is skipped with its
// reason; one that fails or panics is reported as failed and, for a
// sensor, started again after a pause. Nothing a plugin does stops the
// others or the agent. Statuses go upstream with heartbeats when they
// change, and with every tenth heartbeat.
//
// # Policy
//
// The agent follows its policy in the policy bucket (client.WatchPolicy)
// and applies each new revision without a restart: collectors and sensors
// are switched on and off, intervals, heartbeat interval, spool size,
// event rate limit and budget change in place. Until a policy arrives, and
// when it is deleted, the built-in defaults hold: every plugin on at its
// default interval, a heartbeat every 5 s, 10 % of one core, 256 MB of
// memory, a 256 MB spool and no rate limit. A plugin the policy does not
// name runs with its defaults.
//
// # Stopping
//
// When the context given to Run ends, the agent stops its plugins, tells
// the center why with a Goodbye request (NotifyStop makes a context whose
// cause names the signal), sends what it can of the spool for a moment,
// and closes. What was not sent stays in the spool for the next start.
package agent
