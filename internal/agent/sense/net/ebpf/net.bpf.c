//go:build ignore

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Network telemetry: TCP connections made and accepted, listeners opened
 * and closed, UDP datagrams to new peers, DNS messages and per-flow byte
 * counters, each with the owning process. The package documentation of
 * the Go loader explains which hook sees what and why.
 *
 * Every socket the programs learn about gets an entry in `sockets`, keyed
 * by its socket cookie, naming its owner (taken in process context) and
 * its direction. The cgroup_skb programs count each packet's payload into
 * `flows` under that owner, and copy DNS payloads to the ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "vnet.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

#define TCP_FIN 0x01
#define TCP_RST 0x04

#define IORING_OP_ACCEPT 13 /* UAPI */

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7
#define TCP_LISTEN 10

#define NS_PER_TICK 10000000ULL /* USER_HZ 100, as /proc/PID/stat */

/* Kinds of ring buffer records. */
enum {
	EV_CONNECT = 1,
	EV_ACCEPT = 2,
	EV_LISTEN = 3,
	EV_UNLISTEN = 4,
	EV_UDP_PEER = 5,
	EV_DNS = 6,
};

/* Directions of sockets and flows. */
enum {
	DIR_UNKNOWN = 0,
	DIR_EGRESS = 1,
	DIR_INGRESS = 2,
};

/* sock_info.flags */
#define SI_PENDING_CONNECT 1 /* connect() began, its SYN not yet seen */
#define SI_PENDING_ACCEPT 2  /* established by the kernel, accept() not yet returned */

/* Record flags */
#define EVF_SUCCESS 1
#define EVF_FAILURE 2
#define EVF_OWNER_KNOWN 4
#define EVF_OWNER_LISTENER 8 /* the owner is the listener's: exact_accept off */

#define DNS_MAX 1280

/* Settings, set by the loader. */
volatile const u8 dns_enabled = 1;
volatile const u8 udp_enabled = 1;
volatile const u8 flows_enabled = 1;
/* 1: accepted connections wait for accept() to name their process (the
 * sys_exit program is attached); 0: reported at once with the listener's
 * owner. */
volatile const u8 exact_accept = 1;

/* The process that owns a socket. */
struct owner {
	u64 start_ticks; /* the thread group leader's start, in clock ticks after boot */
	u32 tgid;
	u32 uid; /* effective */
	char comm[TASK_COMM_LEN];
};

struct sock_info {
	struct owner owner;
	u8 known; /* owner is set */
	u8 dir;
	u8 flags;
	u8 _pad[5];
};

struct listener_key {
	u32 netns;
	u16 port;
	u16 _pad;
};

struct flow_key {
	u64 start_ticks;
	u32 tgid;
	u16 port; /* service port: remote for egress, local for ingress */
	u8 proto;
	u8 dir;
	u8 raddr[16]; /* IPv4 as ::ffff:a.b.c.d */
};

struct flow_val {
	u64 bytes_out;
	u64 bytes_in;
	u64 pkts_out;
	u64 pkts_in;
	u64 conns;
	u64 created_ns; /* names this entry's life, in case the LRU recycles the key */
	u32 uid;
	u32 _pad;
	char comm[TASK_COMM_LEN];
};

struct peer_key {
	u64 start_ticks;
	u32 tgid;
	u16 port;
	u16 _pad;
	u8 raddr[16];
};

struct event {
	u64 ktime_ns;
	struct owner owner;
	u32 kind;
	u8 proto;
	u8 dir;
	u8 family;
	u8 flags;
	u16 lport;
	u16 rport;
	u32 payload_len; /* DNS: bytes of the datagram or segment; the record holds at most DNS_MAX */
	u8 laddr[16];
	u8 raddr[16];
	u32 seq;      /* DNS over TCP: the segment's sequence number */
	u8 tcp_flags; /* DNS over TCP: the segment's flags (FIN, RST ...) */
	u8 _pad[3];
};

struct dns_event {
	struct event ev;
	u8 payload[DNS_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Records the ring buffer had no room for. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, u64); /* socket cookie */
	__type(value, struct sock_info);
} sockets SEC(".maps");

/* Listeners by (network namespace, port): the owner that stands in for an
 * accepted connection until accept() returns it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct listener_key);
	__type(value, struct owner);
} listeners SEC(".maps");

/* Listeners by socket cookie: what listen-stopped reports, since the
 * kernel releases the port before the state changes to TCP_CLOSE. */
