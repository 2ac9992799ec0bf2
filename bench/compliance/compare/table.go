package compare

import "regexp"

// Rows returns the mapping table: every Lynis 3.0.8 test (or item of a
// test) that judges the same control as a cis_debian12 check. Lynis
// tests without such a check (compilers, malware scanners, debsums,
// deleted files in use, firewire, the kernel hardening keys CIS does not
// ask for ...) are left out, and so are CIS checks Lynis does not judge.
func Rows() []Row {
	var rows []Row
	rows = append(rows, sshRows()...)
	rows = append(rows, sysctlRows()...)
	rows = append(rows, moduleRows()...)
	rows = append(rows, mountRows()...)
	rows = append(rows, accountRows()...)
	rows = append(rows, permissionRows()...)
	rows = append(rows, serviceRows()...)
	return rows
}

// sshRunning is said of every SSH row.
const sshRunning = " Lynis runs its SSH tests only while an sshd process runs (it asks that daemon's `sshd -T`); Vigil reads sshd_config with OpenSSH's defaults, running or not."

// sshReading is how an SSH-7408 option is read.
const sshReading = "SSH-7408 reads `sshd -T` of the running daemon: a details[] entry of SSH-7408 for the option (Lynis's 'suggestion' or 'weak' level) is a fail, the log line 'OpenSSH option X is configured very well' a pass."

// sshOption reads one option of SSH-7408.
func sshOption(option string) Probe {
	return Probe{
		Test:   "SSH-7408",
		Detail: option,
		Pass:   lines("Result: OpenSSH option " + option + " is configured very well"),
		NA:     lines("Result: Option " + option + " not found in output"),
	}
}

func sshRows() []Row {
	opt := func(control, option, check, note string) Row {
		return Row{Control: control, Lynis: "SSH-7408:" + option, Check: check, Probes: []Probe{sshOption(option)},
			Reading: sshReading, Note: note + sshRunning}
	}
	return []Row{
		opt("sshd MaxAuthTries", "MaxAuthTries", "5.1.16",
			"Thresholds differ: Lynis passes 3 or less (4 to 6 is a suggestion), CIS 4 or less; MaxAuthTries 4 passes CIS and fails Lynis."),
		{Control: "sshd ClientAliveInterval and ClientAliveCountMax", Lynis: "SSH-7408:ClientAlive*", Check: "5.1.7",
			Probes:  []Probe{sshOption("ClientAliveInterval"), sshOption("ClientAliveCountMax")},
			Reading: sshReading + " Both options must pass.",
			Note: "Different criteria: Lynis wants ClientAliveInterval 300 or less (0, the default, which turns the check off, passes) and ClientAliveCountMax 2 or less; CIS wants both above 0. OpenSSH's defaults (0 and 3) fail both, for different reasons; ClientAliveInterval 0 with ClientAliveCountMax 0 to 2 passes Lynis and fails CIS." +
				sshRunning},
		opt("sshd IgnoreRhosts", "IgnoreRhosts", "5.1.11", "Same criterion (yes)."),
		opt("sshd LoginGraceTime", "LoginGraceTime", "5.1.13",
			"Thresholds differ: Lynis passes 120 s or less, CIS wants 1 to 60 s; the default 120 passes Lynis and fails CIS."),
		opt("sshd LogLevel", "LogLevel", "5.1.14",
			"Thresholds differ: Lynis passes VERBOSE only (INFO, the default, is a suggestion), CIS accepts INFO or VERBOSE; the default passes CIS and fails Lynis."),
		opt("sshd MaxSessions", "MaxSessions", "5.1.17",
			"Thresholds differ: Lynis passes 2 or less (3 and 4 are a suggestion), CIS 10 or less; the default 10 passes CIS and fails Lynis."),
		opt("sshd PermitRootLogin", "PermitRootLogin", "5.1.20",
			"Thresholds differ: Lynis passes no, prohibit-password (the default) and forced-commands-only, CIS wants no; the default passes Lynis and fails CIS."),
		opt("sshd PermitUserEnvironment", "PermitUserEnvironment", "5.1.21", "Same criterion (no)."),
		{Control: "sshd forwarding disabled", Lynis: "SSH-7408:*Forwarding", Check: "5.1.8",
			Probes:  []Probe{sshOption("X11Forwarding"), sshOption("AllowTcpForwarding"), sshOption("AllowAgentForwarding")},
			Reading: sshReading + " X11Forwarding, AllowTcpForwarding and AllowAgentForwarding must all pass.",
			Note: "CIS wants DisableForwarding yes; Lynis reads X11Forwarding, AllowTcpForwarding and AllowAgentForwarding one by one and not DisableForwarding: with DisableForwarding yes and the three at their defaults (yes) Vigil passes and Lynis fails." +
				sshRunning},
		{Control: "sshd access limited to listed users or groups", Lynis: "SSH-7440", Check: "5.1.4",
			Probes: []Probe{{Test: "SSH-7440",
				Fail: []*regexp.Regexp{starts("Result: SSH has no specific user or group limitation")},
				Pass: []*regexp.Regexp{starts("Result: SSH is limited to a specific set of users")}}},
			Reading: "SSH-7440 has no finding; its log says 'SSH is limited to a specific set of users' (pass) or 'SSH has no specific user or group limitation' (fail).",
			Note:    "CIS also accepts DenyUsers or DenyGroups; Lynis only AllowUsers or AllowGroups." + sshRunning},
	}
}

