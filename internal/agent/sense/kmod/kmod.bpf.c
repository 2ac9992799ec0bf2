//go:build ignore

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Kernel module loads and unloads, and failed attempts at either.
 *
 * module_load and module_free are the kernel's tracepoints for a module
 * that was set up and for one that is freed; both fire in the context of
 * the task in the syscall (finit_module, init_module, delete_module), so
 * the current task is who loaded or unloaded it, and its saved user
 * registers give the syscall and its arguments: for finit_module the file
 * descriptor, whose path is resolved here while the syscall still holds
 * it. sys_exit reports the three syscalls when they fail (no module
 * support, no privilege, a rejected signature ...), which no module
 * tracepoint sees.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "kmod.h"

#define RINGBUF_BYTES (256 * 1024)
#define PATH_BUF 4096
#define NAME_READ 256
#define MAX_COMPONENTS 40
#define PARAMS_LEN 256

/* What a record reports. */
enum {
	KIND_LOAD = 1,
	KIND_FREE = 2,
	KIND_FAILED = 3,
};

/* The syscall the task was in. */
enum {
	CALL_UNKNOWN = 0,
	CALL_INIT_MODULE = 1,
	CALL_FINIT_MODULE = 2,
	CALL_DELETE_MODULE = 3,
};

/* Bits of path_flags. */
enum {
	PATH_COMPLETE = 1,  /* the walk reached the root of the mount tree */
	PATH_TRUNCATED = 2, /* too deep or too long */
	PATH_DELETED = 4,   /* the file has no link left (deleted, memfd) */
	PATH_DETACHED = 8,  /* a file of no mounted tree (memfd, pseudo fs) */
};

/* Signature state. */
enum {
	SIG_UNKNOWN = 0,
	SIG_UNSIGNED = 1,
	SIG_SIGNED = 2,
};

#if defined(__TARGET_ARCH_x86)
#define NR_INIT_MODULE 175
#define NR_DELETE_MODULE 176
#define NR_FINIT_MODULE 313
#define NR32_INIT_MODULE 128
#define NR32_DELETE_MODULE 129
#define NR32_FINIT_MODULE 350
#define TS_COMPAT 0x0002
#elif defined(__TARGET_ARCH_arm64)
#define NR_INIT_MODULE 105
#define NR_DELETE_MODULE 106
#define NR_FINIT_MODULE 273
#define PSR_MODE32_BIT 0x10
#endif

/* One record; the layout is decoded by hand in record.go. */
struct record {
	u64 ktime_ns;
	u64 taints;
	u64 start_boottime;
	u64 parent_start_boottime;
	s64 ret;
	u64 image_len;
	u32 kind;
	u32 syscall;
	u32 tgid;
	u32 pid;
	u32 ppid;
	u32 uid;
	u32 euid;
	u32 gid;
	u32 loginuid;
	u32 flags;
	s32 fd;
	u32 sig;
	u32 path_flags;
	u32 path_len;
	char comm[TASK_COMM_LEN];
	char parent_comm[TASK_COMM_LEN];
	char name[MODULE_NAME_LEN];
	char params[PARAMS_LEN];
	/* The path's components, leaf first, each ending in NUL. */
	char path[PATH_BUF + NAME_READ];
};

/* Keeps bpf2go's generated Go type, against which the hand decoder's
 * layout is tested. */
const struct record *unused_record __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

/* Records that did not fit in the ring buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} lost SEC(".maps");

struct call {
	u32 which;
	u64 arg0, arg1, arg2;
};

/* syscall_of says which module syscall, if any, regs are the registers
 * of, and its first three arguments. */
