/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * The kernel types Vigil's eBPF programs read, declared with only the
 * fields they use. preserve_access_index makes every access a CO-RE
 * relocation: the loader finds each field by name in the running kernel's
 * BTF (/sys/kernel/btf/vmlinux), so one object runs on every kernel with
 * BTF whatever its struct layout. Add fields here as programs need them;
 * names must match the kernel's.
 */
#ifndef VIGIL_VMLINUX_H
#define VIGIL_VMLINUX_H

typedef unsigned char __u8;
typedef short int __s16;
typedef short unsigned int __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long int __s64;
typedef long long unsigned int __u64;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };

#define TASK_COMM_LEN 16

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

typedef struct {
	unsigned int val;
} kuid_t;

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	kuid_t loginuid;
	unsigned int sessionid;
	char comm[TASK_COMM_LEN];
} __attribute__((preserve_access_index));

/*
 * The head of siginfo: si_signo, si_errno and si_code, the same in every
 * kernel (it is user-space ABI), so it is read at fixed offsets.
 */
struct vigil_siginfo_head {
	int si_signo;
	int si_errno;
	int si_code;
};

struct kernel_siginfo;

#endif /* VIGIL_VMLINUX_H */
