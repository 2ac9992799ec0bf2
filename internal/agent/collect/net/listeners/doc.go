// Package listeners is the net/listeners collector: every listening TCP
// socket and every bound, unconnected UDP socket, IPv4 and IPv6, of the
// network namespace the agent runs in, with the process that holds it
// (asset kind "port"). It shows what `ss -ltnup` shows.
//
// # Items
//
// One item per transport and local address: Key "tcp/0.0.0.0:22",
// "tcp/[::]:22", "udp/[::1]:53" (a v4-mapped address stays in its IPv6
// form, "tcp/[::ffff:127.0.0.1]:80"); Name the port number ("22").
// Sockets of one address spread over several processes with
// SO_REUSEPORT are one item. Fields:
//
//	network.transport   "tcp" or "udp"
//	network.type        "ipv4" or "ipv6"
//	server.ip           the bound address ("0.0.0.0", "::", "127.0.0.1")
//	server.port         the port, a number
//	user.id, user.name  the user that created the socket
//	process.name        the holding process's command name (comm)
//	process.executable  its executable, when it can be read
//	vigil.process.executable_deleted
//	                    true when that file was deleted or replaced since
//	                    the process started it (an upgraded package whose
//	                    daemon was not restarted, or a binary that removed
//	                    itself)
//	container.id        the container the process runs in, if any
//	package.name, package.type, package.architecture
//	                    the OS package that owns the executable, or
//	                    package.name "none" when no package owns it (see
//	                    package pkgowner); left out on a host without a
//	                    package database the agent reads and for
//	                    processes in containers
//
// The listening side is named with ECS server.*: a listener is the server
// end of the connections it accepts (the net sensors' listen events name
// it source.*, as the side that acted).
//
// # No pid
//
// The process is described by what stays the same across a restart:
// name, executable, package. Its pid, start time and entity id are not in
// the item, so that a daemon restarted by its package's upgrade or by a
// log rotation is the same, unchanged port; the net sensors report the
// listen-stopped and listen-started events of that restart with the pids.
// A port whose process changed (another executable now listens on 22) is
// a changed item.
//
// When several processes hold the socket (the master and workers of a
// pre-forking server, or the init process and the service of a
// socket-activated unit), the one shown is not pid 1 unless it is the
// only one, then the one that started first, then the lowest pid: the
// master. A socket no process can be found for (one the kernel opened, or
// held by a process whose descriptors the kernel refuses to show even to
// root) has no process fields, as in ss.
//
// # How
//
// The sockets come from /proc/net/{tcp,tcp6,udp,udp6} (streamed, so a
// host with many connections is not held in memory) and their holders
// from the socket inodes in the links of /proc/PID/fd, read once for all
// processes per run. A socket table that cannot be read makes the run
// fail (the set would be incomplete); a malformed line is skipped and
// counted.
package listeners