// sysctlReading is how a KRNL-6000 key is read.
const sysctlReading = "KRNL-6000 compares the running value (sysctl -n) with its scan profile: a details[] entry of KRNL-6000 for the key is a fail, 'sysctl key K contains equal expected and current value' a pass, 'key K does not exist on this machine' not judged."

// sysctlRunning is said of every sysctl row.
const sysctlRunning = " Lynis reads the running value only; CIS (and Vigil) also want the value set in the sysctl configuration files, so a right running value that no file sets passes Lynis and fails Vigil. The scoped Vigil verdict reads the running value only."

// sysctlKey reads one key of KRNL-6000.
func sysctlKey(key string) Probe {
	return Probe{
		Test:   "KRNL-6000",
		Detail: key,
		Pass:   []*regexp.Regexp{starts("Result: sysctl key " + key + " contains equal expected and current value")},
		NA:     lines("Result: key "+key+" does not exist on this machine", "Skipped test for "+key+" via profile"),
	}
}

func sysctlRows() []Row {
	row := func(control, item, check string, rules []int, note string, keys ...string) Row {
		r := Row{Control: control, Lynis: "KRNL-6000:" + item, Check: check, Scope: Scope{Rules: rules, Running: true},
			Reading: sysctlReading, Note: note + sysctlRunning}
		for _, k := range keys {
			r.Probes = append(r.Probes, sysctlKey(k))
		}
		return r
	}
	return []Row{
		row("address space layout randomization", "kernel.randomize_va_space", "1.5.1", nil, "Same value (2).", "kernel.randomize_va_space"),
		row("ptrace restricted", "kernel.yama.ptrace_scope", "1.5.2", nil,
			"Same values (1 to 3). A kernel without the Yama module has no kernel.yama.ptrace_scope: Lynis does not judge the key, Vigil fails (nothing restricts ptrace).",
			"kernel.yama.ptrace_scope"),
		row("core dumps of setuid programs", "fs.suid_dumpable", "1.5.3", []int{1}, "Same value (0); the CIS check also wants '* hard core 0' in limits (rule 0, row KRNL-5820).", "fs.suid_dumpable"),
		row("IP forwarding disabled", "net.ipv4.conf.all.forwarding", "3.3.1", []int{0},
			"Lynis reads net.ipv4.conf.all.forwarding, the same switch as the net.ipv4.ip_forward of CIS (writing one sets the other); CIS also wants IPv6 forwarding off, which Lynis does not read (outside the scope).",
			"net.ipv4.conf.all.forwarding"),
		row("ICMP redirects not sent", "net.ipv4.conf.all.send_redirects", "3.3.2", []int{0},
			"Lynis reads net.ipv4.conf.all.send_redirects; CIS also net.ipv4.conf.default.send_redirects (outside the scope).",
			"net.ipv4.conf.all.send_redirects"),
		row("bogus ICMP error responses ignored", "net.ipv4.icmp_ignore_bogus_error_responses", "3.3.3", nil, "Same value (1).",
			"net.ipv4.icmp_ignore_bogus_error_responses"),
		row("broadcast ICMP requests ignored", "net.ipv4.icmp_echo_ignore_broadcasts", "3.3.4", nil, "Same value (1).",
			"net.ipv4.icmp_echo_ignore_broadcasts"),
		row("ICMP redirects not accepted", "*.accept_redirects", "3.3.5", nil, "Same four keys and value (0).",
			"net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.default.accept_redirects",
			"net.ipv6.conf.all.accept_redirects", "net.ipv6.conf.default.accept_redirects"),
		row("reverse path filtering", "net.ipv4.conf.all.rp_filter", "3.3.7", []int{0},
			"Lynis reads net.ipv4.conf.all.rp_filter; CIS also net.ipv4.conf.default.rp_filter (outside the scope).",
			"net.ipv4.conf.all.rp_filter"),
		row("source routed packets not accepted", "*.accept_source_route", "3.3.8", nil, "Same four keys and value (0).",
			"net.ipv4.conf.all.accept_source_route", "net.ipv4.conf.default.accept_source_route",
			"net.ipv6.conf.all.accept_source_route", "net.ipv6.conf.default.accept_source_route"),
		row("suspicious packets logged", "*.log_martians", "3.3.9", nil, "Same two keys and value (1).",
			"net.ipv4.conf.all.log_martians", "net.ipv4.conf.default.log_martians"),
		row("TCP SYN cookies", "net.ipv4.tcp_syncookies", "3.3.10", nil, "Same value (1).", "net.ipv4.tcp_syncookies"),
		{Control: "core dumps limited to 0", Lynis: "KRNL-5820", Check: "1.5.3", Scope: Scope{Rules: []int{0}},
			Probes: []Probe{{Test: "KRNL-5820",
				Finding: text("consider explicit disabling of core dump in /etc/security/limits.conf"),
				Fail:    []*regexp.Regexp{starts("Result: core dumps are partially enabled"), starts("Result: core dumps are disabled for 'soft'")},
				Pass:    lines("Result: core dumps are hard disabled")}},
			Reading: "KRNL-5820: the suggestion 'consider explicit disabling of core dump in /etc/security/limits.conf', or a log line saying hard core dumps are not disabled, is a fail; 'core dumps are hard disabled' a pass.",
			Note:    "Lynis reads /etc/security/limits.conf and /etc/security/limits.d/*, as the CIS audit does; Vigil's rule reads /etc/security/limits.d/*.conf only, so '* hard core 0' in limits.conf passes Lynis and CIS and fails Vigil (a Vigil gap: one content rule cannot read two paths)."},
	}
}

