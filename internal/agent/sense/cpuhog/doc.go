// Package cpuhog is the cpuhog sensor: it reports a process that keeps a
// CPU busy for a long time, the mark a cryptocurrency miner leaves
// whatever it is called and however its pool is reached.
//
// # Sampling
//
// Every interval (default 10 s) the sensor lists <root>/proc and reads
// /proc/PID/stat of every process: the CPU time its threads used (utime
// plus stime) and its start time. The difference between two samples,
// over the time between them, is the process's use of one core (100 % is
// one core busy; a process with several busy threads goes above 100 %).
// A pid together with its start time names one process: a pid whose start
// time changed was reused, and its measure starts again. Kernel threads
// are not measured.
//
// A process is hot while each sample is at or above cpu_threshold
// (default 80 % of one core). When it has stayed hot for sustain (default
// 10 min), one event is sent. It is sent again only after the process
// cooled down (a sample below the threshold) and stayed hot for sustain
// once more, or after rearm (default 6 h) of staying hot without a break.
// A process already busy when the agent starts is measured from the
// sensor's first sample. A sample taken less than half an interval after
// the last one (the ticker catching up after a slow tick) is not judged:
// it measures too little time for the tick-sized unit of CPU time, and
// the next sample measures from the last.
//
// The per-tick work allocates nothing: the /proc directory is read with
// getdents64 into a buffer of the sensor's, and each stat file is opened,
// read and closed with direct system calls into another. The state kept is
// about 100 bytes per process, in a map bounded by max_processes. When
// the bound is reached a process that is not hot is dropped to make room
// for a new one (evictions); when every process is hot, the new one is
// not measured (untracked). A host with more processes than the bound is
// measured only in part: raise max_processes there.
//
// # Events
//
// cpu-sustained (event.category process, event.type info, event.dataset
// cpuhog), with event.start (when the streak began) and event.duration,
// and:
//
//   - the process fields of the process events (process.pid, entity_id,
//     name, executable, args, command_line, user, group, parent, ancestry,
//     container.*), from the agent's process table; process.executable is
//     the file the process runs now (" (deleted)" removed);
//   - process.cpu.pct: the CPU use averaged over the streak as a share of
//     all the host's CPUs (0 to 1, as ECS defines it);
//   - vigil.cpuhog.core_pct: the same as a percentage of one core, the
//     unit of cpu_threshold; vigil.cpuhog.sustained_seconds: how long the
//     process has been hot; vigil.cpuhog.threshold_pct,
//     vigil.cpuhog.cpus (the host's online CPUs) and vigil.cpuhog.rearmed
//     (true for a report after rearm);
//   - vigil.process.package: the OS package that owns the executable, or
//     "none" when no package does (as the inventory's package.name); left
//     out for processes in containers (the host's package database does
//     not describe their files), on hosts without a package database the
//     agent reads, and when the executable cannot be read;
//   - vigil.process.executable_deleted: the executable was deleted or
//     replaced since the process started it (also a program run from
//     memory, /memfd:NAME);
//   - vigil.process.executable_in_temp: the executable lies in a directory
//     anyone can write to (/tmp, /var/tmp, /dev/shm, /run/shm).
//
// The package of an executable is looked up once per version of the file
// (path, device, inode, size and modification time), in a bounded cache.
//
// # Privileges
//
// The sensor needs no privilege: /proc/PID/stat of every process is
// readable by every user (unless /proc is mounted with hidepid, which
// hides other users' processes from a sensor not run as root). Without
// root, the executable of another user's process (/proc/PID/exe) cannot
// be read, so its events lack the package, deleted and temporary-path
// fields and the ignore list cannot match it; its working directory and
// standard streams are missing likewise. As root every field is filled.
//
// # Settings
//
// A JSON object, every field optional:
//
//	interval       duration, default "10s" (100ms to 10m): time between samples
//	cpu_threshold  number, default 80: percent of one core (0 < t <= 409600)
//	sustain        duration, default "10m" (at least interval, at most 24h)
//	rearm          duration, default "6h": a process hot without a break is
//	               reported again after this long; "0s" never (else at
//	               least sustain, at most 30 days)
//	max_processes  integer, default 65536 (1 to 4194304)
//	ignore         absolute paths of executables never reported, with the
//	               wildcards of path.Match ("/opt/render/bin/*"); at most 1024
//
// Changed settings restart the sensor, and with it every streak.
//
// # Counters
//
// processes (the processes measured now), evictions, untracked,
// read_errors (stat files that could not be read for another reason than
// the process being gone), malformed_lines (stat files that did not
// parse), pid_reuses, ignored (hot processes not reported because the
// ignore list names their executable), package_lookups and
// package_cache_hits.
package cpuhog
