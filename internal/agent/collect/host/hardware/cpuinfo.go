package hardware

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// maxCPUInfo bounds /proc/cpuinfo: about 1.5 KiB a logical CPU on x86,
// so 8 MiB is several thousand CPUs.
const maxCPUInfo = 8 << 20

// CPUInfo is /proc/cpuinfo read as blocks of "key : value" lines: one
// block a logical CPU (keys as the kernel writes them, "model name",
// "flags" ...), and the lines outside a processor block (ARM's trailing
// "Hardware", s390's header) in Global.
type CPUInfo struct {
	Processors []map[string]string
	Global     map[string]string
	// Malformed counts the lines that are not "key : value".
	Malformed int
}

// ParseCPUInfo parses /proc/cpuinfo of any architecture. A block is a
// processor when it has a "processor" key; other blocks feed Global.
// Lines without a colon are counted in Malformed and skipped.
func ParseCPUInfo(data []byte) (CPUInfo, error) {
	if len(data) > maxCPUInfo {
		return CPUInfo{}, fmt.Errorf("cpuinfo: %d bytes, more than %d", len(data), maxCPUInfo)
	}
	info := CPUInfo{Global: map[string]string{}}
	var cur map[string]string
	flush := func() {
		if cur == nil {
			return
		}
		if _, ok := cur["processor"]; ok {
			info.Processors = append(info.Processors, cur)
		} else {
			for k, v := range cur {
				if _, dup := info.Global[k]; !dup {
					info.Global[k] = v
				}
			}
		}
		cur = nil
	}
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		text := strings.TrimRight(string(line), "\r")
		if strings.TrimSpace(text) == "" {
			flush()
			continue
		}
		key, value, ok := strings.Cut(text, ":")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			info.Malformed++
			continue
		}
		value = strings.TrimSpace(value)
		if cur == nil {
			cur = map[string]string{}
		} else if _, dup := cur[key]; dup && key == "processor" {
			// A new processor without a blank line before it.
			flush()
			cur = map[string]string{}
		}
		if _, dup := cur[key]; !dup {
			cur[key] = value
		}
	}
	flush()
	return info, nil
}

// securityFlags are the CPU flags an inventory keeps: virtualisation,
// memory protection, speculative-execution mitigations and trusted
// execution (x86 names, then ARM's).
var securityFlags = []string{
	"hypervisor", "vmx", "svm", "nx", "smep", "smap", "umip", "pku", "ospke", "pti",
	"ibrs", "ibpb", "stibp", "ssbd", "md_clear", "flush_l1d", "arch_capabilities",
	"sgx", "sev", "sev_es", "sev_snp", "tdx_guest", "aes", "rdrand", "rdseed", "sha_ni",
	"paca", "pacg", "bti", "mte", "sve",
}

// CPU is what the inventory keeps of the processors.
type CPU struct {
	Vendor, Model, Family, ModelID, Stepping, Microcode string
	Sockets, Cores, Threads                             int
	// MHz is the nominal or maximum frequency; 0 when only a moving one
	// is known.
	MHz int
	// Flags are the flags of securityFlags the CPU has, in that order;
	// Bugs the kernel's list of known CPU bugs.
	Flags, Bugs []string
}

// Summary reduces the parsed file to a CPU. topo gives, for CPUs whose
// blocks lack "physical id" and "core id", the package and core of
// each processor (from sysfs; nil when unknown); maxKHz is cpufreq's
// cpuinfo_max_freq (0 when absent).
func (c CPUInfo) Summary(topo []Topology, maxKHz int64) CPU {
	var out CPU
	if len(c.Processors) == 0 {
		return out
	}
	first := c.Processors[0]
	pick := func(keys ...string) string {
		for _, k := range keys {
			if v := first[k]; v != "" {
				return v
			}
			if v := c.Global[k]; v != "" {
				return v
			}
		}
		return ""
	}
	out.Vendor = pick("vendor_id", "vendor", "CPU implementer", "mvendorid")
	out.Model = pick("model name", "cpu model", "cpu", "uarch", "Processor", "Hardware")
	out.Family = pick("cpu family", "CPU architecture")
	out.ModelID = pick("model", "CPU part")
	out.Stepping = pick("stepping", "CPU revision")
	out.Microcode = pick("microcode")
	out.Threads = len(c.Processors)

	sockets, cores := map[string]bool{}, map[string]bool{}
	for _, p := range c.Processors {
		pkg, hasPkg := p["physical id"]
		core, hasCore := p["core id"]
		if hasPkg {
			sockets[pkg] = true
		}
		if hasPkg && hasCore {
			cores[pkg+"/"+core] = true
		}
	}
	if len(sockets) == 0 && len(topo) > 0 {
		for _, t := range topo {
			sockets[t.Package] = true
			cores[t.Package+"/"+t.Core] = true
		}
	}
	out.Sockets, out.Cores = len(sockets), len(cores)
	if out.Sockets == 0 {
		out.Sockets = 1
	}
	if out.Cores == 0 {
		out.Cores = out.Threads
	}

	flags := strings.Fields(pick("flags", "Features"))
	for _, f := range securityFlags {
		if slices.Contains(flags, f) {
			out.Flags = append(out.Flags, f)
		}
	}
	if bugs := strings.Fields(pick("bugs")); len(bugs) > 0 {
		out.Bugs = bugs
	}

	switch {
	case maxKHz > 0:
		out.MHz = int((maxKHz + 500) / 1000)
	case !slices.Contains(flags, "aperfmperf"):
		// Without APERF/MPERF the kernel prints the fixed TSC rate;
		// with them, the frequency of the moment, which an inventory
		// must not hold.
		if v, err := strconv.ParseFloat(pick("cpu MHz"), 64); err == nil && v > 0 && v < 1e6 {
			out.MHz = int(math.Round(v))
		}
	}
	return out
}

// Topology is one logical CPU's place: its package (socket) and core.
type Topology struct{ Package, Core string }