// moduleNote is said of the FILE-6430 rows.
const moduleNote = "Lynis fails a module only when it is loaded, CIS wants it not loadable (the scoped Vigil verdict reads 'loaded' only). FILE-6430 needs /proc/modules: on a kernel without loadable modules Lynis does not judge, while Vigil counts a module absent from the kernel's module tree as not available and passes."

func moduleRows() []Row {
	var rows []Row
	usb := Row{Control: "usb-storage not available", Lynis: "USB-1000", Check: "1.1.1.9",
		Probes: []Probe{{Test: "USB-1000",
			Fail: lines("Result: usb-storage driver is not explicitly disabled"),
			Pass: lines("Result: usb-storage driver is disabled")}},
		Reading: "USB-1000 logs 'usb-storage driver is not explicitly disabled' (fail) or 'usb-storage driver is disabled' (pass); its suggestion is left out when USBGuard is installed, so the log decides.",
		Note:    "Lynis reads modprobe.d only ('install usb-storage /bin/true' or '/bin/false', or 'blacklist'); Vigil also counts a module that the running kernel's module tree does not have as not loadable. On a kernel without loadable modules (no /lib/modules tree) Vigil passes and Lynis fails."}
	rows = append(rows, usb)
	for _, p := range []struct{ name, check string }{{"dccp", "3.2.1"}, {"tipc", "3.2.2"}, {"rds", "3.2.3"}, {"sctp", "3.2.4"}} {
		rows = append(rows, Row{Control: p.name + " not available", Lynis: "NETW-3200:" + p.name, Check: p.check,
			Probes:  []Probe{{Test: "NETW-3200", Finding: text("Determine if protocol '" + p.name + "' is really needed")}},
			Reading: "NETW-3200: the suggestion 'Determine if protocol 'P' is really needed' is a fail for protocol P, its absence a pass.",
			Note:    "Lynis accepts only 'install " + p.name + " /bin/true' in modprobe.d, not the '/bin/false' and 'blacklist' lines the CIS remediation writes, so a host remediated as CIS says still fails Lynis. Vigil also counts a module that the running kernel's module tree does not have as not available: on a kernel without loadable modules that does not have the protocol built in, Vigil passes and Lynis fails."})
	}
	for _, m := range []struct{ name, check string }{
		{"cramfs", "1.1.1.1"}, {"freevxfs", "1.1.1.2"}, {"hfs", "1.1.1.3"}, {"hfsplus", "1.1.1.4"},
		{"jffs2", "1.1.1.5"}, {"squashfs", "1.1.1.7"}, {"udf", "1.1.1.8"},
	} {
		note := moduleNote
		if m.name == "squashfs" {
			note += " squashfs is the exception: this kernel has it built in (it is in /proc/filesystems), so it is available and Vigil's pass is wrong: Vigil misses built-in modules when the kernel has no module tree (see the proposed fix)."
		}
		rows = append(rows, Row{Control: m.name + " not available", Lynis: "FILE-6430:" + m.name, Check: m.check, Scope: Scope{LoadedOnly: true},
			Probes: []Probe{{Test: "FILE-6430",
				NA:   []*regexp.Regexp{starts("Test skipped lsmod binary not found")},
				Fail: lines("Result: module " + m.name + " is loaded in the kernel")}},
			Reading: "FILE-6430: 'module M is loaded in the kernel' is a fail for module M, else a pass; 'Test skipped lsmod binary not found or /proc/modules can not be opened' is not judged.",
			Note:    note})
	}
	return rows
}

