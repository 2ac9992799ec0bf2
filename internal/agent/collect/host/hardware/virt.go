package hardware

import (
	"strings"
)

// Virtualisation found from files only, the way systemd-detect-virt
// decides without CPUID: a virtual machine from DMI vendor strings,
// /sys/hypervisor, the device tree, then the CPU's hypervisor flag and
// the clock sources; a container from the files container managers
// leave.
type Virtualization struct {
	// VM is systemd-detect-virt's name of the hypervisor ("kvm", "qemu",
	// "vmware", "microsoft", "oracle", "xen", "amazon", "google" ...),
	// "other" for a virtual machine of unknown kind, "none" on bare
	// metal.
	VM string
	// Container is the container manager ("docker", "podman", "lxc",
	// "systemd-nspawn", "openvz", "wsl" ...), "none" outside one.
	Container string
}

// dmiVendors maps the start of a DMI vendor or product string to the
// hypervisor (systemd's table).
var dmiVendors = []struct{ prefix, vm string }{
	{"KVM", "kvm"}, {"OpenStack", "kvm"}, {"KubeVirt", "kvm"}, {"Amazon EC2", "amazon"},
	{"QEMU", "qemu"}, {"VMware", "vmware"}, {"VMW", "vmware"}, {"innotek GmbH", "oracle"},
	{"VirtualBox", "oracle"}, {"Oracle Corporation", "oracle"}, {"Xen", "xen"},
	{"Bochs", "bochs"}, {"Parallels", "parallels"}, {"BHYVE", "bhyve"},
	{"Hyper-V", "microsoft"}, {"Apple Virtualization", "apple"},
	{"Google Compute Engine", "google"}, {"Google", "google"},
	{"Alibaba Cloud", "kvm"}, {"Tencent Cloud", "kvm"},
}

// vmFromDMI finds the hypervisor in the DMI strings, "" when they name
// none. An EC2 bare-metal instance (product "*.metal") is no virtual
// machine; neither is Microsoft hardware other than "Virtual Machine".
func vmFromDMI(d DMI) string {
	if d["sys_vendor"] == "Amazon EC2" && strings.HasSuffix(d["product_name"], ".metal") {
		return ""
	}
	if d["sys_vendor"] == "Microsoft Corporation" && d["product_name"] == "Virtual Machine" {
		return "microsoft"
	}
	for _, f := range []string{"product_name", "sys_vendor", "board_vendor", "bios_vendor", "product_version"} {
		v := d[f]
		if v == "" {
			continue
		}
		for _, e := range dmiVendors {
			if strings.HasPrefix(v, e.prefix) {
				return e.vm
			}
		}
	}
	return ""
}

// vmFromHypervisor reads /sys/hypervisor/type and the device tree's
// hypervisor node (ARM, PowerPC). A Xen dom0 is no guest.
func vmFromHypervisor(typ, xenCaps, dtCompatible string) string {
	if strings.TrimSpace(typ) == "xen" {
		if strings.Contains(xenCaps, "control_d") {
			return ""
		}
		return "xen"
	}
	switch {
	case strings.Contains(dtCompatible, "linux,kvm"):
		return "kvm"
	case strings.Contains(dtCompatible, "xen"):
		return "xen"
	case strings.Contains(dtCompatible, "vmware"):
		return "vmware"
	}
	return ""
}

// vmFromClock names the hypervisor of a guest (its CPU has the
// hypervisor flag) by the paravirtual clock sources it offers.
func vmFromClock(available string) string {
	for _, cs := range strings.Fields(available) {
		switch {
		case cs == "kvm-clock":
			return "kvm"
		case cs == "xen":
			return "xen"
		case strings.HasPrefix(cs, "hyperv_clocksource"):
			return "microsoft"
		}
	}
	return "other"
}

// containerFiles is what container managers leave behind: the manager's
// name written by it (/run/systemd/container,
// /run/host/container-manager), marker files (/.dockerenv,
// /run/.containerenv), PID 1's environment, OpenVZ's /proc/vz, WSL's
// kernel release and PID 1's cgroup path (telling on cgroup v1 hosts).
type containerFiles struct {
	SystemdContainer, HostManager string
	DockerEnv, ContainerEnv       bool
	PID1Environ                   string // NUL-separated
	ProcVZ, ProcBC                bool
	OSRelease                     string // /proc/sys/kernel/osrelease
	PID1Cgroup                    string
}

// cgroupMarkers map a part of PID 1's cgroup path to the manager.
var cgroupMarkers = []struct{ part, name string }{
	{"/kubepods", "kubernetes"}, {"/docker/", "docker"}, {"/docker-", "docker"},
	{"/libpod-", "podman"}, {"/machine.slice/libpod", "podman"}, {"/lxc/", "lxc"},
	{"/lxc.payload", "lxc"}, {"/containerd/", "containerd"}, {"/cri-containerd-", "containerd"},
	{"/crio-", "cri-o"}, {"/ecs/", "ecs"}, {"/garden/", "garden"},
}

// detect names the container manager, "" outside a container; the
// checks run in the order of systemd-detect-virt's.
func (c containerFiles) detect() string {
	if c.ProcVZ && !c.ProcBC {
		return "openvz"
	}
	if strings.Contains(c.OSRelease, "Microsoft") || strings.Contains(c.OSRelease, "WSL") {
		return "wsl"
	}
	for _, v := range []string{c.HostManager, c.SystemdContainer} {
		if v = sanitizeWord(v); v != "" {
			if v == "oci" {
				v = "container-other"
			}
			return v
		}
	}
	for kv := range strings.SplitSeq(c.PID1Environ, "\x00") {
		if v, ok := strings.CutPrefix(kv, "container="); ok {
			if v = sanitizeWord(v); v != "" {
				return v
			}
		}
	}
	if c.ContainerEnv {
		return "podman"
	}
	if c.DockerEnv {
		return "docker"
	}
	for line := range strings.SplitSeq(c.PID1Cgroup, "\n") {
		// "hierarchy-id:controllers:path"
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, m := range cgroupMarkers {
			if strings.Contains(parts[2], m.part) {
				return m.name
			}
		}
	}
	return ""
}

// sanitizeWord keeps the first line of a manager's name if it is a plain
// word (letters, digits, '-', '_', '.'), "" otherwise.
func sanitizeWord(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return ""
		}
	}
	return strings.ToLower(s)
}
