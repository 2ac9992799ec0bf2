/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Kernel types the kmod program reads, beyond the shared vmlinux.h, as
 * CO-RE flavors: the ___vkmod suffix is ignored when the loader matches
 * them with the running kernel's BTF, so each is the kernel's type of the
 * same name, declared with only the fields in use. Field names must match
 * the kernel's.
 */
#ifndef VIGIL_KMOD_H
#define VIGIL_KMOD_H

struct qstr___vkmod {
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct inode___vkmod {
	unsigned int i_nlink;
} __attribute__((preserve_access_index));

struct dentry___vkmod {
	struct dentry___vkmod *d_parent;
	struct qstr___vkmod d_name;
	struct inode___vkmod *d_inode;
} __attribute__((preserve_access_index));

struct vfsmount___vkmod {
	struct dentry___vkmod *mnt_root;
} __attribute__((preserve_access_index));

/* The mount that holds a vfsmount (container_of by the offset of mnt). */
struct mount___vkmod {
	struct mount___vkmod *mnt_parent;
	struct dentry___vkmod *mnt_mountpoint;
	struct vfsmount___vkmod mnt;
} __attribute__((preserve_access_index));

struct path___vkmod {
	struct vfsmount___vkmod *mnt;
	struct dentry___vkmod *dentry;
} __attribute__((preserve_access_index));

struct file___vkmod {
	struct path___vkmod f_path;
	struct inode___vkmod *f_inode;
} __attribute__((preserve_access_index));

struct fdtable___vkmod {
	unsigned int max_fds;
	struct file___vkmod **fd;
} __attribute__((preserve_access_index));

struct files_struct___vkmod {
	struct fdtable___vkmod *fdt;
} __attribute__((preserve_access_index));

struct cred___vkmod {
	kuid_t uid;
	kuid_t euid;
} __attribute__((preserve_access_index));

/* x86's thread_info has the syscall's compat (32-bit) status; arm64's
 * has none, which bpf_core_field_exists tells. */
struct thread_info___vkmod {
	u32 status;
} __attribute__((preserve_access_index));

struct task_struct___vkmod {
	int tgid;
	struct task_struct___vkmod *real_parent;
	struct task_struct___vkmod *group_leader;
	u64 start_boottime;
	const struct cred___vkmod *cred;
	struct files_struct___vkmod *files;
	struct thread_info___vkmod thread_info;
	char comm[TASK_COMM_LEN];
} __attribute__((preserve_access_index));

/* A task's saved user registers, the syscall number and its arguments. */
#if defined(__TARGET_ARCH_x86)
struct pt_regs___vkmod {
	unsigned long bx;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
} __attribute__((preserve_access_index));
#elif defined(__TARGET_ARCH_arm64)
struct pt_regs___vkmod {
	u64 regs[31];
	u64 pstate;
	u64 orig_x0;
	s32 syscallno;
} __attribute__((preserve_access_index));
#else
#error "kmod: unsupported architecture"
#endif

#define MODULE_NAME_LEN 56

struct module___vkmod {
	char name[MODULE_NAME_LEN];
	unsigned long taints;
	char *args;
	bool sig_ok;
} __attribute__((preserve_access_index));

#endif /* VIGIL_KMOD_H */