func mountRows() []Row {
	var rows []Row
	for _, m := range []struct{ path, check string }{{"/tmp", "1.1.2.1.1"}, {"/home", "1.1.2.3.1"}, {"/var", "1.1.2.4.1"}} {
		rows = append(rows, Row{Control: m.path + " a separate partition", Lynis: "FILE-6310:" + m.path, Check: m.check,
			Probes: []Probe{{Test: "FILE-6310",
				Finding: text("place " + m.path + " on a separate partition"),
				Pass:    lines("Result: found " + m.path + " as a separated mount point"),
				NA:      lines("Result: directory " + m.path + " does not exist")}},
			Reading: "FILE-6310: the suggestion 'place P on a separate partition' is a fail for path P, 'found P as a separated mount point' a pass.",
			Note:    "Same criterion: something is mounted on the path (Lynis reads `mount`, Vigil /proc/self/mountinfo)."})
	}
	type opt struct {
		path   string
		option string
		check  string
	}
	for _, o := range []opt{
		{"/tmp", "nodev", "1.1.2.1.2"}, {"/tmp", "nosuid", "1.1.2.1.3"}, {"/tmp", "noexec", "1.1.2.1.4"},
		{"/dev/shm", "nodev", "1.1.2.2.2"}, {"/dev/shm", "nosuid", "1.1.2.2.3"}, {"/dev/shm", "noexec", "1.1.2.2.4"},
		{"/home", "nodev", "1.1.2.3.2"}, {"/home", "nosuid", "1.1.2.3.3"},
		{"/var", "nodev", "1.1.2.4.2"}, {"/var", "nosuid", "1.1.2.4.3"},
		{"/var/tmp", "nodev", "1.1.2.5.2"}, {"/var/tmp", "nosuid", "1.1.2.5.3"}, {"/var/tmp", "noexec", "1.1.2.5.4"},
		{"/var/log", "nodev", "1.1.2.6.2"}, {"/var/log", "nosuid", "1.1.2.6.3"}, {"/var/log", "noexec", "1.1.2.6.4"},
		{"/var/log/audit", "nodev", "1.1.2.7.2"}, {"/var/log/audit", "nosuid", "1.1.2.7.3"}, {"/var/log/audit", "noexec", "1.1.2.7.4"},
	} {
		rows = append(rows, Row{Control: o.option + " on " + o.path, Lynis: "FILE-6374:" + o.path + ":" + o.option, Check: o.check,
			Probes: []Probe{{Test: "FILE-6374",
				Fail: lines("Result: Could not find mount option " + o.option + " on file system " + o.path),
				Pass: lines("Result: GOOD, found mount option " + o.option + " on file system " + o.path),
				NA:   lines("Result: file system " + o.path + " not found in /etc/fstab")}},
			Reading: "FILE-6374 reads the options of path P in /etc/fstab, else in `mount`: 'Could not find mount option O on file system P' is a fail, 'GOOD, found mount option O on file system P' a pass, 'file system P not found in /etc/fstab' (in neither) not judged.",
			Note:    "Lynis reads /etc/fstab when the path is there (what the next boot mounts) and the running mounts otherwise; Vigil reads the running mounts. They differ when fstab and the running mounts do."})
	}
	for i, d := range []struct{ path, test string }{{"/tmp", "FILE-6362"}, {"/var/tmp", "FILE-6363"}} {
		rows = append(rows, Row{Control: "sticky bit on " + d.path, Lynis: d.test, Check: "7.1.11", Scope: Scope{Rules: []int{i}},
			Probes: []Probe{{Test: d.test,
				Finding: text("Set the sticky bit on " + d.path),
				Pass:    lines("Result: sticky bit found on " + d.path + " directory"),
				NA:      []*regexp.Regexp{starts("Result: Sticky bit test (on " + d.path + ") skipped")}}},
			Reading: d.test + ": the suggestion 'Set the sticky bit on " + d.path + "' is a fail, 'sticky bit found on " + d.path + " directory' a pass.",
			Note:    "Lynis checks the sticky bit only; CIS wants mode 1777 exactly."})
	}
	return rows
}

