/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * The kernel types exec.bpf.c reads beyond the shared vmlinux.h, declared
 * as CO-RE flavors: the loader ignores the "___vexec..." suffix when it
 * matches a type against the running kernel's BTF, so each struct below
 * stands for the kernel struct of the same name, with only the fields
 * read. Fields that moved or were renamed across kernel versions have one
 * flavor per version; the program asks which exists with
 * bpf_core_field_exists.
 */
#ifndef VIGIL_EXEC_TYPES_H
#define VIGIL_EXEC_TYPES_H

#define PF_KTHREAD 0x00200000
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFIFO 0010000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

struct vexec_kgid {
	unsigned int val;
};

struct vexec_atomic {
	int counter;
};

struct cred___vexec {
	kuid_t uid;
	struct vexec_kgid gid;
	kuid_t euid;
	struct vexec_kgid egid;
} __attribute__((preserve_access_index));

struct qstr___vexec {
	u32 len;
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry___vexec {
	struct dentry___vexec *d_parent;
	struct qstr___vexec d_name;
} __attribute__((preserve_access_index));

struct vfsmount___vexec {
	struct dentry___vexec *mnt_root;
} __attribute__((preserve_access_index));

struct mount___vexec {
	struct mount___vexec *mnt_parent;
	struct dentry___vexec *mnt_mountpoint;
	struct vfsmount___vexec mnt;
} __attribute__((preserve_access_index));

struct path___vexec {
	struct vfsmount___vexec *mnt;
	struct dentry___vexec *dentry;
} __attribute__((preserve_access_index));

struct super_block___vexec {
	u32 s_dev;
} __attribute__((preserve_access_index));

struct timespec64___vexec {
	s64 tv_sec;
	long tv_nsec;
} __attribute__((preserve_access_index));

/* Kernels from 6.7 keep the modification time in two fields. */
struct inode___vexec {
	unsigned short i_mode;
	unsigned long i_ino;
	struct super_block___vexec *i_sb;
	long long i_size;
	s64 i_mtime_sec;
	u32 i_mtime_nsec;
} __attribute__((preserve_access_index));

/* Kernel 6.6 renamed i_mtime to __i_mtime. */
struct inode___vexec_v66 {
	struct timespec64___vexec __i_mtime;
} __attribute__((preserve_access_index));

/* Kernels before 6.6. */
struct inode___vexec_old {
	struct timespec64___vexec i_mtime;
} __attribute__((preserve_access_index));

struct file___vexec {
	struct path___vexec f_path;
	struct inode___vexec *f_inode;
	void *private_data;
} __attribute__((preserve_access_index));

struct linux_binprm___vexec {
	struct file___vexec *file;
	const char *filename;
} __attribute__((preserve_access_index));

struct mm_struct___vexec {
	unsigned long arg_start;
	unsigned long arg_end;
} __attribute__((preserve_access_index));

struct fs_struct___vexec {
	struct path___vexec pwd;
} __attribute__((preserve_access_index));

struct fdtable___vexec {
	unsigned int max_fds;
	struct file___vexec **fd;
} __attribute__((preserve_access_index));

struct files_struct___vexec {
	struct fdtable___vexec *fdt;
} __attribute__((preserve_access_index));

struct tty_struct___vexec {
	char name[64];
} __attribute__((preserve_access_index));

struct signal_struct___vexec {
	struct vexec_atomic live;
	struct tty_struct___vexec *tty;
} __attribute__((preserve_access_index));

struct kernfs_node___vexec {
	struct kernfs_node___vexec *parent;
	const char *name;
	u64 id;
} __attribute__((preserve_access_index));

/* Kernel 6.15 renamed parent to __parent. */
struct kernfs_node___vexec_v615 {
	struct kernfs_node___vexec *__parent;
} __attribute__((preserve_access_index));

struct cgroup___vexec {
	struct kernfs_node___vexec *kn;
} __attribute__((preserve_access_index));

struct cgroup_subsys_state___vexec {
	struct cgroup___vexec *cgroup;
} __attribute__((preserve_access_index));

struct css_set___vexec {
	struct cgroup_subsys_state___vexec *subsys[1];
	struct cgroup___vexec *dfl_cgrp;
} __attribute__((preserve_access_index));

/* The memory controller's index in css_set.subsys, for hosts whose
 * containers live in cgroup v1 hierarchies. */
enum cgroup_subsys_id___vexec {
	memory_cgrp_id___vexec = 4,
};

struct in6_addr___vexec {
	u8 u6_addr8[16];
};

struct sock_common___vexec {
	u32 skc_daddr;
	u32 skc_rcv_saddr;
	u16 skc_dport;
	u16 skc_num;
	unsigned short skc_family;
	struct in6_addr___vexec skc_v6_daddr;
	struct in6_addr___vexec skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock___vexec {
	struct sock_common___vexec __sk_common;
	u16 sk_protocol;
	u16 sk_type;
} __attribute__((preserve_access_index));

struct socket___vexec {
	short type;
	struct sock___vexec *sk;
} __attribute__((preserve_access_index));

struct sockaddr_un___vexec {
	unsigned short sun_family;
	char sun_path[108];
} __attribute__((preserve_access_index));

struct unix_address___vexec {
	int len;
	struct sockaddr_un___vexec name[0];
} __attribute__((preserve_access_index));

struct unix_sock___vexec {
	struct unix_address___vexec *addr;
	struct sock___vexec *peer;
} __attribute__((preserve_access_index));

struct task_struct___vexec {
	int pid;
	int tgid;
	unsigned int flags;
	int exit_code;
	u64 start_boottime;
	struct task_struct___vexec *real_parent;
	struct task_struct___vexec *group_leader;
	const struct cred___vexec *cred;
	struct mm_struct___vexec *mm;
	struct fs_struct___vexec *fs;
	struct files_struct___vexec *files;
	struct signal_struct___vexec *signal;
	struct css_set___vexec *cgroups;
	kuid_t loginuid;
	unsigned int sessionid;
	char comm[TASK_COMM_LEN];
} __attribute__((preserve_access_index));

#endif /* VIGIL_EXEC_TYPES_H */
