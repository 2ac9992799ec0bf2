//go:build ignore

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Process events: exec, fork and exit, from the scheduler's BTF
 * tracepoints. Everything an exec event needs is read here, in the
 * context of the process that just executed, so that a process that
 * exits a microsecond later is still described completely: executable
 * path and file identity, arguments, working directory, credentials,
 * login uid and audit session, terminal, cgroup, and what file
 * descriptors 0-2 are (sockets with their endpoints, pipes). Records go
 * to user space through one ring buffer; a record that does not fit is
 * counted in the lost map.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "exec_types.h"

#define RECORD_EXEC 1
#define RECORD_FORK 2
#define RECORD_EXIT 3

/* Bounds of what an exec record carries. */
#define DATA_SIZE 32768 /* variable part of a record */
#define DATA_MASK (DATA_SIZE - 1)
#define PATH_MAX_LEN 4096
#define PATH_DEPTH 32 /* components of a path */
#define PATH_STEPS 64 /* walk steps, mount crossings included */
#define NAME_LEN_MAX 255
#define ARGS_MAX 16384
#define FILENAME_MAX_LEN 512
#define CGROUP_NAME_LEN 128
#define TTY_NAME_LEN 32
#define UNIX_PATH_LEN 108
#define STDIO_FDS 3

/*
 * Wake the reader only once this much data waits: it reads at least
 * every 100 ms anyway, and one wakeup per record would cost it a system
 * call and a context switch each.
 */
#define WAKEUP_BYTES (32 << 10)
#define BPF_RB_AVAIL_DATA 0
#define BPF_RB_NO_WAKEUP 1
#define BPF_RB_FORCE_WAKEUP 2

/* exec_header.flags */
#define FLAG_ARGS_TRUNCATED (1 << 0)
#define FLAG_ARGS_UNREAD (1 << 1)
#define FLAG_EXE_TRUNCATED (1 << 2)
#define FLAG_CWD_TRUNCATED (1 << 3)
#define FLAG_EXE_UNREAD (1 << 4)
#define FLAG_CWD_UNREAD (1 << 5)
#define FLAG_NO_AUDIT (1 << 6)
#define FLAG_KTHREAD (1 << 7)

/* stdio_fd.kind */
#define STDIO_NONE 0
#define STDIO_SOCKET 1
#define STDIO_PIPE 2
#define STDIO_OTHER 3

struct stdio_fd {
	u64 inode;
	u8 kind;
	u8 lpath_len; /* unix: bytes of the bound path in the record's data */
	u8 rpath_len; /* unix: bytes of the peer's bound path */
	u8 _pad;
	u16 family;
	u16 type;
	u16 protocol;
	u16 lport;
	u16 rport;
	u16 _pad2;
	u8 laddr[16];
	u8 raddr[16];
};

/*
 * An exec record: this header, then data_len bytes of data: the
 * executable's path (exe_len bytes), the working directory (cwd_len), the
 * NUL-separated arguments (args_len), the file name given to execve
 * (filename_len) and, for each stdio fd that is a unix socket, its bound
 * path and its peer's (lpath_len, rpath_len).
 */
struct exec_header {
	u32 kind;
	u32 flags;
	u64 ktime; /* bpf_ktime_get_boot_ns */
	u64 start_ns; /* task start_boottime */
	u64 parent_start_ns;
	u64 exe_ino;
	s64 exe_size;
	s64 exe_mtime_sec;
	u64 cgroup_id;
	u32 pid;
	u32 old_pid;
	u32 ppid;
	u32 uid;
	u32 gid;
	u32 euid;
	u32 egid;
	u32 auid;
	u32 sessionid;
	u32 exe_dev;
	u32 exe_mode;
	u32 exe_mtime_nsec;
	u32 args_size; /* arg_end - arg_start: the untruncated size */
	u16 exe_len;
	u16 cwd_len;
	u16 args_len;
	u16 data_len;
	u16 filename_len;
	u16 _pad;
	char comm[TASK_COMM_LEN];
	char tty[TTY_NAME_LEN];
	char cgroup[CGROUP_NAME_LEN];
	char cgroup_parent[CGROUP_NAME_LEN];
	struct stdio_fd stdio[STDIO_FDS];
};

struct fork_record {
	u32 kind;
	u32 pid;
	u64 ktime;
	u64 start_ns;
	u64 parent_start_ns;
	u32 ppid;
	u32 uid;
	u32 gid;
	u32 euid;
	u32 egid;
	u32 auid;
	u32 sessionid;
	u32 _pad;
	char comm[TASK_COMM_LEN];
};

