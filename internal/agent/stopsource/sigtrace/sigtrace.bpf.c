//go:build ignore

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Records who sends a signal to one process: the kernel's signal_generate
 * tracepoint fires in the sender's context, so the current task is the
 * sender unless the kernel itself raised the signal (si_code says which).
 * The latest record per signal number is kept in an array map that user
 * space reads when the signal arrives.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define MAX_SIGNAL 64
#define SEND_SIG_PRIV_PTR 1

/* Set by the loader: the thread group (process) whose signals are traced. */
volatile const u32 target_tgid = 0;

struct sender {
	u64 ktime_ns;
	u32 signal;
	s32 si_code;
	s32 result;
	u32 tgid;
	u32 ppid;
	u32 uid;
	u32 gid;
	u32 loginuid;
	u32 sessionid;
	u32 _pad;
	char comm[TASK_COMM_LEN];
	char parent_comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SIGNAL + 1);
	__type(key, u32);
	__type(value, struct sender);
} senders SEC(".maps");

SEC("tp_btf/signal_generate")
int BPF_PROG(signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task, int type, int result)
{
	if (sig <= 0 || sig > MAX_SIGNAL || task == 0)
		return 0;
	if ((u32)BPF_CORE_READ(task, tgid) != target_tgid)
		return 0;

	u32 key = sig;
	struct sender *s = bpf_map_lookup_elem(&senders, &key);
	if (!s)
		return 0;

	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct task_struct *parent = BPF_CORE_READ(cur, real_parent);
	u64 ugid = bpf_get_current_uid_gid();

	s->ktime_ns = bpf_ktime_get_ns();
	s->signal = sig;
	s->result = result;
	/* SEND_SIG_NOINFO (0) is a kill() from user space, SEND_SIG_PRIV (1)
	 * one from the kernel; otherwise si_code is in the siginfo itself. */
	s->si_code = 0;
	if ((unsigned long)info == SEND_SIG_PRIV_PTR) {
		s->si_code = 0x80; /* SI_KERNEL */
	} else if (info) {
		struct vigil_siginfo_head head = {};
		if (bpf_probe_read_kernel(&head, sizeof(head), info) == 0)
			s->si_code = head.si_code;
	}
	s->tgid = bpf_get_current_pid_tgid() >> 32;
	s->ppid = BPF_CORE_READ(parent, tgid);
	s->uid = (u32)ugid;
	s->gid = ugid >> 32;
	s->loginuid = 0xffffffff;
	if (bpf_core_field_exists(cur->loginuid))
		s->loginuid = BPF_CORE_READ(cur, loginuid.val);
	s->sessionid = 0xffffffff;
	if (bpf_core_field_exists(cur->sessionid))
		s->sessionid = BPF_CORE_READ(cur, sessionid);
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	BPF_CORE_READ_STR_INTO(&s->parent_comm, parent, comm);
	return 0;
}

/* The kernel lends the helpers used here to GPL-compatible programs. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
