// Package hardware is the host/hardware collector: the inventory of the
// host itself (hardware, firmware, CPU, memory, operating system,
// virtualisation, cloud instance), its disks, its mounted filesystems
// and its network interfaces.
//
// # Items
//
//   - host (one item, key "host"): host.{hostname,name,id,architecture},
//     host.os.{type,platform,family,name,full,version,codename,kernel},
//     vigil.host.boot_time, vigil.hardware.{vendor,model,version,serial,
//     uuid,sku,family}, vigil.hardware.{board,chassis,bios}.*,
//     vigil.cpu.{vendor,model,family,model_id,stepping,microcode,sockets,
//     cores,threads,mhz,flags,bugs}, vigil.memory.total (bytes),
//     vigil.virtualization.{vm,container}, cloud.{provider,instance.id,
//     machine.type,region,availability_zone,account.id} and
//     vigil.cloud.sources.
//   - disk (key: the kernel name, "sda"): vigil.disk.{name,type,size,
//     model,vendor,serial,wwn,firmware,driver,rotational,removable,
//     read_only,dm_name,dm_uuid,raid_level,backing_file,slaves,
//     partitions}.
//   - mount (key: the mount point; "#2", "#3" ... for mounts stacked on
//     the same point): vigil.mount.{point,device,fstype,root,options,
//     super_options,read_only,propagation,size}.
//   - interface (key: the name): vigil.interface.{name,type,mac,
//     permanent_mac,mtu,state,promiscuous,master,parent,vlan_id,driver,
//     alias,addresses,ipv4,ipv6}.
//
// # What is left out, so that an unchanged host stays unchanged
//
// Uptime, free and used space, the CPU's current frequency, link speed
// and carrier state (they move by themselves), IPv6 temporary addresses
// (rotated daily), mount ids and peer group numbers (new at each boot),
// and tmpfs mounts of login sessions (/run/user/UID). The boot time is
// kept at minute precision, and a value within two minutes of the
// previous one is taken for it: the kernel derives it from the clock,
// which NTP moves.
//
// # Sources
//
// Files below the root only (Env.Root): /sys/class/dmi/id, /proc/cpuinfo,
// /proc/meminfo, /sys/devices/system/cpu, /sys/block,
// /proc/self/mountinfo, /sys/class/net, /etc/os-release, the files of
// host/facts, and for the cloud /run/cloud-init/instance-data.json and
// /var/lib/cloud/data/instance-id. No metadata endpoint is asked.
// Interfaces and addresses come from rtnetlink in the agent's network
// namespace, filesystem sizes from statfs(2) when the root is "/".
//
// Pseudo filesystems left out of the mounts: see pseudoFS.
package hardware

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/procfs"

	"github.com/vigilsec/vigil/internal/agent/collect/host/facts"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "host/hardware"

// HostKey is the key of the host item.
const HostKey = "host"

// Collector collects the hardware inventory.
type Collector struct {
	// Interfaces, when set, replaces the netlink listing (tests).
	Interfaces func() ([]Interface, error)
	// Size, when set, replaces statfs: the total size in bytes of the
	// filesystem mounted at point with device major:minor, false when
	// unknown. Unset, sizes are read only when the root is "/".
	Size func(point string, major, minor uint32) (int64, bool)

	mu       sync.Mutex
	bootRaw  int64 // boot time as read last
	bootKept int64 // boot time reported

	malformed  atomic.Uint64
	unreadable atomic.Uint64
	badFiles   atomic.Uint64
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: Linux; serial numbers and the
// DMI UUID are read only by root, and left out otherwise.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return time.Hour }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string {
	return []string{event.AssetHost, event.AssetDisk, event.AssetMount, event.AssetInterface}
}

// Counters implements plugin.Counted: malformed_lines (of cpuinfo and
// mountinfo), unreadable_items (disks whose size could not be read, left
// out) and malformed_files (cloud-init data that is not JSON, VPD pages
// that are not one), totals since start.
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"malformed_lines":  c.malformed.Load(),
		"unreadable_items": c.unreadable.Load(),
		"malformed_files":  c.badFiles.Load(),
	}
}