struct exit_record {
	u32 kind;
	u32 pid;
	u64 ktime;
	u64 start_ns;
	u32 ppid;
	u32 exit_code;
	char comm[TASK_COMM_LEN];
};

struct exec_scratch {
	struct exec_header h;
	u8 data[DATA_SIZE + ARGS_MAX + 512];
	u64 dents[PATH_DEPTH];
	/*
	 * Values passed through memory on purpose: the verifier does not
	 * track what a map holds, so the states after a path walk merge
	 * instead of multiplying the walks that follow.
	 */
	u32 walk_n;
	u32 walk_len;
	u32 stdio_off;
	/* Unused: they put the layouts of the other records in the
	 * object's BTF, from which bpf2go generates their Go types. */
	struct fork_record fork_layout;
	struct exit_record exit_layout;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/*
 * One exec_scratch per CPU, indexed by CPU number: a per-CPU array cannot
 * hold values this large. The loader sets max_entries to the number of
 * possible CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct exec_scratch);
} scratch SEC(".maps");

/* Records that did not fit in the ring buffer, by kind. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} lost SEC(".maps");

static __always_inline void count_lost(u32 kind)
{
	u64 *n = bpf_map_lookup_elem(&lost, &kind);
	if (n)
		*n += 1;
}

static __always_inline u64 wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline struct mount___vexec *real_mount(struct vfsmount___vexec *vfsmnt)
{
	return (void *)vfsmnt - bpf_core_field_offset(struct mount___vexec, mnt);
}

/*
 * write_path writes the absolute path of (mnt, dentry) at s->data + off,
 * as d_path would from the namespace root, and returns its length. The
 * dentries are collected leaf first, then written root first. A path
 * deeper than PATH_DEPTH or longer than PATH_MAX_LEN loses its leading
 * components and sets trunc_flag.
 */
static __always_inline u32 write_path(struct exec_scratch *s, u32 off, struct vfsmount___vexec *vfsmnt,
				      struct dentry___vexec *dentry, u32 trunc_flag)
{
	struct mount___vexec *mnt = real_mount(vfsmnt);
	struct mount___vexec *parent = BPF_CORE_READ(mnt, mnt_parent);
	int complete = 0;

	s->walk_n = 0;
	for (int i = 0; i < PATH_STEPS; i++) {
		struct dentry___vexec *root = BPF_CORE_READ(vfsmnt, mnt_root);
		struct dentry___vexec *up = BPF_CORE_READ(dentry, d_parent);
		if (dentry == root || dentry == up) {
			if (mnt != parent) {
				dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
				mnt = parent;
				parent = BPF_CORE_READ(mnt, mnt_parent);
				vfsmnt = (void *)mnt + bpf_core_field_offset(struct mount___vexec, mnt);
				continue;
			}
			complete = 1;
			break;
		}
		u32 n = *(volatile u32 *)&s->walk_n;
		if (n >= PATH_DEPTH)
			break;
		s->dents[n & (PATH_DEPTH - 1)] = (u64)dentry;
		s->walk_n = n + 1;
		dentry = up;
	}
	if (!complete)
		s->h.flags |= trunc_flag;
	u32 n = *(volatile u32 *)&s->walk_n;
	if (n == 0 || n > PATH_DEPTH) {
		s->data[off & DATA_MASK] = '/';
		return 1;
	}

