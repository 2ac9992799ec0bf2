// Package health follows every agent's liveness and records it in the
// store: online, stopped, uninstalled or lost, with the time and reason of
// each change, and raises an alert when an agent is uninstalled or goes
// away without saying goodbye.
//
// It listens to four sources:
//
//   - heartbeats (bus.AllHeartbeats, busv1.Heartbeat): the agent is
//     online; host facts in a heartbeat update the agent's record, plugin
//     statuses and agent stats become its last state;
//   - goodbyes (bus.AllGoodbyes, busv1.Goodbye), requests answered once
//     the new status is stored: stopped (no alert) or uninstalled (alert);
//   - the server's connect and disconnect events for the agents' account
//     ($SYS.ACCOUNT.<account>.CONNECT|DISCONNECT, every account unless
//     Config.Account names one): a connect means online;
//     a disconnect not preceded by a goodbye, and not followed by one
//     within Config.Grace, means lost (alert);
//   - a sweep every second, which marks lost any online agent that has no
//     live connection and sent no heartbeat for Config.HeartbeatTimeout,
//     in case an event was missed.
//
// An agent is known by the subject it publishes on (which its bus
// credentials restrict to its own) and by the user it authenticated as
// (the name in its user JWT, checked against the user key the store
// holds for it). The connection name a client picks is not trusted.
//
// Its alerts join incidents as host alerts (store.Join.SameHost): an agent
// that goes silent minutes after a reverse shell on its host is what an
// attacker who kills the agent looks like, so the alert joins the open
// incident of its host last seen within Config.IncidentWindow, and the
// host's alerts around it join the alert's incident whichever is attached
// first. An uninstall also brings the users its goodbye names.
//
// Status changes, fact updates and alerts are written by one goroutine, in
// the order they were decided. Heartbeats cost no write of their own:
// last-seen times are kept in memory and flushed with one TouchMany every
// Config.FlushInterval, and stats-only changes of the last state at most
// every Config.StateInterval.
package health