func accountRows() []Row {
	return []Row{
		{Control: "root the only uid 0 account", Lynis: "AUTH-9204", Check: "5.4.2.1",
			Probes:  []Probe{{Test: "AUTH-9204", Finding: text("Multiple users with UID 0"), Pass: lines("Result: No accounts found with UID 0 other than root.")}},
			Reading: "AUTH-9204: the warning 'Multiple users with UID 0 found in passwd file' is a fail, 'No accounts found with UID 0 other than root.' a pass.",
			Note:    "Same criterion (/etc/passwd)."},
		{Control: "no duplicate uids", Lynis: "AUTH-9208", Check: "7.2.5",
			Probes:  []Probe{{Test: "AUTH-9208", Finding: text("Multiple accounts found with same UID"), Pass: lines("Result: all accounts found in /etc/passwd are unique")}},
			Reading: "AUTH-9208: the warning 'Multiple accounts found with same UID' is a fail, 'all accounts found in /etc/passwd are unique' a pass.",
			Note:    "Same criterion."},
		{Control: "no duplicate gids", Lynis: "AUTH-9222", Check: "7.2.6",
			Probes:  []Probe{{Test: "AUTH-9222", Finding: text("Check your /etc/group file"), PassValue: "auth_group_ids_unique=1"}},
			Reading: "AUTH-9222: the suggestion 'Check your /etc/group file and correct any inconsistencies' is a fail, the report value auth_group_ids_unique=1 a pass.",
			Note:    "Same criterion."},
		{Control: "no duplicate group names", Lynis: "AUTH-9226", Check: "7.2.8",
			Probes:  []Probe{{Test: "AUTH-9226", Finding: text("correct any inconsistencies"), PassValue: "auth_group_names_unique=1"}},
			Reading: "AUTH-9226: the suggestion 'Check your /etc/group file and correct any inconsistencies' is a fail, the report value auth_group_names_unique=1 a pass.",
			Note:    "Same criterion."},
		{Control: "no empty passwords", Lynis: "AUTH-9283", Check: "7.2.2",
			Probes:  []Probe{{Test: "AUTH-9283", Finding: text("Found accounts without password"), Pass: lines("Result: all accounts seem to have a password")}},
			Reading: "AUTH-9283: the warning 'Found accounts without password' is a fail, 'all accounts seem to have a password' a pass.",
			Note:    "Same criterion: Lynis asks `passwd --all --status` (NP), Vigil reads the same /etc/shadow field."},
		{Control: "minimum password age (login.defs)", Lynis: "AUTH-9286:PASS_MIN_DAYS", Check: "5.4.1.2", Scope: Scope{Rules: []int{0}},
			Probes:  []Probe{{Test: "AUTH-9286", Finding: text("Configure minimum password age"), Pass: []*regexp.Regexp{starts("Result: password needs to be at least")}}},
			Reading: "AUTH-9286: the suggestion 'Configure minimum password age in /etc/login.defs' is a fail, 'password needs to be at least N days old' a pass.",
			Note:    "Same criterion (PASS_MIN_DAYS 1 or more); the CIS check also reads each login account's shadow field (outside the scope)."},
		{Control: "maximum password age (login.defs)", Lynis: "AUTH-9286:PASS_MAX_DAYS", Check: "5.4.1.1", Scope: Scope{Rules: []int{0, 1}},
			Probes:  []Probe{{Test: "AUTH-9286", Finding: text("Configure maximum password age"), Pass: []*regexp.Regexp{starts("Result: max password age is")}}},
			Reading: "AUTH-9286: the suggestion 'Configure maximum password age in /etc/login.defs' is a fail, 'max password age is N days' a pass.",
			Note:    "Thresholds differ: Lynis fails only PASS_MAX_DAYS unset or 99999, CIS wants 1 to 365; PASS_MAX_DAYS 400 passes Lynis and fails CIS."},
		{Control: "accounts' maximum password age", Lynis: "AUTH-9282", Check: "5.4.1.1", Scope: Scope{Rules: []int{2}},
			Probes:  []Probe{{Test: "AUTH-9282", Finding: text("set expire dates for all password protected accounts"), Pass: lines("Result: all accounts seem to have an expire date")}},
			Reading: "AUTH-9282: the suggestion 'When possible set expire dates for all password protected accounts' is a fail, 'all accounts seem to have an expire date' a pass.",
			Note:    "Different selections: Lynis fails an account of any uid that has a usable password and 99999 as maximum age (`passwd --all --status`); the CIS audit reads every account that has a password hash and wants 1 to 365; Vigil's rule reads the accounts of uid 1000 or more with a login shell, whatever their password. A locked login account without a password (here the account of uid 1000, locked, its maximum age not set) passes Lynis and the CIS audit and fails Vigil: Vigil's selection is wrong (see the proposed fix)."},
		{Control: "default umask (login.defs)", Lynis: "AUTH-9328:login.defs", Check: "5.4.3.3", Scope: Scope{Rules: []int{0}},
			Probes: []Probe{{Test: "AUTH-9328",
				Block: line("Test: Checking umask value in /etc/login.defs"), BlockEnd: starts("Test: "),
				Fail: []*regexp.Regexp{regexp.MustCompile(`which could be improved$`), starts("Result: umask value is not configured")},
				Pass: []*regexp.Regexp{regexp.MustCompile(`^Result: umask is \S+, which is fine$`)}}},
			Reading: "AUTH-9328, the lines after 'Checking umask value in /etc/login.defs': 'found umask X, which could be improved' or 'umask value is not configured' is a fail, 'umask is X, which is fine' a pass.",
			Note:    "Thresholds differ: Lynis accepts 027 and 077 only, CIS any umask at least as strict as 027 (037, 067 ...)."},
		{Control: "no weak umask in /etc/profile", Lynis: "SHLL-6230:/etc/profile", Check: "5.4.3.3", Scope: Scope{Rules: []int{2}},
			Probes:  []Probe{shellUmask("/etc/profile")},
			Reading: shellUmaskReading,
			Note:    "Same criterion: no umask weaker than 027 in the file (a file without umask holds)."},
		{Control: "no weak umask in /etc/bash.bashrc", Lynis: "SHLL-6230:/etc/bash.bashrc", Check: "5.4.3.3", Scope: Scope{Rules: []int{3}},
			Probes:  []Probe{shellUmask("/etc/bash.bashrc")},
			Reading: shellUmaskReading,
			Note:    "Same criterion: no umask weaker than 027 in the file (a file without umask holds)."},
		{Control: "password quality module", Lynis: "AUTH-9262", Check: "5.3.1.3",
			Probes:  []Probe{{Test: "AUTH-9262", Finding: text("Install a PAM module for password strength testing"), Pass: lines("Result: found at least one PAM module for password strength testing")}},
			Reading: "AUTH-9262: the suggestion 'Install a PAM module for password strength testing' is a fail, 'found at least one PAM module for password strength testing' a pass.",
			Note:    "Lynis looks for the module files pam_pwquality.so, pam_cracklib.so or pam_passwdqc.so; CIS wants the libpam-pwquality package. Neither checks that PAM uses the module (CIS 5.3.2.3 does)."},
		{Control: "shell idle timeout", Lynis: "SHLL-6220", Check: "5.4.3.2",
			Probes:  []Probe{{Test: "SHLL-6220", FailValue: "session_timeout_enabled=0", PassValue: "session_timeout_enabled=1"}},
			Reading: "SHLL-6220 has no finding; the report value session_timeout_enabled=0 is a fail, =1 a pass.",
			Note:    "Lynis passes any TMOUT in /etc/profile or /etc/profile.d/*.sh, or a running timeoutd or autolog; CIS wants TMOUT 1 to 900, readonly and exported. Vigil reads /etc/profile.d/*.sh only, while the CIS audit also reads /etc/profile and /etc/bash.bashrc."},
		{Control: "home folders 750 or stricter", Lynis: "HOME-9304", Check: "7.2.9",
			Probes:  []Probe{{Test: "HOME-9304", Finding: text("Double check the permissions of home directories"), Pass: lines("Result: OK, all permissions of the home directories are 750 or more restrictive")}},
			Reading: "HOME-9304: the suggestion 'Double check the permissions of home directories' is a fail, 'all permissions of the home directories are 750 or more restrictive' a pass.",
			Note:    "Lynis reads the homes of every account with a login shell, whatever its uid; CIS those of uid 1000 or more. Both want 750 or stricter. (Lynis's HOME-9306 checks that each user owns the home, which CIS 7.2.9 also asks and Vigil's check does not read: see the proposed fix.)"},
	}
}