// Assets implements plugin.AssetCollector.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	root := env.Root
	if root == "" {
		root = "/"
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, err := c.host(ctx, root, log)
	if err != nil {
		return nil, err
	}
	out := []event.Asset{host}
	disks, err := c.disks(filepath.Join(root, "sys"), log)
	if err != nil {
		return nil, err
	}
	out = append(out, disks...)
	mounts, err := c.mounts(root)
	if err != nil {
		return nil, err
	}
	out = append(out, mounts...)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hardware: %w", err)
	}
	list := c.Interfaces
	if list == nil {
		list = func() ([]Interface, error) { return hostInterfaces(filepath.Join(root, "sys")) }
	}
	ifs, err := list()
	if err != nil {
		return nil, fmt.Errorf("hardware: %w", err)
	}
	for _, in := range ifs {
		out = append(out, interfaceAsset(in))
	}
	return out, nil
}

// readOptional reads a file below root; a missing file is no error.
func readOptional(root, rel string, max int64) ([]byte, bool, error) {
	b, err := readLimited(filepath.Join(root, rel), max)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// host builds the host item.
func (c *Collector) host(ctx context.Context, root string, log *slog.Logger) (event.Asset, error) {
	e := event.Event{}
	f, err := facts.Reader{Root: root, Interfaces: noInterfaces}.Read(ctx)
	if f == nil {
		return event.Asset{}, fmt.Errorf("hardware: %w", err)
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return event.Asset{}, fmt.Errorf("hardware: %w", cerr)
		}
		log.Debug("host facts incomplete", "err", err)
	}
	set(e, "host.hostname", f.GetHostname())
	set(e, "host.name", f.GetHostname())
	set(e, "host.id", f.GetMachineId())
	set(e, "host.architecture", f.GetArch())
	set(e, "host.os.type", f.GetOs())
	set(e, "host.os.kernel", f.GetKernel())
	if osr, _ := facts.ReadOSRelease(root); osr != nil {
		set(e, "host.os.platform", osr["ID"])
		set(e, "host.os.name", osr["NAME"])
		set(e, "host.os.full", osr["PRETTY_NAME"])
		set(e, "host.os.version", osr["VERSION_ID"])
		set(e, "host.os.codename", osr["VERSION_CODENAME"])
		family := osr["ID"]
		if like := fieldsOf(osr["ID_LIKE"]); len(like) > 0 {
			family = like[0]
		}
		set(e, "host.os.family", family)
	}
	if bt := c.bootTime(f.GetBootTimeUnix()); bt > 0 {
		e.Set("vigil.host.boot_time", time.Unix(bt, 0).UTC().Format(time.RFC3339))
	}

	dmi := readDMI(root)
	hardwareFields(e, dmi)

	if err := c.cpu(e, root); err != nil {
		return event.Asset{}, err
	}
	if pfs, err := procfs.NewFS(filepath.Join(root, "proc")); err == nil {
		if mi, err := pfs.Meminfo(); err == nil && mi.MemTotalBytes != nil {
			e.Set("vigil.memory.total", int64(*mi.MemTotalBytes))
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return event.Asset{}, fmt.Errorf("hardware: meminfo: %w", err)
		}
	}

	v := detectVirtualization(root, dmi, e)
	e.Set("vigil.virtualization.vm", v.VM)
	e.Set("vigil.virtualization.container", v.Container)

	cl := c.cloud(root, dmi, log)
	if cl.Provider != "" {
		e.Set("cloud.provider", cl.Provider)
		set(e, "cloud.instance.id", cl.InstanceID)
		set(e, "cloud.machine.type", cl.InstanceType)
		set(e, "cloud.region", cl.Region)
		set(e, "cloud.availability_zone", cl.Zone)
		set(e, "cloud.account.id", cl.AccountID)
		e.Set("vigil.cloud.sources", cl.Sources)
	}
	return event.Asset{Kind: event.AssetHost, Key: HostKey, Name: f.GetHostname(), Fields: e}, nil
}

// noInterfaces keeps host/facts from listing interfaces: they are items
// of their own here.
func noInterfaces() ([]facts.Interface, error) { return nil, nil }

