// Package sysctl is the os/sysctl collector: the kernel parameters of
// security interest (asset kind "sysctl"), read from /proc/sys.
//
// # Items
//
// One item per parameter that exists on the host: Key and Name its name
// in sysctl's dotted notation ("kernel.randomize_va_space",
// "net.ipv4.conf.eth0/100.rp_filter" for an interface with a dot in its
// name), and the field vigil.sysctl.value, the value as sysctl -n shows
// it with each run of blanks made one space ("32768 60999").
//
// The parameters are DefaultKeys, a documented list: address space
// randomization and pointer exposure, ptrace and perf restrictions, core
// dumps and the core_pattern helper, what unprivileged users may reach
// (BPF, user namespaces, userfaultfd, io_uring, line disciplines), module
// loading and kexec, the helpers the kernel runs as root (modprobe,
// hotplug: an intruder points them at his own program), the taint mask,
// the filesystem protections, and the IPv4 and IPv6 routing and
// redirect settings. A parameter the kernel lacks
// (kernel.unprivileged_userns_clone exists on Debian kernels only) is
// left out; one that exists but cannot be read is left out and counted.
//
// # Settings
//
// A JSON object, every field optional:
//
//	extra_keys  list of parameter names to collect as well (at most 256),
//	            dotted or with '/' as separator; '*' matches within one
//	            component ("net.ipv4.conf.*.rp_filter": every interface,
//	            whose items come and go with the interfaces)
//
// # Counters
//
// unreadable_keys: parameters of the last run that exist but could not be
// read.
package sysctl