	s->walk_len = 0;
	for (int j = 0; j < PATH_DEPTH; j++) {
		u32 len = *(volatile u32 *)&s->walk_len;
		if (j >= n || len > PATH_MAX_LEN)
			break;
		struct dentry___vexec *d = (void *)s->dents[(n - 1 - j) & (PATH_DEPTH - 1)];
		u32 nlen = BPF_CORE_READ(d, d_name.len);
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		if (nlen > NAME_LEN_MAX)
			nlen = NAME_LEN_MAX;
		if (len + nlen + 1 > PATH_MAX_LEN) {
			s->h.flags |= trunc_flag;
			break;
		}
		s->data[(off + len) & DATA_MASK] = '/';
		bpf_probe_read_kernel(&s->data[(off + len + 1) & DATA_MASK], nlen & NAME_LEN_MAX, name);
		s->walk_len = len + nlen + 1;
	}
	u32 len = *(volatile u32 *)&s->walk_len;
	if (len > PATH_MAX_LEN)
		len = PATH_MAX_LEN;
	return len;
}

/* read_unix_path copies the bound path of unix socket sk (at most
 * UNIX_PATH_LEN bytes, abstract names with their leading NUL). */
static __always_inline u8 read_unix_path(struct exec_scratch *s, u32 off, struct sock___vexec *sk)
{
	if (!sk)
		return 0;
	struct unix_sock___vexec *u = (void *)sk;
	struct unix_address___vexec *addr = BPF_CORE_READ(u, addr);
	if (!addr)
		return 0;
	int alen = BPF_CORE_READ(addr, len);
	if (alen <= 2) /* sizeof(sun_family): no path */
		return 0;
	u32 plen = alen - 2;
	if (plen > UNIX_PATH_LEN)
		plen = UNIX_PATH_LEN;
	barrier_var(plen);
	void *path = (void *)addr + bpf_core_field_offset(struct unix_address___vexec, name) + 2;
	if (bpf_probe_read_kernel(&s->data[off & DATA_MASK], plen & 127, path) < 0)
		return 0;
	return plen;
}

/* read_stdio describes file descriptors 0-2 of task; unix socket paths
 * go to the data at off. It returns the new offset. */
static __always_inline u32 read_stdio(struct exec_scratch *s, u32 off, struct task_struct___vexec *task)
{
	struct fdtable___vexec *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return off;
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file___vexec **fds = BPF_CORE_READ(fdt, fd);
	s->stdio_off = off;
	for (int i = 0; i < STDIO_FDS; i++) {
		off = *(volatile u32 *)&s->stdio_off;
		struct stdio_fd *out = &s->h.stdio[i];
		if (i >= max)
			break;
		struct file___vexec *f = 0;
		bpf_probe_read_kernel(&f, sizeof(f), &fds[i]);
		if (!f)
			continue;
		struct inode___vexec *ino = BPF_CORE_READ(f, f_inode);
		unsigned short mode = BPF_CORE_READ(ino, i_mode);
		out->inode = BPF_CORE_READ(ino, i_ino);
		if ((mode & S_IFMT) == S_IFIFO) {
			out->kind = STDIO_PIPE;
			continue;
		}
		if ((mode & S_IFMT) != S_IFSOCK) {
			out->kind = STDIO_OTHER;
			continue;
		}
		out->kind = STDIO_SOCKET;
		struct socket___vexec *sock = BPF_CORE_READ(f, private_data);
		struct sock___vexec *sk = BPF_CORE_READ(sock, sk);
		if (!sk)
			continue;
		u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
		out->family = family;
		out->type = BPF_CORE_READ(sock, type);
		out->protocol = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
		if (family == AF_INET) {
			BPF_CORE_READ_INTO(&out->laddr, sk, __sk_common.skc_rcv_saddr);
			BPF_CORE_READ_INTO(&out->raddr, sk, __sk_common.skc_daddr);
		} else if (family == AF_INET6) {
			BPF_CORE_READ_INTO(&out->laddr, sk, __sk_common.skc_v6_rcv_saddr);
			BPF_CORE_READ_INTO(&out->raddr, sk, __sk_common.skc_v6_daddr);
		}
		if (family == AF_INET || family == AF_INET6) {
			out->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
			out->rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		} else if (family == AF_UNIX) {
			u8 l = read_unix_path(s, off, sk);
			out->lpath_len = l;
			off += l;
			struct unix_sock___vexec *u = (void *)sk;
			u8 r = read_unix_path(s, off, BPF_CORE_READ(u, peer));
			out->rpath_len = r;
			s->stdio_off = off + r;
		}
	}
	return *(volatile u32 *)&s->stdio_off;
}

/* read_cgroup names the task's cgroup and its parent: the unified
 * hierarchy's, or the memory controller's when the task sits at the root
 * of the unified one (cgroup v1 hosts). */
static __always_inline void read_cgroup(struct exec_header *h, struct task_struct___vexec *task)
{
	struct css_set___vexec *cs = BPF_CORE_READ(task, cgroups);
	struct kernfs_node___vexec *kn = BPF_CORE_READ(cs, dfl_cgrp, kn);
	struct kernfs_node___vexec *up = 0;
	if (bpf_core_field_exists(((struct kernfs_node___vexec_v615 *)0)->__parent))
		up = BPF_CORE_READ((struct kernfs_node___vexec_v615 *)kn, __parent);
	else
		up = BPF_CORE_READ(kn, parent);
	if (!up && bpf_core_enum_value_exists(enum cgroup_subsys_id___vexec, memory_cgrp_id___vexec)) {
		u32 idx = bpf_core_enum_value(enum cgroup_subsys_id___vexec, memory_cgrp_id___vexec);
		struct cgroup_subsys_state___vexec *css = 0;
		if (idx < 32) {
			void *slot = (void *)cs + bpf_core_field_offset(struct css_set___vexec, subsys) + idx * sizeof(void *);
			bpf_probe_read_kernel(&css, sizeof(css), slot);
		}
		if (css) {
			kn = BPF_CORE_READ(css, cgroup, kn);
			if (bpf_core_field_exists(((struct kernfs_node___vexec_v615 *)0)->__parent))
				up = BPF_CORE_READ((struct kernfs_node___vexec_v615 *)kn, __parent);
			else
				up = BPF_CORE_READ(kn, parent);
		}
	}
	if (!kn)
		return;
	h->cgroup_id = BPF_CORE_READ(kn, id);
	bpf_probe_read_kernel_str(h->cgroup, sizeof(h->cgroup), BPF_CORE_READ(kn, name));
	if (up)
		bpf_probe_read_kernel_str(h->cgroup_parent, sizeof(h->cgroup_parent), BPF_CORE_READ(up, name));
}

static __always_inline void read_ids(u32 *uid, u32 *gid, u32 *euid, u32 *egid, u32 *auid, u32 *sessionid,
				     struct task_struct___vexec *task)
{
	const struct cred___vexec *cred = BPF_CORE_READ(task, cred);
	*uid = BPF_CORE_READ(cred, uid.val);
	*gid = BPF_CORE_READ(cred, gid.val);
	*euid = BPF_CORE_READ(cred, euid.val);
	*egid = BPF_CORE_READ(cred, egid.val);
	*auid = 0xffffffff;
	*sessionid = 0xffffffff;
	if (bpf_core_field_exists(task->loginuid))
		*auid = BPF_CORE_READ(task, loginuid.val);
	if (bpf_core_field_exists(task->sessionid))
		*sessionid = BPF_CORE_READ(task, sessionid);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm_arg)
{
	u32 cpu = bpf_get_smp_processor_id();
	struct exec_scratch *s = bpf_map_lookup_elem(&scratch, &cpu);
	if (!s)
		return 0;
	struct task_struct___vexec *task = (void *)p;
	struct linux_binprm___vexec *bprm = (void *)bprm_arg;
	struct exec_header *h = &s->h;

	__builtin_memset(h, 0, sizeof(*h));
	h->kind = RECORD_EXEC;
	h->ktime = bpf_ktime_get_boot_ns();
	h->pid = BPF_CORE_READ(task, tgid);
	h->old_pid = old_pid;
	h->start_ns = BPF_CORE_READ(task, start_boottime);
	struct task_struct___vexec *rp = BPF_CORE_READ(task, real_parent);
	h->ppid = BPF_CORE_READ(rp, tgid);
	h->parent_start_ns = BPF_CORE_READ(rp, group_leader, start_boottime);
	read_ids(&h->uid, &h->gid, &h->euid, &h->egid, &h->auid, &h->sessionid, task);
	if (!bpf_core_field_exists(task->loginuid))
		h->flags |= FLAG_NO_AUDIT;
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		h->flags |= FLAG_KTHREAD;
	BPF_CORE_READ_STR_INTO(&h->comm, task, comm);

	struct signal_struct___vexec *sig = BPF_CORE_READ(task, signal);
	struct tty_struct___vexec *tty = BPF_CORE_READ(sig, tty);
	if (tty)
		BPF_CORE_READ_STR_INTO(&h->tty, tty, name);
	read_cgroup(h, task);

	u32 off = 0;
	struct file___vexec *file = BPF_CORE_READ(bprm, file);
	if (file) {
		struct inode___vexec *ino = BPF_CORE_READ(file, f_inode);
		h->exe_ino = BPF_CORE_READ(ino, i_ino);
		h->exe_mode = BPF_CORE_READ(ino, i_mode);
		h->exe_size = BPF_CORE_READ(ino, i_size);
		h->exe_dev = BPF_CORE_READ(ino, i_sb, s_dev);
		if (bpf_core_field_exists(ino->i_mtime_sec)) {
			h->exe_mtime_sec = BPF_CORE_READ(ino, i_mtime_sec);
			h->exe_mtime_nsec = BPF_CORE_READ(ino, i_mtime_nsec);
		} else if (bpf_core_field_exists(((struct inode___vexec_v66 *)ino)->__i_mtime)) {
			h->exe_mtime_sec = BPF_CORE_READ((struct inode___vexec_v66 *)ino, __i_mtime.tv_sec);
			h->exe_mtime_nsec = BPF_CORE_READ((struct inode___vexec_v66 *)ino, __i_mtime.tv_nsec);
		} else {
			h->exe_mtime_sec = BPF_CORE_READ((struct inode___vexec_old *)ino, i_mtime.tv_sec);
			h->exe_mtime_nsec = BPF_CORE_READ((struct inode___vexec_old *)ino, i_mtime.tv_nsec);
		}
		u32 n = write_path(s, off, BPF_CORE_READ(file, f_path.mnt), BPF_CORE_READ(file, f_path.dentry),
				   FLAG_EXE_TRUNCATED);
		h->exe_len = n;
		off += n;
	} else {
		h->flags |= FLAG_EXE_UNREAD;
	}

	struct fs_struct___vexec *fs = BPF_CORE_READ(task, fs);
	if (fs) {
		u32 n = write_path(s, off, BPF_CORE_READ(fs, pwd.mnt), BPF_CORE_READ(fs, pwd.dentry), FLAG_CWD_TRUNCATED);
		h->cwd_len = n;
		off += n;
	} else {
		h->flags |= FLAG_CWD_UNREAD;
	}

	struct mm_struct___vexec *mm = BPF_CORE_READ(task, mm);
	unsigned long astart = BPF_CORE_READ(mm, arg_start);
	unsigned long aend = BPF_CORE_READ(mm, arg_end);
	if (mm && aend > astart) {
		u64 size = aend - astart;
		u32 len = size;
		h->args_size = size > 0xffffffff ? 0xffffffff : size;
		if (size > ARGS_MAX - 1) {
			len = ARGS_MAX - 1;
			h->flags |= FLAG_ARGS_TRUNCATED;
		}
		if (bpf_probe_read_user(&s->data[off & DATA_MASK], len & (ARGS_MAX - 1), (void *)astart) < 0) {
			len = 0;
			h->flags |= FLAG_ARGS_UNREAD;
		}
		h->args_len = len;
		off += len;
	} else {
		h->flags |= FLAG_ARGS_UNREAD;
	}

	const char *filename = BPF_CORE_READ(bprm, filename);
	long fl = bpf_probe_read_kernel_str(&s->data[off & DATA_MASK], FILENAME_MAX_LEN, filename);
	if (fl > 1) {
		u32 n = (fl - 1) & (FILENAME_MAX_LEN - 1);
		h->filename_len = n;
		off += n;
	}

	off = read_stdio(s, off, task);
	off &= DATA_MASK;
	h->data_len = off;
	if (bpf_ringbuf_output(&events, h, sizeof(*h) + off, wakeup_flags()) < 0)
		count_lost(RECORD_EXEC);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent_arg, struct task_struct *child_arg)
{
	struct task_struct___vexec *child = (void *)child_arg;
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a thread */
	if (BPF_CORE_READ(child, flags) & PF_KTHREAD)
		return 0;
	struct fork_record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_lost(RECORD_FORK);
		return 0;
	}
	r->kind = RECORD_FORK;
	r->_pad = 0;
	r->ktime = bpf_ktime_get_boot_ns();
	r->pid = BPF_CORE_READ(child, tgid);
	r->start_ns = BPF_CORE_READ(child, start_boottime);
	struct task_struct___vexec *rp = BPF_CORE_READ(child, real_parent);
	r->ppid = BPF_CORE_READ(rp, tgid);
	r->parent_start_ns = BPF_CORE_READ(rp, group_leader, start_boottime);
	read_ids(&r->uid, &r->gid, &r->euid, &r->egid, &r->auid, &r->sessionid, child);
	BPF_CORE_READ_STR_INTO(&r->comm, child, comm);
	bpf_ringbuf_submit(r, wakeup_flags());
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	struct task_struct___vexec *task = (void *)p;
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		return 0;
	/* Only the last thread's exit ends the process. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	struct exit_record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_lost(RECORD_EXIT);
		return 0;
	}
	r->kind = RECORD_EXIT;
	r->ktime = bpf_ktime_get_boot_ns();
	r->pid = BPF_CORE_READ(task, tgid);
	r->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	r->ppid = BPF_CORE_READ(task, real_parent, tgid);
	r->exit_code = BPF_CORE_READ(task, exit_code);
	BPF_CORE_READ_STR_INTO(&r->comm, task, comm);
	bpf_ringbuf_submit(r, wakeup_flags());
	return 0;
}

/* The kernel lends the helpers used here to GPL-compatible programs. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