const shellUmaskReading = "SHLL-6230, the lines after 'file F exists': 'umask X can be hardened' is a fail, 'did not find umask configured in F' or 'umask X is considered a properly hardened value' a pass."

// shellUmask reads one file of SHLL-6230.
func shellUmask(file string) Probe {
	return Probe{Test: "SHLL-6230",
		Block: line("Result: file " + file + " exists"), BlockEnd: starts("Result: file "),
		Fail: []*regexp.Regexp{regexp.MustCompile(`^Result: umask \S+ can be hardened`)},
		Pass: []*regexp.Regexp{line("Result: did not find umask configured in " + file), regexp.MustCompile(`^Result: umask \S+ is considered a properly hardened value$`)},
	}
}

// permReading is how a FILE-7524 entry is read.
const permReading = "FILE-7524 checks the files of its profile one by one: after 'checking file/directory F', 'Outcome: correct permissions' is a pass, 'permissions of file F are not matching expected value' a fail, 'Skipping file/directory F as it does not exist' not judged."

// permission reads one file of FILE-7524.
func permission(path string) Probe {
	return Probe{Test: "FILE-7524",
		Block: line("Test: checking file/directory " + path), BlockEnd: starts("Test: checking file/directory "),
		Fail: []*regexp.Regexp{starts("Outcome: permissions of file " + path + " are not matching expected value")},
		Pass: []*regexp.Regexp{starts("Outcome: correct permissions")},
		NA:   lines("Skipping file/directory " + path + " as it does not exist on this system"),
	}
}

