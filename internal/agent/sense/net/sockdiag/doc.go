// Package sockdiag is the net/sockdiag sensor, the fallback network
// sensor (mechanism "sock-diag", provides "network"): where the eBPF
// sensor cannot run, it polls the kernel's socket tables through netlink
// SOCK_DIAG (inet_diag) and reports what changed between two polls.
//
// # What it reports
//
// Every poll dumps the TCP and UDP sockets, IPv4 and IPv6, of the agent's
// network namespace, and diffs the table with the previous one by socket
// cookie:
//
//   - a new TCP listener: listen-started (network.direction "listening",
//     source.ip/port the bound address); a listener gone: listen-stopped;
//   - a new TCP connection whose local port is a listening port:
//     connection-accepted (ingress, source = the peer); any other new TCP
//     connection: connection-attempted (egress, destination = the peer),
//     event.outcome "success" once it is established;
//   - a new connected UDP socket: udp-peer, once per (process, peer);
//   - every flow interval, one flow record (event.kind "metric", action
//     "flow") per (process, peer address, service port, transport,
//     direction) that moved data or began connections: source.bytes and
//     destination.bytes from tcp_info's bytes_acked and bytes_received
//     (payload bytes, acknowledged data only, retransmissions not counted
//     twice), packets from its segment counts, vigil.flow.connections the
//     connections first seen in the interval. The service port is the
//     remote port of an egress flow and the local port of an ingress one.
//
// The first poll is the baseline: the sockets open when the sensor starts
// are not reported as new, and the bytes they moved before it are not
// counted.
//
// The owning process of a socket is found through the socket inodes in
// /proc/PID/fd. Scanning every process's descriptors costs in proportion
// to the open files of the host, so a scan runs only when a poll has
// sockets to attribute (new ones, or ones whose bytes are to be counted),
// once per poll for all of them, and stops as soon as all are found. A
// socket shared by several processes is attributed to the lowest pid. The
// executable is read from /proc/PID/exe after checking the pid's start
// time, so a reused pid is never taken for the owner; when the process is
// gone, process.name comes from its comm alone.
//
// # What polling misses
//
// Polling sees the state at each poll, not what happened in between:
//
//   - a connection opened and closed between two polls is never seen: no
//     event, no connection counted, no bytes;
//   - bytes a connection moved after the last poll before it closed are
//     not counted;
//   - a listener opened and closed between two polls is never seen;
//   - the time of an event is the time of the poll that first saw it;
//   - unconnected UDP sockets (sendto to many peers) show no peer, and
//     sock_diag has no byte counters for UDP: UDP flows count connected
//     sockets but no bytes;
//   - sockets of other network namespaces (containers) are not in the
//     dump;
//   - a process that exits before the scan of /proc leaves its sockets
//     unattributed (no process fields).
//
// DNS queries are not visible to polling at all. Nothing that was not
// seen is counted or guessed; malformed netlink messages are skipped and
// counted through the Emitter's Lost. Messages on the sensor's netlink
// socket that the kernel did not send (a process with CAP_NET_ADMIN can
// send them) are ignored.
//
// The sensor's counters (plugin.Counted), totals since it was created:
// malformed_messages, forged_messages (not sent by the kernel),
// interrupted_dumps (dumps run again because sockets changed while they
// ran), failed_dumps, unreadable_processes (/proc entries that did not
// parse while owners were looked for); and sockets, the sockets tracked
// after the last poll.
//
// # Settings
//
// A JSON object, every field optional:
//
//	poll_interval     duration string, default "5s" (100ms..10m): time between dumps
//	flow_interval     duration string, default "60s" (1s..1h, not below poll_interval)
//	flows             bool, default true: emit flow records
//	ignore_ports      list of ports: no event and no flow for sockets with
//	                  one of them as local or remote port
//	ignore_addresses  list of IP addresses or CIDR ranges: no event and no
//	                  flow for these remote addresses
//
// # Shared pieces
//
// The package also exports what every network sensor shares, so that the
// eBPF sensor's events have the same shape: Process and ProcessInfo (the
// owner's executable, start time and user), Filter, the event builders
// ConnectionEvent and FlowEvent, and the strict settings decoding.
package sockdiag