struct listen_info {
	struct owner owner;
	struct listener_key key;
	u8 family;
	u8 _pad[7];
	u8 laddr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, u64);
	__type(value, struct listen_info);
} listen_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct peer_key);
	__type(value, u8);
} udp_peers SEC(".maps");

/* The ports whose UDP payloads are DNS, filled by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u16);
	__type(value, u8);
} dns_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct dns_event);
} dns_scratch SEC(".maps");

static __always_inline void count_lost(void)
{
	u32 zero = 0;
	u64 *n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/* current_owner fills o with the current process; process context only. */
static __always_inline void current_owner(struct owner *o)
{
	struct task_struct___vnet *t = (struct task_struct___vnet *)bpf_get_current_task();
	struct task_struct___vnet *leader = BPF_CORE_READ(t, group_leader);
	o->start_ticks = BPF_CORE_READ(leader, start_boottime) / NS_PER_TICK;
	o->tgid = bpf_get_current_pid_tgid() >> 32;
	o->uid = BPF_CORE_READ(t, cred, euid.val);
	BPF_CORE_READ_STR_INTO(&o->comm, leader, comm);
}

static __always_inline void map_v4(u8 *dst, u32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

/* sk_addrs reads the addresses and ports of a kernel socket. */
static __always_inline void sk_addrs(struct sock___vnet *sk, struct event *e)
{
	u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->family = family;
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		map_v4(e->laddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		map_v4(e->raddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
	} else {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

static __always_inline u32 sk_netns(struct sock___vnet *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline struct event *reserve(u32 kind)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ktime_ns = bpf_ktime_get_ns();
	e->kind = kind;
	return e;
}

/* flow_add adds to the flow of key k; the owner names the entry. */
static __always_inline void flow_add(struct flow_key *k, const struct owner *o, u64 out, u64 in, u64 pout, u64 pin,
				     u64 conns)
{
	if (!flows_enabled)
		return;
	struct flow_val *v = bpf_map_lookup_elem(&flows, k);
	if (!v) {
		struct flow_val nv = {};
		nv.created_ns = bpf_ktime_get_ns();
		if (o) {
			nv.uid = o->uid;
			__builtin_memcpy(nv.comm, o->comm, sizeof(nv.comm));
		}
		bpf_map_update_elem(&flows, k, &nv, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&flows, k);
		if (!v)
			return;
	}
	if (out)
		__sync_fetch_and_add(&v->bytes_out, out);
	if (in)
		__sync_fetch_and_add(&v->bytes_in, in);
	if (pout)
		__sync_fetch_and_add(&v->pkts_out, pout);
	if (pin)
		__sync_fetch_and_add(&v->pkts_in, pin);
	if (conns)
		__sync_fetch_and_add(&v->conns, conns);
}

static __always_inline void flow_key_of(struct flow_key *k, const struct sock_info *si, u8 proto, u16 port,
					const u8 *raddr)
{
	__builtin_memset(k, 0, sizeof(*k));
	if (si && si->known) {
		k->start_ticks = si->owner.start_ticks;
		k->tgid = si->owner.tgid;
	}
	k->dir = si ? si->dir : DIR_UNKNOWN;
	k->proto = proto;
	k->port = port;
	__builtin_memcpy(k->raddr, raddr, 16);
}

/* ---- TCP state changes ---- */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state, struct sock___vnet *sk, int oldstate, int newstate)
{
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;

	if (newstate == TCP_SYN_SENT) {
		/* connect(): process context. The source port is not chosen
		 * yet; the SYN, seen on egress, reports the connection. */
		u64 cookie = bpf_get_socket_cookie(sk);
		struct sock_info si = {};
		current_owner(&si.owner);
		si.known = 1;
		si.dir = DIR_EGRESS;
		si.flags = SI_PENDING_CONNECT;
		bpf_map_update_elem(&sockets, &cookie, &si, BPF_ANY);
		return 0;
	}

	if (newstate == TCP_LISTEN) {
		/* listen(): process context. */
		u64 cookie = bpf_get_socket_cookie(sk);
		struct listen_info li = {};
		current_owner(&li.owner);
		li.key.netns = sk_netns(sk);
		li.key.port = BPF_CORE_READ(sk, __sk_common.skc_num);
		bpf_map_update_elem(&listeners, &li.key, &li.owner, BPF_ANY);
		struct event *e = reserve(EV_LISTEN);
		if (!e)
			return 0;
		e->owner = li.owner;
		e->flags = EVF_OWNER_KNOWN;
		e->proto = IPPROTO_TCP;
		sk_addrs(sk, e);
		li.family = e->family;
		__builtin_memcpy(li.laddr, e->laddr, 16);
		bpf_map_update_elem(&listen_socks, &cookie, &li, BPF_ANY);
		bpf_ringbuf_submit(e, 0);
		return 0;
	}

	if (oldstate == TCP_LISTEN && newstate == TCP_CLOSE) {
		/* close() of a listener, or the exit of its process. The port
		 * is already released: it comes from the listen() record. */
		u64 cookie = bpf_get_socket_cookie(sk);
		struct listen_info *li = bpf_map_lookup_elem(&listen_socks, &cookie);
		if (!li)
			return 0; /* opened before the programs were attached */
		struct event *e = reserve(EV_UNLISTEN);
		if (e) {
			e->owner = li->owner;
			e->flags = EVF_OWNER_KNOWN;
			e->proto = IPPROTO_TCP;
			e->family = li->family;
			e->lport = li->key.port;
			__builtin_memcpy(e->laddr, li->laddr, 16);
			bpf_ringbuf_submit(e, 0);
		}
		struct owner *lo = bpf_map_lookup_elem(&listeners, &li->key);
		/* Another listener may have taken the port (SO_REUSEPORT). */
		if (lo && lo->tgid == li->owner.tgid && lo->start_ticks == li->owner.start_ticks)
			bpf_map_delete_elem(&listeners, &li->key);
		bpf_map_delete_elem(&listen_socks, &cookie);
		return 0;
	}

	if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) {
		/* A passive open completed, in softirq: the owner is not
		 * current. The listener's owner stands in until accept()
		 * returns the socket to its process. */
		u64 cookie = bpf_get_socket_cookie(sk);
		struct sock_info si = {};
		struct listener_key lk = {.netns = sk_netns(sk), .port = BPF_CORE_READ(sk, __sk_common.skc_num)};
		struct owner *lo = bpf_map_lookup_elem(&listeners, &lk);
		if (lo) {
			si.owner = *lo;
			si.known = 1;
		}
		si.dir = DIR_INGRESS;
		if (exact_accept) {
			si.flags = SI_PENDING_ACCEPT;
			bpf_map_update_elem(&sockets, &cookie, &si, BPF_ANY);
			return 0;
		}
		bpf_map_update_elem(&sockets, &cookie, &si, BPF_ANY);
		struct event *e = reserve(EV_ACCEPT);
		if (!e)
			return 0;
		e->owner = si.owner;
		e->flags = EVF_SUCCESS | (si.known ? EVF_OWNER_KNOWN | EVF_OWNER_LISTENER : 0);
		e->proto = IPPROTO_TCP;
		e->dir = DIR_INGRESS;
		sk_addrs(sk, e);
		struct flow_key k;
		flow_key_of(&k, &si, IPPROTO_TCP, e->lport, e->raddr);
		flow_add(&k, &si.owner, 0, 0, 0, 0, 1);
		bpf_ringbuf_submit(e, 0);
		return 0;
	}

	if (oldstate == TCP_SYN_SENT) {
		/* A connect() whose SYN was not seen (no cgroup_skb hook on
		 * its path) is reported here, once the outcome is known. */
		u64 cookie = bpf_get_socket_cookie(sk);
		struct sock_info *si = bpf_map_lookup_elem(&sockets, &cookie);
		if (si && (si->flags & SI_PENDING_CONNECT)) {
			si->flags &= ~SI_PENDING_CONNECT;
			struct event *e = reserve(EV_CONNECT);
			if (e) {
				e->owner = si->owner;
				e->flags = EVF_OWNER_KNOWN | (newstate == TCP_ESTABLISHED ? EVF_SUCCESS : EVF_FAILURE);
				e->proto = IPPROTO_TCP;
				e->dir = DIR_EGRESS;
				sk_addrs(sk, e);
				bpf_ringbuf_submit(e, 0);
			}
		}
	}

	if (newstate == TCP_CLOSE) {
		u64 cookie = bpf_get_socket_cookie(sk);
		struct sock_info *si = bpf_map_lookup_elem(&sockets, &cookie);
		if (si && (si->flags & SI_PENDING_ACCEPT)) {
			/* Never returned to a process as a descriptor: accepted
			 * through io_uring into a fixed file slot, by a 32-bit
			 * task, or reset while queued. Reported now, with the
			 * listener's owner. */
			struct event *e = reserve(EV_ACCEPT);
			if (e) {
				e->owner = si->owner;
				e->flags = EVF_SUCCESS | (si->known ? EVF_OWNER_KNOWN | EVF_OWNER_LISTENER : 0);
				e->proto = IPPROTO_TCP;
				e->dir = DIR_INGRESS;
				sk_addrs(sk, e);
				struct flow_key k;
				flow_key_of(&k, si, IPPROTO_TCP, e->lport, e->raddr);
				flow_add(&k, &si->owner, 0, 0, 0, 0, 1);
				bpf_ringbuf_submit(e, 0);
			}
		}
		bpf_map_delete_elem(&sockets, &cookie);
	}
	return 0;
}

/* ---- accept(): the accepting process ---- */

/* accepted makes the current process the owner of the socket that file
 * descriptor fd of the current task names, if it is one the passive-open
 * hook marked as waiting for accept(), and reports the connection. */
static __always_inline void accepted(long fd)
{
	if (fd < 0)
		return;
	/* The descriptor's socket: current->files->fdt->fd[fd]. */
	struct task_struct___vnet *t = (struct task_struct___vnet *)bpf_get_current_task();
	struct fdtable___vnet *fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt || (u64)fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	struct file___vnet **fds = BPF_CORE_READ(fdt, fd);
	struct file___vnet *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return;
	struct socket___vnet *so = BPF_CORE_READ(f, private_data);
	struct sock___vnet *sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return;
	u64 cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	struct sock_info *si = bpf_map_lookup_elem(&sockets, &cookie);
	/* Only a socket the passive-open hook marked: this also rules out
	 * compat tasks, whose syscall numbers mean other calls, and
	 * descriptors that are no socket (private_data is then something
	 * else, and no marked cookie is found through it). */
	if (!cookie || !si || !(si->flags & SI_PENDING_ACCEPT))
		return;
	current_owner(&si->owner);
	si->known = 1;
	si->flags &= ~SI_PENDING_ACCEPT;

	struct event *e = reserve(EV_ACCEPT);
	if (!e)
		return;
	e->owner = si->owner;
	e->flags = EVF_OWNER_KNOWN | EVF_SUCCESS;
	e->proto = IPPROTO_TCP;
	e->dir = DIR_INGRESS;
	sk_addrs(sk, e);
	struct flow_key k;
	flow_key_of(&k, si, IPPROTO_TCP, e->lport, e->raddr);
	flow_add(&k, &si->owner, 0, 0, 0, 0, 1);
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	if (ret < 0)
		return 0;
	long nr = VNET_SYSCALL_NR(regs);
	if (nr != VNET_NR_ACCEPT && nr != VNET_NR_ACCEPT4)
		return 0;
	accepted(ret);
	return 0;
}

/* An accept through io_uring (IORING_OP_ACCEPT, single or multishot)
 * makes no accept system call. Its completion is posted by a task of the
 * ring's process (the submitter, its task work, an io-wq worker or the
 * SQPOLL thread: all share the descriptor table the new descriptor went
 * into), and its result is the descriptor. An accept into a fixed file
 * slot (file_slot set) gives no descriptor: its connection keeps the
 * listener's owner, and is reported when it closes. */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(io_uring_complete, void *ring, void *req, void *cqe)
{
	if (!req) {
		/* A completion posted without its request: each connection of
		 * a multishot accept, but also of multishot receives, polls and
		 * others; the operation is not known. Its result is tried as a
		 * descriptor all the same: accepted() acts only on a socket
		 * that waits for accept() and is in the current process's
		 * descriptor table, which that process therefore accepted.
		 * Older kernels pass the result as an integer after the
		 * request's user_data, which stands here instead of cqe: a
		 * read through it fails or finds no waiting socket, and their
		 * multishot connections are reported when they close. */
		struct io_uring_cqe___vnet *c = cqe;
		accepted(BPF_CORE_READ(c, res));
		return 0;
	}
	struct io_kiocb___vnet *r = req;
	if (!bpf_core_field_exists(r->cqe) || BPF_CORE_READ(r, opcode) != IORING_OP_ACCEPT)
		return 0;
	struct io_accept___vnet *a = req; /* the request's command data */
	if (bpf_core_field_exists(a->file_slot) && BPF_CORE_READ(a, file_slot))
		return 0;
	accepted(BPF_CORE_READ(r, cqe.res));
	return 0;
}

/* ---- UDP: owners and new peers (cgroup sock_addr hooks) ---- */

static __always_inline void udp_peer(struct bpf_sock_addr *ctx, int v6)
{
	if (ctx->protocol != IPPROTO_UDP)
		return;
	u64 cookie = bpf_get_socket_cookie(ctx);
	struct owner o = {};
	struct sock_info *si = bpf_map_lookup_elem(&sockets, &cookie);
	if (si && si->known) {
		/* The common case of a busy sender: no task to read. */
		o = si->owner;
		if (si->dir == DIR_UNKNOWN)
			si->dir = DIR_EGRESS; /* bound, and sending first: a client */
	} else if (si) {
		current_owner(&o);
		si->owner = o;
		si->known = 1;
		if (si->dir == DIR_UNKNOWN)
			si->dir = DIR_EGRESS;
	} else {
		current_owner(&o);
		struct sock_info nsi = {.owner = o, .known = 1, .dir = DIR_EGRESS};
		bpf_map_update_elem(&sockets, &cookie, &nsi, BPF_ANY);
	}
	if (!udp_enabled)
		return;

	struct peer_key pk = {.start_ticks = o.start_ticks, .tgid = o.tgid, .port = bpf_ntohs((u16)ctx->user_port)};
	if (v6) {
		u32 a[4];
		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
		__builtin_memcpy(pk.raddr, a, 16);
	} else {
		map_v4(pk.raddr, ctx->user_ip4);
	}
	u8 one = 1;
	if (bpf_map_update_elem(&udp_peers, &pk, &one, BPF_NOEXIST))
		return; /* reported before */
	struct event *e = reserve(EV_UDP_PEER);
	if (!e)
		return;
	e->owner = o;
	e->flags = EVF_OWNER_KNOWN;
	e->proto = IPPROTO_UDP;
	e->dir = DIR_EGRESS;
	e->family = v6 ? AF_INET6 : AF_INET;
	e->rport = pk.port;
	__builtin_memcpy(e->raddr, pk.raddr, 16);
	bpf_ringbuf_submit(e, 0);
}

SEC("cgroup/sendmsg4")
int udp_sendmsg4(struct bpf_sock_addr *ctx)
{
	udp_peer(ctx, 0);
	return 1;
}

SEC("cgroup/sendmsg6")
int udp_sendmsg6(struct bpf_sock_addr *ctx)
{
	udp_peer(ctx, 1);
	return 1;
}

SEC("cgroup/connect4")
int udp_connect4(struct bpf_sock_addr *ctx)
{
	udp_peer(ctx, 0);
	return 1;
}

SEC("cgroup/connect6")
int udp_connect6(struct bpf_sock_addr *ctx)
{
	udp_peer(ctx, 1);
	return 1;
}

/* bind() of a UDP socket names its owner. Whether it is a server is not
 * known yet (resolvers bind random ports for their queries): the first
 * datagram decides, received first for a server, sent first for a
 * client. */
static __always_inline void udp_bind(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_UDP)
		return;
	u64 cookie = bpf_get_socket_cookie(ctx);
	struct sock_info si = {.known = 1, .dir = DIR_UNKNOWN};
	current_owner(&si.owner);
	bpf_map_update_elem(&sockets, &cookie, &si, BPF_ANY);
}

SEC("cgroup/bind4")
int udp_bind4(struct bpf_sock_addr *ctx)
{
	udp_bind(ctx);
	return 1;
}

SEC("cgroup/bind6")
int udp_bind6(struct bpf_sock_addr *ctx)
{
	udp_bind(ctx);
	return 1;
}

/* The release of a socket that is not TCP ends its entry; TCP entries end
 * with the TCP_CLOSE state, after the last data has left. */
SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *ctx)
{
	if (ctx->protocol == IPPROTO_TCP)
		return 1;
	u64 cookie = bpf_get_socket_cookie(ctx);
	bpf_map_delete_elem(&sockets, &cookie);
	return 1;
}