func permissionRows() []Row {
	const modeOnly = "Lynis compares the mode only (its profile's mode or stricter); CIS also wants the owner and group."
	const cron = " CIS applies only when the cron package is installed (Vigil: not applicable without it); Lynis checks the path whenever it exists, as other packages' jobs create the cron folders."
	perm := func(control, path, check string, rules []int, note string) Row {
		return Row{Control: control, Lynis: "FILE-7524:" + path, Check: check, Scope: Scope{Rules: rules},
			Probes: []Probe{permission(path)}, Reading: permReading, Note: note}
	}
	return []Row{
		perm("/etc/ssh/sshd_config permissions", "/etc/ssh/sshd_config", "5.1.1", nil, modeOnly+" Both want 600."),
		perm("/etc/motd permissions", "/etc/motd", "1.6.4", []int{1}, modeOnly+" Both want 644; CIS also passes a host without /etc/motd."),
		perm("/etc/issue permissions", "/etc/issue", "1.6.5", nil, modeOnly+" Both want 644."),
		perm("/etc/issue.net permissions", "/etc/issue.net", "1.6.6", nil, modeOnly+" Both want 644."),
		perm("/etc/passwd permissions", "/etc/passwd", "7.1.1", nil, modeOnly+" Both want 644."),
		perm("/etc/passwd- permissions", "/etc/passwd-", "7.1.2", nil, modeOnly+" Both want 644."),
		perm("/etc/group permissions", "/etc/group", "7.1.3", nil, modeOnly+" Both want 644."),
		perm("/etc/group- permissions", "/etc/group-", "7.1.4", nil, modeOnly+" Both want 644."),
		perm("bootloader configuration permissions", "/boot/grub/grub.cfg", "1.4.2", nil,
			modeOnly+" Both want 600. Lynis does not judge a host without /boot/grub/grub.cfg; Vigil fails it, as its check has no applies_if for a host that boots without GRUB (this virtual machine's kernel is booted directly)."),
		perm("/etc/crontab permissions", "/etc/crontab", "2.4.1.2", nil, modeOnly+" Both want 600."+cron),
		perm("/etc/cron.hourly permissions", "/etc/cron.hourly", "2.4.1.3", nil, modeOnly+" Both want 700."+cron),
		perm("/etc/cron.daily permissions", "/etc/cron.daily", "2.4.1.4", nil, modeOnly+" Both want 700."+cron),
		perm("/etc/cron.weekly permissions", "/etc/cron.weekly", "2.4.1.5", nil, modeOnly+" Both want 700."+cron),
		perm("/etc/cron.monthly permissions", "/etc/cron.monthly", "2.4.1.6", nil, modeOnly+" Both want 700."+cron),
		perm("/etc/cron.d permissions", "/etc/cron.d", "2.4.1.7", nil, modeOnly+" Both want 700."+cron),
		perm("/etc/cron.allow permissions", "/etc/cron.allow", "2.4.1.8", nil,
			"Thresholds differ: Lynis wants 600, CIS 640 or stricter with group root or crontab, and fails a host without the file. Lynis does not judge a missing file."+cron),
		perm("/etc/at.allow permissions", "/etc/at.allow", "2.4.2.1", nil,
			"Thresholds differ: Lynis wants 600, CIS 640 or stricter with group root or daemon, and fails a host without the file. Lynis does not judge a missing file. CIS applies only when the at package is installed."),
	}
}

// installed reads an INSE test's "Result: X is installed" lines.
func installed(test, what string) Probe {
	return Probe{Test: test,
		Fail: lines("Result: " + what + " is installed"),
		Pass: lines("Result: " + what + " is NOT installed")}
}

