// Package proctable is the agent's table of the host's processes, shared
// by the process sensors (exec/ebpf, exec/proccon) and available to every
// sensor that needs to name the process behind an event.
//
// A Table is seeded from <root>/proc when a process sensor starts, so that
// the processes started before the agent are known, and kept current by
// that sensor's exec, fork and exit records. For each process it holds
// the entity id (package procid), the parent's entity id, pid and ppid,
// name, executable, arguments, working directory, real and effective
// user and group, login user (audit loginuid) and audit session,
// terminal, start time, container (from the cgroup path), the identity
// and SHA-256 of the executable, and file descriptors 0-2 when they are
// sockets or pipes.
//
// # Bounds
//
// The table holds at most Config.MaxProcesses live processes; beyond
// that it first forgets processes that /proc shows to be gone, then
// arbitrary ones, and counts them (Stats.Evicted). An exited process is
// kept for Config.ExitedRetention (and at most Config.MaxExited of them)
// so that late events can still name it, then dropped. Hashes are
// computed by package exehash off the event path; user and group names
// come from package userdb.
//
// # Events
//
// A Stream turns a sensor's records into the process events that every
// process sensor emits, with the same shape whatever the mechanism:
// exec, fork and exit (see Stream and ExecEvent, ForkEvent, ExitEvent).
//
// The process sensors embed SensorBase: the shared table, their
// settings, the stream of the current run, their counters.
//
// # Use by other sensors
//
// A sensor that reports what a process did (a connection, a file
// change) takes the agent's table with Shared(env.Root, env.HostID) in
// its Configure, and per event either calls Annotate(e, pid), which sets
// process.* (with parent and ancestry), user.* and container.* as the
// process events have them, or Lookup(pid) for the Process itself
// (EntityID, Executable, Args ...). Lookup reads /proc for a process the
// table does not know yet, so it answers even when no process sensor
// runs; LookupEntity finds a process that exited moments ago.
//
// Process values are shared and immutable once in the table: callers
// must not modify what Lookup, LookupEntity and Ancestry return.
package proctable