static __always_inline void syscall_of(struct pt_regs___vkmod *regs, struct task_struct___vkmod *task, struct call *c)
{
	c->which = CALL_UNKNOWN;
#if defined(__TARGET_ARCH_x86)
	long nr = BPF_CORE_READ(regs, orig_ax);
	bool compat = false;
	if (bpf_core_field_exists(task->thread_info.status))
		compat = (BPF_CORE_READ(task, thread_info.status) & TS_COMPAT) != 0;
	if (compat) {
		if (nr == NR32_INIT_MODULE)
			c->which = CALL_INIT_MODULE;
		else if (nr == NR32_FINIT_MODULE)
			c->which = CALL_FINIT_MODULE;
		else if (nr == NR32_DELETE_MODULE)
			c->which = CALL_DELETE_MODULE;
		c->arg0 = (u32)BPF_CORE_READ(regs, bx);
		c->arg1 = (u32)BPF_CORE_READ(regs, cx);
		c->arg2 = (u32)BPF_CORE_READ(regs, dx);
		return;
	}
	if (nr == NR_INIT_MODULE)
		c->which = CALL_INIT_MODULE;
	else if (nr == NR_FINIT_MODULE)
		c->which = CALL_FINIT_MODULE;
	else if (nr == NR_DELETE_MODULE)
		c->which = CALL_DELETE_MODULE;
	c->arg0 = BPF_CORE_READ(regs, di);
	c->arg1 = BPF_CORE_READ(regs, si);
	c->arg2 = BPF_CORE_READ(regs, dx);
#elif defined(__TARGET_ARCH_arm64)
	/* 32-bit (compat) tasks number their syscalls differently. */
	if (BPF_CORE_READ(regs, pstate) & PSR_MODE32_BIT)
		return;
	int nr = BPF_CORE_READ(regs, syscallno);
	if (nr == NR_INIT_MODULE)
		c->which = CALL_INIT_MODULE;
	else if (nr == NR_FINIT_MODULE)
		c->which = CALL_FINIT_MODULE;
	else if (nr == NR_DELETE_MODULE)
		c->which = CALL_DELETE_MODULE;
	c->arg0 = BPF_CORE_READ(regs, orig_x0);
	c->arg1 = BPF_CORE_READ(regs, regs[1]);
	c->arg2 = BPF_CORE_READ(regs, regs[2]);
#endif
}

/* fd_file returns the file of descriptor fd of task, or 0. */
static __always_inline struct file___vkmod *fd_file(struct task_struct___vkmod *task, s64 fd)
{
	if (fd < 0)
		return 0;
	struct fdtable___vkmod *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return 0;
	if ((u64)fd >= (u64)BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file___vkmod **fds = BPF_CORE_READ(fdt, fd);
	struct file___vkmod *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) != 0)
		return 0;
	return f;
}

/* read_path writes the path of file into r->path: its names from the file
 * up to the root of its mount tree, crossing mount points. The running
 * length lives in the record (r->path_len), not in a register: the
 * verifier then sees the same state after either branch of a step and
 * the walk stays linear to verify. */
static __always_inline void read_path(struct record *r, struct file___vkmod *file)
{
	struct vfsmount___vkmod *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	struct dentry___vkmod *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct mount___vkmod *mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount___vkmod, mnt);
	struct dentry___vkmod *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);

	r->path_len = 0;
	if (BPF_CORE_READ(file, f_inode, i_nlink) == 0)
		r->path_flags |= PATH_DELETED;
	for (int i = 0; i < MAX_COMPONENTS; i++) {
		if (dentry == mnt_root) {
			struct mount___vkmod *parent = BPF_CORE_READ(mnt, mnt_parent);
			if (parent == mnt || !parent) {
				r->path_flags |= PATH_COMPLETE;
				return;
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = parent;
			mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
			continue;
		}
		u32 off = r->path_len;
		if (off > PATH_BUF - NAME_READ) {
			r->path_flags |= PATH_TRUNCATED;
			return;
		}
		struct dentry___vkmod *parent = BPF_CORE_READ(dentry, d_parent);
		const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
		long n = bpf_probe_read_kernel_str(&r->path[off & (PATH_BUF - 1)], NAME_READ, name);
		if (n <= 0)
			return;
		r->path_len = off + n;
		if (parent == dentry || !parent) {
			r->path_flags |= PATH_DETACHED;
			return;
		}
		dentry = parent;
	}
	r->path_flags |= PATH_TRUNCATED;
}

/* new_record reserves a record and fills in the current task. */
static __always_inline struct record *new_record(u32 kind, struct task_struct___vkmod *task)
{
	struct record *r = bpf_ringbuf_reserve(&events, sizeof(struct record), 0);
	if (!r) {
		u32 key = 0;
		u64 *n = bpf_map_lookup_elem(&lost, &key);
		if (n)
			__sync_fetch_and_add(n, 1);
		return 0;
	}
	/* Processes are named by their thread group leaders' start times, as
	 * /proc/PID/stat gives them. */
	struct task_struct___vkmod *leader = BPF_CORE_READ(task, group_leader);
	struct task_struct___vkmod *parent = BPF_CORE_READ(task, real_parent, group_leader);
	u64 pid_tgid = bpf_get_current_pid_tgid();
	u64 ugid = bpf_get_current_uid_gid();

	r->ktime_ns = bpf_ktime_get_ns();
	r->kind = kind;
	r->taints = 0;
	r->ret = 0;
	r->image_len = 0;
	r->syscall = CALL_UNKNOWN;
	r->flags = 0;
	r->fd = -1;
	r->sig = SIG_UNKNOWN;
	r->path_flags = 0;
	r->path_len = 0;
	r->name[0] = 0;
	r->params[0] = 0;
	r->tgid = pid_tgid >> 32;
	r->pid = (u32)pid_tgid;
	r->uid = (u32)ugid;
	r->gid = ugid >> 32;
	r->euid = BPF_CORE_READ(task, cred, euid.val);
	r->loginuid = 0xffffffff;
	struct task_struct *vtask = (struct task_struct *)task;
	if (bpf_core_field_exists(vtask->loginuid))
		r->loginuid = BPF_CORE_READ(vtask, loginuid.val);
	r->start_boottime = BPF_CORE_READ(leader, start_boottime);
	r->ppid = BPF_CORE_READ(parent, tgid);
	r->parent_start_boottime = BPF_CORE_READ(parent, start_boottime);
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	BPF_CORE_READ_STR_INTO(&r->parent_comm, parent, comm);
	return r;
}