/* ---- packets (cgroup_skb) ---- */

struct pkt {
	u8 proto;
	u8 family;
	u8 tcp_flags;
	u16 sport;
	u16 dport;
	u32 seq; /* TCP */
	u32 l4_off;
	u32 payload;
	u8 saddr[16];
	u8 daddr[16];
};

/* parse reads the network and transport headers of skb. */
static __always_inline int parse(struct __sk_buff *skb, struct pkt *p)
{
	u32 len = skb->len;
	u32 l3 = 0;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		u8 vihl;
		u8 proto;
		u16 frag;
		u32 a[2];
		if (bpf_skb_load_bytes(skb, 0, &vihl, 1) || bpf_skb_load_bytes(skb, 9, &proto, 1) ||
		    bpf_skb_load_bytes(skb, 6, &frag, 2) || bpf_skb_load_bytes(skb, 12, a, 8))
			return -1;
		l3 = (vihl & 0xf) * 4;
		if (l3 < 20 || (bpf_ntohs(frag) & 0x1fff))
			return -1;
		p->proto = proto;
		p->family = AF_INET;
		map_v4(p->saddr, a[0]);
		map_v4(p->daddr, a[1]);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		u8 nexthdr;
		if (bpf_skb_load_bytes(skb, 6, &nexthdr, 1) || bpf_skb_load_bytes(skb, 8, p->saddr, 16) ||
		    bpf_skb_load_bytes(skb, 24, p->daddr, 16))
			return -1;
		l3 = 40;
		/* Skip the extension headers that may come before TCP or
		 * UDP: hop-by-hop (BIG TCP's jumbo payload option among
		 * others), routing and destination options. A fragment is not
		 * followed. */
#pragma unroll
		for (int i = 0; i < 3; i++) {
			if (nexthdr != 0 && nexthdr != 43 && nexthdr != 60)
				break;
			u8 ext[2];
			if (bpf_skb_load_bytes(skb, l3, ext, 2))
				return -1;
			nexthdr = ext[0];
			l3 += ((u32)ext[1] + 1) * 8;
		}
		p->proto = nexthdr;
		p->family = AF_INET6;
	} else {
		return -1;
	}
	u32 l4 = 0;
	if (p->proto == IPPROTO_TCP) {
		u8 h[14];
		if (bpf_skb_load_bytes(skb, l3, h, sizeof(h)))
			return -1;
		l4 = (h[12] >> 4) * 4;
		p->tcp_flags = h[13];
		p->sport = ((u16)h[0] << 8) | h[1];
		p->dport = ((u16)h[2] << 8) | h[3];
		p->seq = ((u32)h[4] << 24) | ((u32)h[5] << 16) | ((u32)h[6] << 8) | h[7];
	} else if (p->proto == IPPROTO_UDP) {
		u8 h[4];
		if (bpf_skb_load_bytes(skb, l3, h, sizeof(h)))
			return -1;
		l4 = 8;
		p->sport = ((u16)h[0] << 8) | h[1];
		p->dport = ((u16)h[2] << 8) | h[3];
	} else {
		return -1;
	}
	p->l4_off = l3 + l4;
	p->payload = len > l3 + l4 ? len - (l3 + l4) : 0;
	return 0;
}

