package sysctl

// DefaultKeys are the kernel parameters collected by default: those that
// harden the kernel or the network stack, or that an intruder changes to
// gain or keep access. A parameter this kernel lacks is left out.
var DefaultKeys = []string{
	// Address space and pointer exposure.
	"kernel.randomize_va_space", // 2: full ASLR
	"kernel.kptr_restrict",      // kernel pointers in /proc hidden from users
	"kernel.dmesg_restrict",     // the kernel log readable by root only
	"vm.mmap_min_addr",          // NULL-dereference exploits
	"vm.mmap_rnd_bits",
	"vm.mmap_rnd_compat_bits",
	// Debugging and introspection of other processes.
	"kernel.yama.ptrace_scope",
	"kernel.perf_event_paranoid",
	"fs.suid_dumpable", // core dumps of setuid programs
	"kernel.core_pattern",
	"kernel.core_uses_pid",
	// Attack surface reachable by unprivileged users.
	"kernel.unprivileged_bpf_disabled",
	"net.core.bpf_jit_enable",
	"net.core.bpf_jit_harden",
	"net.core.bpf_jit_kallsyms",
	"kernel.unprivileged_userns_clone", // Debian and Ubuntu kernels
	"user.max_user_namespaces",
	"vm.unprivileged_userfaultfd",
	"kernel.io_uring_disabled",
	"dev.tty.ldisc_autoload",
	"dev.tty.legacy_tiocsti",
	"kernel.sysrq",
	// Loading code into the kernel, and helpers the kernel runs as root
	// (changed to run an intruder's program).
	"kernel.modules_disabled",
	"kernel.kexec_load_disabled",
	"kernel.modprobe",
	"kernel.hotplug",
	"kernel.tainted",
	// Filesystem protections.
	"fs.protected_hardlinks",
	"fs.protected_symlinks",
	"fs.protected_fifos",
	"fs.protected_regular",
	// IPv4.
	"net.ipv4.ip_forward",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.tcp_timestamps",
	"net.ipv4.icmp_echo_ignore_broadcasts",
	"net.ipv4.icmp_ignore_bogus_error_responses",
	"net.ipv4.conf.all.accept_redirects",
	"net.ipv4.conf.default.accept_redirects",
	"net.ipv4.conf.all.secure_redirects",
	"net.ipv4.conf.default.secure_redirects",
	"net.ipv4.conf.all.send_redirects",
	"net.ipv4.conf.default.send_redirects",
	"net.ipv4.conf.all.rp_filter",
	"net.ipv4.conf.default.rp_filter",
	"net.ipv4.conf.all.accept_source_route",
	"net.ipv4.conf.default.accept_source_route",
	"net.ipv4.conf.all.log_martians",
	"net.ipv4.conf.default.log_martians",
	"net.ipv4.conf.all.proxy_arp",
	// IPv6.
	"net.ipv6.conf.all.forwarding",
	"net.ipv6.conf.all.disable_ipv6",
	"net.ipv6.conf.all.accept_ra",
	"net.ipv6.conf.default.accept_ra",
	"net.ipv6.conf.all.accept_redirects",
	"net.ipv6.conf.default.accept_redirects",
	"net.ipv6.conf.all.accept_source_route",
	"net.ipv6.conf.default.accept_source_route",
}