/* fill_call records the syscall of the current task and what its
 * arguments tell: the file of finit_module, the parameters from user
 * memory when the module's own are not known. */
static __always_inline void fill_call(struct record *r, struct task_struct___vkmod *task, struct call *c, bool user_params)
{
	r->syscall = c->which;
	if (c->which == CALL_FINIT_MODULE) {
		r->fd = (s32)c->arg0;
		r->flags = (u32)c->arg2;
		struct file___vkmod *f = fd_file(task, (s32)c->arg0);
		if (f)
			read_path(r, f);
		if (user_params)
			bpf_probe_read_user_str(r->params, sizeof(r->params), (void *)c->arg1);
	} else if (c->which == CALL_INIT_MODULE) {
		r->image_len = c->arg1;
		if (user_params)
			bpf_probe_read_user_str(r->params, sizeof(r->params), (void *)c->arg2);
	} else if (c->which == CALL_DELETE_MODULE) {
		r->flags = (u32)c->arg1;
	}
}

/* module_event reports a module set up (load) or freed. */
static __always_inline int module_event(u32 kind, struct module___vkmod *mod)
{
	struct task_struct___vkmod *task = (struct task_struct___vkmod *)bpf_get_current_task_btf();
	struct record *r = new_record(kind, task);
	if (!r)
		return 0;
	BPF_CORE_READ_STR_INTO(&r->name, mod, name);
	r->taints = BPF_CORE_READ(mod, taints);
	if (bpf_core_field_exists(mod->sig_ok))
		r->sig = BPF_CORE_READ(mod, sig_ok) ? SIG_SIGNED : SIG_UNSIGNED;
	if (kind == KIND_LOAD) {
		char *args = BPF_CORE_READ(mod, args);
		if (args)
			bpf_probe_read_kernel_str(r->params, sizeof(r->params), args);
	}
	struct pt_regs___vkmod *regs = (struct pt_regs___vkmod *)bpf_task_pt_regs((struct task_struct *)task);
	struct call c = {};
	if (regs) {
		syscall_of(regs, task, &c);
		fill_call(r, task, &c, false);
	}
	bpf_ringbuf_submit(r, 0);
	return 0;
}

SEC("tp_btf/module_load")
int BPF_PROG(module_load, struct module___vkmod *mod)
{
	return module_event(KIND_LOAD, mod);
}

SEC("tp_btf/module_free")
int BPF_PROG(module_free, struct module___vkmod *mod)
{
	return module_event(KIND_FREE, mod);
}

/* sys_exit runs at the end of every syscall: it returns at once unless
 * one of the module syscalls failed. */
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs___vkmod *regs, long ret)
{
	if (ret >= 0)
		return 0;
#if defined(__TARGET_ARCH_x86)
	long nr = regs->orig_ax;
	if (nr != NR_INIT_MODULE && nr != NR_FINIT_MODULE && nr != NR_DELETE_MODULE &&
	    nr != NR32_INIT_MODULE && nr != NR32_FINIT_MODULE && nr != NR32_DELETE_MODULE)
		return 0;
#elif defined(__TARGET_ARCH_arm64)
	int nr = regs->syscallno;
	if (nr != NR_INIT_MODULE && nr != NR_FINIT_MODULE && nr != NR_DELETE_MODULE)
		return 0;
#endif
	struct task_struct___vkmod *task = (struct task_struct___vkmod *)bpf_get_current_task_btf();
	struct call c = {};
	syscall_of(regs, task, &c);
	if (c.which == CALL_UNKNOWN)
		return 0;
	struct record *r = new_record(KIND_FAILED, task);
	if (!r)
		return 0;
	r->ret = ret;
	fill_call(r, task, &c, true);
	if (c.which == CALL_DELETE_MODULE)
		bpf_probe_read_user_str(r->name, sizeof(r->name), (void *)c.arg0);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* The kernel lends the helpers used here to GPL-compatible programs. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