static __always_inline void emit_dns(struct __sk_buff *skb, struct pkt *p, struct sock_info *si, int egress)
{
	u32 zero = 0;
	struct dns_event *d = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!d)
		return;
	__builtin_memset(&d->ev, 0, sizeof(d->ev));
	d->ev.ktime_ns = bpf_ktime_get_ns();
	d->ev.kind = EV_DNS;
	d->ev.proto = p->proto;
	d->ev.family = p->family;
	d->ev.seq = p->seq;
	d->ev.tcp_flags = p->tcp_flags;
	d->ev.dir = egress ? DIR_EGRESS : DIR_INGRESS;
	if (si && si->known) {
		d->ev.owner = si->owner;
		d->ev.flags = EVF_OWNER_KNOWN;
	}
	/* laddr/lport are this host's side. */
	if (egress) {
		__builtin_memcpy(d->ev.laddr, p->saddr, 16);
		__builtin_memcpy(d->ev.raddr, p->daddr, 16);
		d->ev.lport = p->sport;
		d->ev.rport = p->dport;
	} else {
		__builtin_memcpy(d->ev.laddr, p->daddr, 16);
		__builtin_memcpy(d->ev.raddr, p->saddr, 16);
		d->ev.lport = p->dport;
		d->ev.rport = p->sport;
	}
	u32 n = p->payload;
	d->ev.payload_len = n;
	if (n > DNS_MAX)
		n = DNS_MAX;
	if (p->proto == IPPROTO_UDP && n < 12)
		return; /* shorter than a DNS header */
	/* A TCP segment may hold a message's first byte or a FIN alone:
	 * user space follows the stream. */
	if (n > 0 && bpf_skb_load_bytes(skb, p->l4_off, d->payload, n))
		return;
	if (bpf_ringbuf_output(&events, d, sizeof(d->ev) + n, 0))
		count_lost();
}

