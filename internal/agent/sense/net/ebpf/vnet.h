/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * The kernel types the network programs read beyond the shared vmlinux.h,
 * as CO-RE flavors: the loader ignores the ___vnet suffix and finds each
 * field by name in the running kernel's BTF. Only the fields in use are
 * declared; anonymous unions mirror the kernel's so that the field paths
 * match.
 */
#ifndef VIGIL_VNET_H
#define VIGIL_VNET_H

struct cred___vnet {
	kuid_t euid;
} __attribute__((preserve_access_index));

struct fdtable___vnet {
	unsigned int max_fds;
	struct file___vnet **fd;
} __attribute__((preserve_access_index));

struct files_struct___vnet {
	struct fdtable___vnet *fdt;
} __attribute__((preserve_access_index));

struct file___vnet {
	void *private_data;
} __attribute__((preserve_access_index));

struct task_struct___vnet {
	int pid;
	int tgid;
	struct task_struct___vnet *group_leader;
	u64 start_boottime;
	const struct cred___vnet *cred;
	struct files_struct___vnet *files;
	char comm[TASK_COMM_LEN];
} __attribute__((preserve_access_index));

struct ns_common___vnet {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net___vnet {
	struct ns_common___vnet ns;
} __attribute__((preserve_access_index));

typedef struct {
	struct net___vnet *net;
} possible_net_t___vnet;

struct in6_addr___vnet {
	union {
		u8 u6_addr8[16];
	} in6_u;
} __attribute__((preserve_access_index));

typedef struct {
	s64 counter;
} atomic64_t___vnet;

struct sock_common___vnet {
	union {
		u64 skc_addrpair;
		struct {
			__be32 skc_daddr;
			__be32 skc_rcv_saddr;
		};
	};
	union {
		u32 skc_portpair;
		struct {
			__be16 skc_dport;
			u16 skc_num;
		};
	};
	unsigned short skc_family;
	possible_net_t___vnet skc_net;
	struct in6_addr___vnet skc_v6_daddr;
	struct in6_addr___vnet skc_v6_rcv_saddr;
	atomic64_t___vnet skc_cookie;
} __attribute__((preserve_access_index));

struct sock___vnet {
	struct sock_common___vnet __sk_common;
	u16 sk_protocol;
} __attribute__((preserve_access_index));

struct socket___vnet {
	struct sock___vnet *sk;
} __attribute__((preserve_access_index));

/* io_uring requests (io_uring/io_uring.h): the operation, its result,
 * and for an accept the fixed file slot asked for (0: a descriptor). */
struct io_cqe___vnet {
	s32 res;
} __attribute__((preserve_access_index));

struct io_kiocb___vnet {
	u8 opcode;
	struct io_cqe___vnet cqe;
} __attribute__((preserve_access_index));

struct io_accept___vnet {
	u32 file_slot;
} __attribute__((preserve_access_index));

/* The completion posted (UAPI). */
struct io_uring_cqe___vnet {
	s32 res;
} __attribute__((preserve_access_index));

/* The syscall number in the registers saved at syscall entry. */
#if defined(__TARGET_ARCH_x86)
struct pt_regs___vnet {
	unsigned long orig_ax;
} __attribute__((preserve_access_index));
/* tp_btf arguments are typed pointers: a direct, relocated load. */
#define VNET_SYSCALL_NR(regs) ((long)((struct pt_regs___vnet *)(regs))->orig_ax)
#define VNET_NR_ACCEPT 43
#define VNET_NR_ACCEPT4 288
#elif defined(__TARGET_ARCH_arm64)
struct pt_regs___vnet {
	s32 syscallno;
} __attribute__((preserve_access_index));
#define VNET_SYSCALL_NR(regs) ((long)((struct pt_regs___vnet *)(regs))->syscallno)
#define VNET_NR_ACCEPT 202
#define VNET_NR_ACCEPT4 242
#else
#error "the network programs know the syscall numbers of x86 and arm64 only"
#endif

/* The context of cgroup sock_addr programs (bpf_sock_addr, UAPI). */
struct bpf_sock_addr {
	u32 user_family;
	u32 user_ip4;
	u32 user_ip6[4];
	u32 user_port;
	u32 family;
	u32 type;
	u32 protocol;
	u32 msg_src_ip4;
	u32 msg_src_ip6[4];
};

/* The context of cgroup sock programs (bpf_sock, UAPI, leading fields). */
struct bpf_sock {
	u32 bound_dev_if;
	u32 family;
	u32 type;
	u32 protocol;
};

/* The context of cgroup_skb programs (__sk_buff, UAPI, leading fields). */
struct __sk_buff {
	u32 len;
	u32 pkt_type;
	u32 mark;
	u32 queue_mapping;
	u32 protocol;
};

#endif /* VIGIL_VNET_H */