func serviceRows() []Row {
	const pkgs = "Lynis asks dpkg whether one of its package names is installed"
	return []Row{
		{Control: "auditd running", Lynis: "ACCT-9628", Check: "6.2.1.2", Scope: Scope{Rules: []int{1}},
			Probes:  []Probe{{Test: "ACCT-9628", Fail: lines("Result: auditd not active"), Pass: lines("Result: auditd running")}},
			Reading: "ACCT-9628: 'auditd not active' (with the suggestion 'Enable auditd to collect audit information') is a fail, 'auditd running' a pass; Lynis skips the test when auditd is not installed.",
			Note:    "Lynis reads whether an auditd process runs; CIS also wants the unit enabled (rule 0, outside the scope). Lynis does not judge a host without auditd, which fails CIS."},
		{Control: "time synchronization in use", Lynis: "TIME-3104", Check: "2.3.1.1",
			Probes: []Probe{{Test: "TIME-3104",
				Fail: lines("Result: Could not find a NTP daemon or client", "Result: Skipping display warning, as virtual machines usually don't need time synchronization in the VM itself"),
				Pass: lines("Result: Found a time syncing daemon/client.")}},
			Reading: "TIME-3104: 'Could not find a NTP daemon or client', or on a virtual machine 'Skipping display warning ...' (nothing found, not reported), is a fail; 'Found a time syncing daemon/client.' a pass.",
			Note:    "Lynis looks for a running time daemon or client (and keeps quiet on a virtual machine that has none); CIS wants exactly one of chrony and systemd-timesyncd enabled. Where systemd is not PID 1, as on this machine, an enabled systemd-timesyncd never runs: Vigil passes, Lynis fails."},
		{Control: "file integrity tool installed", Lynis: "FINT-4350", Check: "6.3.1",
			Probes:  []Probe{{Test: "FINT-4350", Finding: text("Install a file integrity tool"), Pass: lines("Result: found at least one file integrity tool")}},
			Reading: "FINT-4350: the suggestion 'Install a file integrity tool' is a fail, 'found at least one file integrity tool' a pass.",
			Note:    "Lynis passes any file integrity tool it finds (the aide program); CIS wants the aide and aide-common packages. aide only recommends aide-common, which brings the configuration and the daily check: aide installed without it passes Lynis and fails CIS, and Lynis's own FINT-4315 then warns that AIDE has no configuration file."},
		{Control: "local login banner (/etc/issue)", Lynis: "BANN-7126", Check: "1.6.2",
			Probes:  []Probe{{Test: "BANN-7126", Finding: text("Add a legal banner to /etc/issue"), Pass: []*regexp.Regexp{regexp.MustCompile(`^Result: Found \d+ key words \(5 or more suggested\), to warn unauthorized users$`)}}},
			Reading: "BANN-7126: the suggestion 'Add a legal banner to /etc/issue' is a fail, 'Found N key words (5 or more suggested)' a pass.",
			Note:    "Different criteria for the same control: Lynis counts legal words (fewer than 5 is a suggestion), CIS forbids system information (\\m \\r \\s \\v, the OS name). Debian's default banner fails both, for different reasons."},
		{Control: "remote login banner (/etc/issue.net)", Lynis: "BANN-7130", Check: "1.6.3",
			Probes:  []Probe{{Test: "BANN-7130", Finding: text("Add legal banner to /etc/issue.net"), Pass: []*regexp.Regexp{regexp.MustCompile(`^Result: Found \d+ key words, to warn unauthorized users$`)}}},
			Reading: "BANN-7130: the suggestion 'Add legal banner to /etc/issue.net' is a fail, 'Found N key words, to warn unauthorized users' a pass.",
			Note:    "Different criteria for the same control: Lynis counts legal words, CIS forbids system information (\\m \\r \\s \\v, the OS name). Debian's default banner fails both, for different reasons."},
		{Control: "bootloader password", Lynis: "BOOT-5122", Check: "1.4.1",
			Probes:  []Probe{{Test: "BOOT-5122", Finding: text("Set a password on GRUB boot loader"), Pass: lines("Result: GRUB has password protection.")}},
			Reading: "BOOT-5122: the suggestion 'Set a password on GRUB boot loader' is a fail, 'GRUB has password protection.' a pass; Lynis skips the test when it finds no GRUB configuration.",
			Note:    "Same criterion (superusers and a pbkdf2 password). Lynis does not judge a host without a GRUB configuration; Vigil fails it, as its check has no applies_if for a host that boots without GRUB (this virtual machine's kernel is booted directly)."},
		{Control: "AppArmor installed", Lynis: "MACF-6204", Check: "1.3.1.1",
			Probes:  []Probe{{Test: "MACF-6204", Fail: lines("Result: aa-status binary not found, AppArmor not installed"), Pass: lines("Result: aa-status binary found, AppArmor is installed")}},
			Reading: "MACF-6204 has no finding; 'aa-status binary not found, AppArmor not installed' is a fail, 'aa-status binary found, AppArmor is installed' a pass.",
			Note:    "Lynis looks for the aa-status program (package apparmor); CIS wants apparmor and apparmor-utils installed."},
		{Control: "security updates repository", Lynis: "PKGS-7388", Check: "1.2.1.2",
			Probes:  []Probe{{Test: "PKGS-7388", Finding: text("Can't find any security repository"), Pass: lines("Result: security repository was found")}},
			Reading: "PKGS-7388: the warning 'Can't find any security repository' is a fail, 'security repository was found' a pass.",
			Note:    "Lynis 3.0.8 runs the test only when /etc/apt/sources.list exists; Debian 12 lists its repositories in /etc/apt/sources.list.d/debian.sources (deb822) only, so Lynis skips it while Vigil reads that file."},
		{Control: "rsh client not installed", Lynis: "INSE-8300", Check: "2.2.2",
			Probes: []Probe{installed("INSE-8300", "rsh client")}, Reading: "INSE-8300: 'rsh client is installed' is a fail, 'rsh client is NOT installed' a pass.",
			Note: pkgs + " (rsh, rsh-client, rsh-redone-client); CIS names rsh-client."},
		{Control: "NIS client not installed", Lynis: "INSE-8314", Check: "2.2.1",
			Probes: []Probe{installed("INSE-8314", "NIS client")}, Reading: "INSE-8314: 'NIS client is installed' is a fail, 'NIS client is NOT installed' a pass.",
			Note: pkgs + " (nis, ypbind); CIS names nis."},
		{Control: "NIS server not in use", Lynis: "INSE-8316", Check: "2.1.10",
			Probes: []Probe{installed("INSE-8316", "NIS server")}, Reading: "INSE-8316: 'NIS server is installed' is a fail, 'NIS server is NOT installed' a pass.",
			Note: pkgs + " (nis, ypserv); CIS passes ypserv installed with its unit disabled and stopped."},
		{Control: "TFTP server not in use", Lynis: "INSE-8320", Check: "2.1.16",
			Probes: []Probe{installed("INSE-8320", "TFTP server")}, Reading: "INSE-8320: 'TFTP server is installed' is a fail, 'TFTP server is NOT installed' a pass.",
			Note: pkgs + " (atftpd, tftpd, tftp-server, tftpd-hpa); CIS names tftpd-hpa and passes it installed with its unit disabled and stopped."},
		{Control: "xinetd not in use", Lynis: "INSE-8100", Check: "2.1.19",
			Probes: []Probe{installed("INSE-8100", "xinetd")}, Reading: "INSE-8100: 'xinetd is installed' is a fail, 'xinetd is NOT installed' a pass.",
			Note: pkgs + "; CIS passes xinetd installed with its unit disabled and stopped."},
	}
}