static __always_inline void on_packet(struct __sk_buff *skb, int egress)
{
	struct pkt p = {};
	if (parse(skb, &p))
		return;
	u64 cookie = bpf_get_socket_cookie(skb);
	struct sock_info *si = cookie ? bpf_map_lookup_elem(&sockets, &cookie) : 0;
	if (si && si->dir == DIR_UNKNOWN && si->known && p.proto == IPPROTO_UDP)
		si->dir = egress ? DIR_EGRESS : DIR_INGRESS;

	/* This host's and the peer's side. */
	u16 lport = egress ? p.sport : p.dport;
	u16 rport = egress ? p.dport : p.sport;
	u8 *raddr = egress ? p.daddr : p.saddr;

	if (egress && si && p.proto == IPPROTO_TCP && (si->flags & SI_PENDING_CONNECT) && (p.tcp_flags & 0x12) == 0x02) {
		/* The first SYN of a connect(). */
		si->flags &= ~SI_PENDING_CONNECT;
		struct event *e = reserve(EV_CONNECT);
		if (e) {
			e->owner = si->owner;
			e->flags = EVF_OWNER_KNOWN;
			e->proto = IPPROTO_TCP;
			e->dir = DIR_EGRESS;
			e->family = p.family;
			e->lport = p.sport;
			e->rport = p.dport;
			__builtin_memcpy(e->laddr, p.saddr, 16);
			__builtin_memcpy(e->raddr, p.daddr, 16);
			bpf_ringbuf_submit(e, 0);
		}
		struct flow_key k;
		flow_key_of(&k, si, IPPROTO_TCP, rport, raddr);
		flow_add(&k, &si->owner, 0, 0, 1, 0, 1);
		return;
	}

	/* DNS: UDP datagrams, and TCP segments that carry data or end the
	 * stream (FIN, RST: user space forgets its state). */
	if (dns_enabled && (p.proto == IPPROTO_UDP || p.payload > 0 || (p.tcp_flags & (TCP_FIN | TCP_RST)))) {
		/* Queries this host sends and the answers it gets; a local
		 * server's side of the same exchange is not repeated. */
		u16 port = egress ? p.dport : p.sport;
		if (bpf_map_lookup_elem(&dns_ports, &port))
			emit_dns(skb, &p, si, egress);
	}

	if (!flows_enabled)
		return;
	if (!si && p.payload == 0)
		return; /* a bare ACK or FIN of a socket already gone */
	struct flow_key k;
	u16 port = rport;
	if (si && si->dir == DIR_INGRESS)
		port = lport;
	else if (!si && lport < rport)
		port = lport; /* unknown start: the lower port is taken for the service */
	flow_key_of(&k, si, p.proto, port, raddr);
	if (egress)
		flow_add(&k, si ? &si->owner : 0, p.payload, 0, 1, 0, 0);
	else
		flow_add(&k, si ? &si->owner : 0, 0, p.payload, 0, 1, 0);
}

SEC("cgroup_skb/egress")
int skb_egress(struct __sk_buff *skb)
{
	on_packet(skb, 1);
	return 1;
}

SEC("cgroup_skb/ingress")
int skb_ingress(struct __sk_buff *skb)
{
	on_packet(skb, 0);
	return 1;
}

/* The kernel lends the helpers used here to GPL-compatible programs. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
