// Package ebpf is the net/ebpf sensor (mechanism "ebpf", provides
// "network"): eBPF CO-RE programs report TCP connections made and
// accepted, TCP listeners opened and closed, UDP datagrams to new peers,
// DNS queries and answers, and per-flow byte counts, each with the
// process that owns the socket. Where the programs cannot load, the
// runtime falls back to net/sockdiag.
//
// # Hooks, and who owns a socket
//
// The programs use tracepoints with BTF and cgroup hooks only (no kprobe,
// no fentry). Every socket they learn about gets an entry in a kernel map
// keyed by its socket cookie, naming its owner: pid (thread group), the
// group leader's start time (for process.entity_id), effective uid and
// comm, always taken where the kernel runs in the owner's context:
//
//   - tp_btf/inet_sock_set_state, CLOSE -> SYN_SENT (connect(), process
//     context): the owner of an outgoing TCP connection. The source port
//     is not chosen yet at that point, so connection-attempted is emitted
//     by the cgroup_skb egress program when the connection's SYN leaves,
//     with both ports. A connect whose SYN that program never sees is
//     reported when the handshake ends, with its outcome.
//   - CLOSE -> LISTEN (listen(), process context): listen-started; the
//     listener's owner is kept by (network namespace, port) and by
//     cookie. LISTEN -> CLOSE: listen-stopped, with the port and owner
//     recorded at listen() (the kernel releases the port first).
//   - SYN_RECV -> ESTABLISHED of a passive open runs in softirq, where the
//     current task is whoever was interrupted. By default the connection
//     is reported at once, owned by the listener's owner
//     (vigil.network.owner_source "listener": the server that opened the
//     port, which may hand the connection to a worker). With the setting
//     exact_accept_owner the new socket is marked as waiting for accept,
//     with the listener's owner standing in; then tp_btf/sys_exit, filtered on accept and accept4 by syscall number
//     before anything else, finds the returned descriptor's socket
//     (current->files->fdt->fd[ret]) and, if it is a marked one, makes the
//     accepting process its owner and emits connection-accepted. Workers
//     that accept on a listener their parent opened, and services started
//     by socket activation, are therefore attributed to the process that
//     really accepted. The sys_exit hook runs on every system call of the
//     host (the benchmark BenchmarkSyscall measures what that costs),
//     which is why it is off by default.
//   - tp_btf/io_uring_complete, with exact_accept_owner, where the kernel
//     has io_uring: an accept through io_uring (IORING_OP_ACCEPT, single
//     or multishot) makes no accept system call. Its completion is posted
//     by a task of the ring's process (the submitter, its task work, an
//     io-wq worker or the SQPOLL thread, all sharing the descriptor
//     table), with the new descriptor as result; the program finds the
//     socket there as sys_exit does. The completions of a multishot
//     accept come without their request, so with an unknown operation:
//     their results are tried as descriptors too, which is safe because
//     only a socket waiting for accept that sits in the current
//     process's descriptor table is taken. An accept into a fixed file
//     slot gives no descriptor, and one whose completion is skipped
//     (IOSQE_CQE_SKIP_SUCCESS) posts none: such connections, like those
//     accepted by 32-bit tasks or reset while queued, are reported when
//     they close (TCP_CLOSE), with the listener's owner.
//   - cgroup/connect4, connect6, sendmsg4, sendmsg6 (attached to the root
//     of the cgroup v2 hierarchy, process context): the owner of a UDP
//     socket, and udp-peer for each (process, peer) not seen before. A
//     kernel LRU map of 16384 pairs remembers what was reported; a pair
//     evicted from it may be reported again. cgroup/bind4, bind6 name the
//     owner of a bound UDP socket; its direction is decided by its first
//     datagram (received first: a server, ingress; sent first: a client).
//     cgroup/sock_release ends the entry of a UDP socket; a TCP entry ends
//     with TCP_CLOSE, once its last data has left.
//   - cgroup_skb/egress and ingress (root cgroup): every packet's payload
//     (IP packet length less the IP, IPv6 extension, TCP or UDP headers)
//     is added to its flow, and UDP payloads and TCP segments to or from
//     the DNS ports are copied to the ring buffer.
//
// # Events
//
// Fields follow the Elastic Common Schema; every event has process.pid,
// process.entity_id (procid.EntityID of the pid and the start time the
// kernel gave), process.name (comm), process.executable (read from
// /proc/PID/exe after checking that the pid still has that start time,
// cached by entity id; absent when the process is gone), process.start,
// process.user.id/name and user.id/name when the owner is known.
//
//   - connection-attempted: network.direction egress, source = this
//     host's side, destination = the peer.
//   - connection-accepted: ingress, source = the peer, destination = this
//     host's side; event.outcome success.
//   - listen-started, listen-stopped: direction listening, source.ip/port
//     the bound address.
//   - udp-peer: egress, destination the peer.
//   - dns-query, dns-answer: event.type ["protocol"], network.protocol
//     dns; source is the client (this host), destination the server for
//     both; dns.id, dns.op_code, dns.header_flags, dns.question.name,
//     type and class; answers add dns.response_code, dns.answers
//     [{name, type, class, data, ttl}] and dns.resolved_ip. Only this
//     host's side as a client is reported (queries it sends, answers it
//     receives), so a local server's side of the same exchange is not
//     repeated. At most 1280 bytes of a message are copied; a message cut
//     there is reported with what it holds and vigil.dns.truncated.
//     DNS over TCP (network.transport tcp) frames each message with a
//     two-byte length; the first 1280 bytes of every segment are copied
//     with its sequence number, and user space reads every message that
//     begins and ends in one segment (several when queries are
//     pipelined). A message that continues into the next segment is
//     skipped and counted (dns_tcp_split); a length prefix alone at the
//     end of a segment is kept, so its message in the next segment is
//     read; retransmitted segments are not read twice. Up to 4096 TCP
//     streams are followed at once, each until its FIN or RST, or two
//     minutes without a segment.
//   - flow (event.kind metric): every flow interval, one record per
//     (process, remote address, service port, transport, direction) that
//     moved data: source.bytes and destination.bytes (payload bytes each
//     way, ECS sides: source began the connection), source.packets and
//     destination.packets, network.bytes and network.packets,
//     vigil.flow.connections (connections that began in the interval),
//     event.start and event.end. The service port is the remote port of
//     an egress flow and the local port of an ingress one: keying ingress
//     flows by the peer's ephemeral port would make one record per
//     connection. Sockets the programs learned nothing about (opened
//     before the sensor started) are counted without a process, with
//     direction unknown and the lower of the two ports as service port.
//
// # Counting and losses
//
// The kernel keeps cumulative counters per flow in an LRU map of 32768
// entries; user space reports the growth of each entry at every flow
// interval and deletes entries idle for two intervals (a packet counted
// between the last read and the delete is lost with the entry). When
// more flows are active than the map holds, the kernel evicts the least
// recently used, and their growth since the last read is not reported.
// Payloads are counted as they pass the cgroup hooks: data retransmitted
// by TCP counts again. The sockets map holds 65536 entries; a socket
// evicted from it is counted without a process from then on.
//
// Records the ring buffer has no room for are counted in the kernel and
// reported through the Emitter's Lost every second; records that cannot
// be decoded, and DNS messages that do not parse, are counted there too.
//
// The sensor's counters (plugin.Counted), totals since it was created:
// lost_records (records the ring buffer had no room for),
// malformed_records (records that did not decode), malformed_dns (DNS
// messages that did not parse), dns_tcp_split (DNS over TCP messages
// skipped because they continued past their segment), flow_evictions
// (flow entries the kernel evicted before their growth was read:
// entries gone from the map, or made anew, between two reads), and
// flow_entries, the size of the flow table at the last read.
//
// What the programs do not see: hosts without a mounted cgroup v2
// hierarchy (the sensor does not run), sockets of cgroup v1
// net_cls/net_prio users (the cgroup hooks skip them), DNS messages
// split across TCP segments, and encrypted DNS: DNS over TLS (port 853)
// and DNS over HTTPS are TLS to the programs, which see their flows but
// not their questions. With exact_accept_owner, connections that no
// process receives as a descriptor (see io_uring above) are reported
// late, when they close, and named after the listener's owner.
//
// # Settings
//
// A JSON object, every field optional:
//
//	flow_interval     duration string, default "60s" (1s..1h)
//	flows             bool, default true: count and emit flow records
//	dns               bool, default true: copy and report DNS messages
//	dns_ports         list of UDP ports carrying DNS, default [53], at most 16
//	udp               bool, default true: report udp-peer
//	ignore_ports      list of ports: no event and no flow for sockets with
//	                  one of them as local or remote port
//	ignore_addresses  list of IP addresses or CIDR ranges: no event and no
//	                  flow for these remote addresses
//	ring_buffer_kib   size of the kernel ring buffer, a power of two in
//	                  64..262144, default 1024
//	exact_accept_owner  bool, default false: name the process that
//	                  accepted each connection (a sys_exit program on
//	                  every system call) instead of the listener's owner
//
// The programs are built from net.bpf.c (with vnet.h, the kernel types
// read as CO-RE flavors) by bpf2go; the generated Go files and objects are
// committed. The implementation is for Linux on amd64 and arm64; elsewhere
// Probe and Run return ErrUnsupported.
package ebpf