// bootTime returns the boot time rounded to the minute, keeping the value
// reported before while the new reading is within two minutes of the
// previous one: the kernel computes it as now minus uptime, and clock
// adjustments move it by seconds.
func (c *Collector) bootTime(raw int64) int64 {
	if raw <= 0 {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bootKept != 0 && abs(raw-c.bootRaw) < 120 {
		return c.bootKept
	}
	c.bootRaw = raw
	c.bootKept = (raw + 30) / 60 * 60
	return c.bootKept
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// readDMI reads /sys/class/dmi/id.
func readDMI(root string) DMI {
	d := DMI{}
	dir := filepath.Join(root, "sys/class/dmi/id")
	for _, name := range dmiFiles {
		b, err := readLimited(filepath.Join(dir, name), maxDMIValue)
		if err != nil {
			continue
		}
		if v := CleanDMI(b); v != "" {
			d[name] = v
		}
	}
	if len(d) == 0 {
		// Device-tree machines (ARM, RISC-V) name the board there.
		for _, rel := range []string{"sys/firmware/devicetree/base/model", "proc/device-tree/model"} {
			if b, err := readLimited(filepath.Join(root, rel), maxDMIValue); err == nil {
				if v := CleanDMI(b); v != "" {
					d["product_name"] = v
					break
				}
			}
		}
	}
	return d
}

// hardwareFields sets vigil.hardware.* from the DMI.
func hardwareFields(e event.Event, d DMI) {
	for _, m := range []struct{ field, file string }{
		{"vendor", "sys_vendor"}, {"model", "product_name"}, {"version", "product_version"},
		{"serial", "product_serial"}, {"uuid", "product_uuid"}, {"sku", "product_sku"},
		{"family", "product_family"},
		{"board.vendor", "board_vendor"}, {"board.name", "board_name"}, {"board.version", "board_version"},
		{"board.serial", "board_serial"}, {"board.asset_tag", "board_asset_tag"},
		{"chassis.vendor", "chassis_vendor"}, {"chassis.version", "chassis_version"},
		{"chassis.serial", "chassis_serial"}, {"chassis.asset_tag", "chassis_asset_tag"},
		{"bios.vendor", "bios_vendor"}, {"bios.version", "bios_version"}, {"bios.date", "bios_date"},
		{"bios.release", "bios_release"},
	} {
		set(e, "vigil.hardware."+m.field, d[m.file])
	}
	if t := d["chassis_type"]; t != "" {
		e.Set("vigil.hardware.chassis.type", ChassisType(t))
	}
}

// cpu sets vigil.cpu.* from /proc/cpuinfo and sysfs.
func (c *Collector) cpu(e event.Event, root string) error {
	b, ok, err := readOptional(root, "proc/cpuinfo", maxCPUInfo)
	if err != nil {
		return fmt.Errorf("hardware: %w", err)
	}
	if !ok {
		return nil
	}
	info, err := ParseCPUInfo(b)
	if err != nil {
		return fmt.Errorf("hardware: %w", err)
	}
	c.malformed.Add(uint64(info.Malformed))
	cpuDir := filepath.Join(root, "sys/devices/system/cpu")
	var maxKHz int64
	if v, err := readInt(filepath.Join(cpuDir, "cpu0/cpufreq/cpuinfo_max_freq")); err == nil {
		maxKHz = v
	}
	s := info.Summary(readTopology(cpuDir), maxKHz)
	set(e, "vigil.cpu.vendor", s.Vendor)
	set(e, "vigil.cpu.model", s.Model)
	set(e, "vigil.cpu.family", s.Family)
	set(e, "vigil.cpu.model_id", s.ModelID)
	set(e, "vigil.cpu.stepping", s.Stepping)
	set(e, "vigil.cpu.microcode", s.Microcode)
	if s.Threads > 0 {
		e.Set("vigil.cpu.sockets", s.Sockets)
		e.Set("vigil.cpu.cores", s.Cores)
		e.Set("vigil.cpu.threads", s.Threads)
	}
	if s.MHz > 0 {
		e.Set("vigil.cpu.mhz", s.MHz)
	}
	if len(s.Flags) > 0 {
		e.Set("vigil.cpu.flags", s.Flags)
	}
	if len(s.Bugs) > 0 {
		e.Set("vigil.cpu.bugs", s.Bugs)
	}
	return nil
}

// readTopology reads each CPU's package and core from sysfs.
func readTopology(cpuDir string) []Topology {
	ents, err := os.ReadDir(cpuDir)
	if err != nil {
		return nil
	}
	var out []Topology
	for _, ent := range ents {
		name := ent.Name()
		if len(name) < 4 || name[:3] != "cpu" || name[3] < '0' || name[3] > '9' {
			continue
		}
		dir := filepath.Join(cpuDir, name, "topology")
		pkg := readAttr(filepath.Join(dir, "physical_package_id"))
		core := readAttr(filepath.Join(dir, "core_id"))
		if pkg != "" && core != "" {
			out = append(out, Topology{Package: pkg, Core: core})
		}
	}
	return out
}

// asStrings returns v as a string list, nil when it is none.
func asStrings(v any) []string {
	s, _ := v.([]string)
	return s
}

// detectVirtualization decides from files (see Virtualization).
func detectVirtualization(root string, dmi DMI, host event.Event) Virtualization {
	text := func(rel string) string {
		b, err := readLimited(filepath.Join(root, rel), maxAttr)
		if err != nil {
			return ""
		}
		return string(b)
	}
	exists := func(rel string) bool {
		_, err := os.Lstat(filepath.Join(root, rel))
		return err == nil
	}
	v := Virtualization{VM: vmFromDMI(dmi)}
	if v.VM == "" {
		v.VM = vmFromHypervisor(text("sys/hypervisor/type"), text("proc/xen/capabilities"),
			text("sys/firmware/devicetree/base/hypervisor/compatible")+text("proc/device-tree/hypervisor/compatible"))
	}
	if v.VM == "" {
		if flags, _ := host.Get("vigil.cpu.flags"); slices.Contains(asStrings(flags), "hypervisor") {
			v.VM = vmFromClock(text("sys/devices/system/clocksource/clocksource0/available_clocksource"))
		}
	}
	if v.VM == "" {
		v.VM = "none"
	}
	v.Container = containerFiles{
		SystemdContainer: text("run/systemd/container"),
		HostManager:      text("run/host/container-manager"),
		DockerEnv:        exists(".dockerenv"),
		ContainerEnv:     exists("run/.containerenv"),
		PID1Environ:      text("proc/1/environ"),
		ProcVZ:           exists("proc/vz"),
		ProcBC:           exists("proc/bc"),
		OSRelease:        text("proc/sys/kernel/osrelease"),
		PID1Cgroup:       text("proc/1/cgroup"),
	}.detect()
	if v.Container == "" {
		v.Container = "none"
	}
	return v
}

// cloud finds the cloud instance from the DMI and cloud-init's files.
func (c *Collector) cloud(root string, dmi DMI, log *slog.Logger) Cloud {
	fromDMI := cloudFromDMI(dmi)
	var fromInit Cloud
	if b, ok, err := readOptional(root, "run/cloud-init/instance-data.json", maxInstanceData); ok && err == nil {
		if fromInit, err = ParseInstanceData(b); err != nil {
			c.badFiles.Add(1)
			log.Debug("cloud-init instance data not readable", "err", err)
		}
	}
	cl := fromInit.merge(fromDMI)
	if cl.Provider != "" && cl.InstanceID == "" {
		if b, ok, err := readOptional(root, "var/lib/cloud/data/instance-id", maxDMIValue); ok && err == nil {
			if id := CleanDMI(b); id != "" && !hasPrefixFold(id, "iid-") {
				cl.InstanceID = id
			}
		}
	}
	return cl
}

// disks lists the block devices of sysRoot/block, sorted by name.
func (c *Collector) disks(sysRoot string, log *slog.Logger) ([]event.Asset, error) {
	ents, err := os.ReadDir(filepath.Join(sysRoot, "block"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hardware: block devices: %w", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out []event.Asset
	for _, name := range names {
		d, err := readDisk(sysRoot, name)
		if errors.Is(err, errSkipped) {
			continue
		}
		if err != nil {
			c.unreadable.Add(1)
			log.Warn("block device left out of the inventory", "device", name, "err", err)
			continue
		}
		c.badFiles.Add(uint64(d.badFiles))
		out = append(out, diskAsset(d))
	}
	return out, nil
}

// mounts lists the mounts of root/proc/self/mountinfo.
func (c *Collector) mounts(root string) ([]event.Asset, error) {
	b, ok, err := readOptional(root, "proc/self/mountinfo", maxMountInfo)
	if err != nil {
		return nil, fmt.Errorf("hardware: %w", err)
	}
	if !ok {
		return nil, nil
	}
	t, err := ParseMountInfo(b)
	if err != nil {
		return nil, fmt.Errorf("hardware: %w", err)
	}
	c.malformed.Add(uint64(t.Malformed))
	size := c.Size
	if size == nil && filepath.Clean(root) == "/" {
		size = statfsSize
	}
	mounts, keys, top := keptMounts(t)
	out := make([]event.Asset, 0, len(mounts))
	for i, m := range mounts {
		var total int64
		if size != nil && top[i] && sizedFS[m.FSType] {
			total, _ = size(m.Point, m.Major, m.Minor)
		}
		out = append(out, mountAsset(m, keys[i], total))
	}
	return out, nil
}
