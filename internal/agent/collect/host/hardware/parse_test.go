package hardware

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// armCPUInfo is an arm64 cpuinfo: no model name, no physical id.
const armCPUInfo = `processor	: 0
BogoMIPS	: 50.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs paca pacg
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x3
CPU part	: 0xd0c
CPU revision	: 1

processor	: 1
BogoMIPS	: 50.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs paca pacg
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x3
CPU part	: 0xd0c
CPU revision	: 1

Hardware	: Example board
`

func TestParseCPUInfo(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		topo      []Topology
		maxKHz    int64
		want      CPU
		malformed int
	}{
		{"arm64 with sysfs topology", armCPUInfo, []Topology{{"0", "0"}, {"0", "1"}}, 0, CPU{
			Vendor: "0x41", Model: "Example board", Family: "8", ModelID: "0xd0c", Stepping: "1",
			Sockets: 1, Cores: 2, Threads: 2, Flags: []string{"aes", "paca", "pacg"},
		}, 0},
		{"arm64 without topology", armCPUInfo, nil, 2_000_000, CPU{
			Vendor: "0x41", Model: "Example board", Family: "8", ModelID: "0xd0c", Stepping: "1",
			Sockets: 1, Cores: 2, Threads: 2, MHz: 2000, Flags: []string{"aes", "paca", "pacg"},
		}, 0},
		{"fixed tsc rate", "processor : 0\nmodel name : X\ncpu MHz : 2299.998\nflags : fpu hypervisor\n", nil, 0, CPU{
			Model: "X", Sockets: 1, Cores: 1, Threads: 1, MHz: 2300, Flags: []string{"hypervisor"},
		}, 0},
		{"moving frequency", "processor : 0\ncpu MHz : 1200.000\nflags : aperfmperf\n", nil, 0, CPU{
			Sockets: 1, Cores: 1, Threads: 1,
		}, 0},
		{"no blank line between processors, junk lines", "processor : 0\njunk\nprocessor : 1\n: empty key\n", nil, 0, CPU{
			Sockets: 1, Cores: 2, Threads: 2,
		}, 2},
		{"empty", "", nil, 0, CPU{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ParseCPUInfo([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if info.Malformed != tt.malformed {
				t.Errorf("malformed = %d, want %d", info.Malformed, tt.malformed)
			}
			if d := cmp.Diff(tt.want, info.Summary(tt.topo, tt.maxKHz)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if _, err := ParseCPUInfo(make([]byte, maxCPUInfo+1)); err == nil {
		t.Error("an oversized file: no error")
	}
}

func TestParseMountInfo(t *testing.T) {
	in := "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n" +
		"37 35 0:40 / /a\\040b\\011c\\134d rw shared:2 master:3 - fuse.sshfs user@host:/x\\040y rw,user_id=0\n" +
		"38 35 0:41 / /x rw - tmpfs\n" + // no source
		"39 35 0:41 / relative rw - tmpfs tmpfs rw\n" +
		"x 35 0:41 / /y rw - tmpfs tmpfs rw\n" +
		"40 35 0:42 / /z rw unbindable - tmpfs tmpfs\n"
	got, err := ParseMountInfo([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := MountTable{Mounts: []Mount{
		{ID: 36, Parent: 35, Major: 98, Minor: 0, Root: "/mnt1", Point: "/mnt2", Options: []string{"rw", "noatime"},
			Propagation: []string{"master:1"}, FSType: "ext3", Source: "/dev/root", SuperOptions: []string{"rw", "errors=continue"}},
		{ID: 37, Parent: 35, Major: 0, Minor: 40, Root: "/", Point: "/a b\tc\\d", Options: []string{"rw"},
			Propagation: []string{"shared:2", "master:3"}, FSType: "fuse.sshfs", Source: "user@host:/x y", SuperOptions: []string{"rw", "user_id=0"}},
		{ID: 40, Parent: 35, Major: 0, Minor: 42, Root: "/", Point: "/z", Options: []string{"rw"},
			Propagation: []string{"unbindable"}, FSType: "tmpfs", Source: "tmpfs"},
	}, Malformed: 3}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for fields, want := range map[string]string{"": "private", "shared:1": "shared", "master:2": "slave",
		"shared:1 master:2": "shared,slave", "unbindable": "unbindable", "propagate_from:3 master:2": "slave"} {
		if got := propagation(strings.Fields(fields)); got != want {
			t.Errorf("propagation(%q) = %q, want %q", fields, got, want)
		}
	}
}

func TestCleanDMI(t *testing.T) {
	for in, want := range map[string]string{
		"Dell Inc.\n":                            "Dell Inc.",
		"  To Be Filled By O.E.M.":               "",
		"Default string\n":                       "",
		"ATA     ":                               "ATA",
		"a\x00b\tc\xff":                          "a b c",
		"00000000-0000-0000-0000-000000000000\n": "",
		"":                                       "",
	} {
		if got := CleanDMI([]byte(in)); got != want {
			t.Errorf("CleanDMI(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ChassisType("23"); got != "rack mount chassis" {
		t.Errorf("ChassisType(23) = %q", got)
	}
	if got := ChassisType("99"); got != "99" {
		t.Errorf("ChassisType(99) = %q", got)
	}
}

func TestParseVPD80(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"\x00\x80\x00\x08SN123   ", "SN123", false},
		{"\x00\x80\x00\x09SN123", "", true},
		{"\x00\x83\x00\x01x", "", true},
		{"\x00\x80", "", true},
		{"\x00\x80\x00\x02\x01\x02", "", false}, // control bytes only: no serial
		{"\x00\x80\x00\x03\xc3\xa9x", "", true},
	}
	for _, tt := range tests {
		got, err := ParseVPD80([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseVPD80(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseInstanceData(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Cloud
		wantErr bool
	}{
		{"azure", `{"v1":{"cloud_name":"azure","instance_id":"5b7e5f0c-2d3e-4f5a-6b7c-8d9e0f1a2b3c","region":"eastus","availability_zone":"1"},
			"ds":{"meta_data":{"imds":{"compute":{"vmSize":"Standard_D2s_v3"}}}}}`,
			Cloud{Provider: "azure", InstanceID: "5b7e5f0c-2d3e-4f5a-6b7c-8d9e0f1a2b3c", Region: "eastus", Zone: "1",
				InstanceType: "Standard_D2s_v3", Sources: []string{"cloud-init"}}, false},
		{"gce named gcp", `{"v1":{"cloud_name":"gce","instance_id":"1234567890123456789","region":"us-central1","availability_zone":"us-central1-a"}}`,
			Cloud{Provider: "gcp", InstanceID: "1234567890123456789", Region: "us-central1", Zone: "us-central1-a", Sources: []string{"cloud-init"}}, false},
		{"top-level aliases only", `{"cloud_name":"openstack","instance_id":"abc"}`,
			Cloud{Provider: "openstack", InstanceID: "abc", Sources: []string{"cloud-init"}}, false},
		{"nocloud is no cloud", `{"v1":{"cloud_name":"nocloud","instance_id":"iid-local01"}}`, Cloud{}, false},
		{"redacted and odd values", `{"v1":{"cloud_name":"aws","instance_id":"REDACTED","region":"us\u0007east","availability_zone":7}}`,
			Cloud{Provider: "aws", Sources: []string{"cloud-init"}}, false},
		{"not json", `{"v1":`, Cloud{}, true},
		{"not an object", `[1,2]`, Cloud{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInstanceData([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestCloudFromDMI(t *testing.T) {
	tests := []struct {
		name string
		dmi  DMI
		want Cloud
	}{
		{"azure", DMI{"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine", "chassis_asset_tag": azureAssetTag},
			Cloud{Provider: "azure", Sources: []string{"dmi"}}},
		{"gcp", DMI{"sys_vendor": "Google", "product_name": "Google Compute Engine"}, Cloud{Provider: "gcp", Sources: []string{"dmi"}}},
		{"tencent", DMI{"sys_vendor": "Tencent Cloud", "product_name": "CVM"}, Cloud{Provider: "tencent", Sources: []string{"dmi"}}},
		{"huawei", DMI{"sys_vendor": "OpenStack Foundation", "product_name": "OpenStack Nova", "chassis_asset_tag": "HUAWEICLOUD"},
			Cloud{Provider: "huawei", Sources: []string{"dmi"}}},
		{"huawei by vendor", DMI{"sys_vendor": "Huawei Cloud"}, Cloud{Provider: "huawei", Sources: []string{"dmi"}}},
		{"oracle", DMI{"chassis_asset_tag": "OracleCloud.com"}, Cloud{Provider: "oracle", Sources: []string{"dmi"}}},
		{"openstack", DMI{"product_name": "OpenStack Compute"}, Cloud{Provider: "openstack", Sources: []string{"dmi"}}},
		{"ec2 on xen", DMI{"product_uuid": "EC2E1916-9099-7CAF-FD21-012345678901", "bios_version": "4.11.amazon"},
			Cloud{Provider: "aws", Sources: []string{"dmi"}}},
		{"ec2 metal", DMI{"sys_vendor": "Amazon EC2", "product_name": "m5.metal", "board_asset_tag": "i-0123"},
			Cloud{Provider: "aws", InstanceID: "i-0123", InstanceType: "m5.metal", Sources: []string{"dmi"}}},
		{"physical", DMI{"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R740"}, Cloud{}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, cloudFromDMI(tt.dmi)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
	// cloud-init and DMI disagree: the DMI wins.
	got := Cloud{Provider: "gcp", InstanceID: "x", Sources: []string{"cloud-init"}}.merge(Cloud{Provider: "aws", Sources: []string{"dmi"}})
	if got.Provider != "aws" || got.InstanceID != "" {
		t.Errorf("merge of disagreeing sources = %+v", got)
	}
}

func TestVirtualization(t *testing.T) {
	for _, tt := range []struct {
		dmi  DMI
		want string
	}{
		{DMI{"sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)"}, "qemu"},
		{DMI{"sys_vendor": "VMware, Inc.", "product_name": "VMware Virtual Platform"}, "vmware"},
		{DMI{"sys_vendor": "innotek GmbH", "product_name": "VirtualBox"}, "oracle"},
		{DMI{"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine"}, "microsoft"},
		{DMI{"sys_vendor": "Microsoft Corporation", "product_name": "Surface Laptop 5"}, ""},
		{DMI{"sys_vendor": "Amazon EC2", "product_name": "c5.metal"}, ""},
		{DMI{"sys_vendor": "Amazon EC2", "product_name": "c5.large"}, "amazon"},
		{DMI{"sys_vendor": "Dell Inc."}, ""},
	} {
		if got := vmFromDMI(tt.dmi); got != tt.want {
			t.Errorf("vmFromDMI(%v) = %q, want %q", tt.dmi, got, tt.want)
		}
	}
	if got := vmFromHypervisor("xen\n", "", ""); got != "xen" {
		t.Errorf("xen guest: %q", got)
	}
	if got := vmFromHypervisor("xen\n", "control_d\n", ""); got != "" {
		t.Errorf("xen dom0: %q", got)
	}
	if got := vmFromHypervisor("", "", "linux,kvm\x00"); got != "kvm" {
		t.Errorf("device tree kvm: %q", got)
	}
	for in, want := range map[string]string{"kvm-clock tsc": "kvm", "tsc hyperv_clocksource_tsc_page": "microsoft", "tsc": "other"} {
		if got := vmFromClock(in); got != want {
			t.Errorf("vmFromClock(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tt := range []struct {
		name string
		in   containerFiles
		want string
	}{
		{"nothing", containerFiles{PID1Cgroup: "0::/init.scope\n"}, ""},
		{"systemd-nspawn", containerFiles{SystemdContainer: "systemd-nspawn\n"}, "systemd-nspawn"},
		{"podman marker", containerFiles{ContainerEnv: true, DockerEnv: true}, "podman"},
		{"docker marker", containerFiles{DockerEnv: true}, "docker"},
		{"environ", containerFiles{PID1Environ: "PATH=/bin\x00container=lxc\x00"}, "lxc"},
		{"openvz host node", containerFiles{ProcVZ: true, ProcBC: true}, ""},
		{"openvz container", containerFiles{ProcVZ: true}, "openvz"},
		{"wsl", containerFiles{OSRelease: "5.15.153.1-microsoft-standard-WSL2"}, "wsl"},
		{"kubernetes cgroup", containerFiles{PID1Cgroup: "11:cpu:/kubepods/burstable/pod1/abc\n"}, "kubernetes"},
		{"garbage manager name", containerFiles{SystemdContainer: "a b"}, ""},
	} {
		if got := tt.in.detect(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestBootTime(t *testing.T) {
	var c Collector
	steps := []struct{ raw, want int64 }{
		{1700000029, 1700000040}, // rounded to the minute
		{1700000031, 1700000040}, // jitter of the clock: kept
		{1700000100, 1700000040}, // within two minutes of the last reading
		{1700003600, 1700003580}, // a reboot
		{0, 0},
	}
	for _, s := range steps {
		if got := c.bootTime(s.raw); got != s.want {
			t.Errorf("bootTime(%d) = %d, want %d", s.raw, got, s.want)
		}
	}
}

func FuzzParseCPUInfo(f *testing.F) {
	f.Add([]byte(armCPUInfo))
	f.Add([]byte("processor : 0\nphysical id : 0\ncore id : 0\ncpu MHz : 1e308\nflags : aperfmperf\n"))
	f.Add([]byte(":\n:\nprocessor\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseCPUInfo(data)
		if err != nil {
			return
		}
		s := info.Summary([]Topology{{"0", "0"}}, 0)
		if s.Threads != len(info.Processors) || s.Threads > 0 && (s.Sockets < 1 || s.Cores < 1) || s.MHz < 0 {
			t.Fatalf("summary %+v of %d processors", s, len(info.Processors))
		}
	})
}

func FuzzParseMountInfo(f *testing.F) {
	f.Add([]byte("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"))
	f.Add([]byte("1 0 0:1 / /\\040\\ \\777 rw - x y\n- - - - - - -\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ParseMountInfo(data)
		if err != nil {
			return
		}
		for _, m := range tab.Mounts {
			if !strings.HasPrefix(m.Point, "/") || m.FSType == "" {
				t.Fatalf("mount %+v", m)
			}
		}
		mounts, keys, top := keptMounts(tab)
		if len(keys) != len(mounts) || len(top) != len(mounts) {
			t.Fatal("keptMounts lengths differ")
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k] {
				t.Fatalf("key %q twice", k)
			}
			seen[k] = true
		}
	})
}

func FuzzCleanDMI(f *testing.F) {
	f.Add([]byte("Dell Inc.\n"))
	f.Add([]byte("\xff\x00 To be filled by O.E.M. "))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := CleanDMI(data)
		if !utf8.ValidString(s) || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\x00\n\t") {
			t.Fatalf("CleanDMI = %q", s)
		}
	})
}

func FuzzParseVPD80(f *testing.F) {
	f.Add([]byte("\x00\x80\x00\x08SN123   "))
	f.Add([]byte("\x00\x80\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseVPD80(data)
		if err == nil && len(s) > len(data) {
			t.Fatalf("serial %q longer than the page", s)
		}
	})
}

func FuzzParseInstanceData(f *testing.F) {
	f.Add([]byte(`{"v1":{"cloud_name":"aws","instance_id":"i-1","region":"r"},"ds":{"meta_data":{"instance_type":"t3.micro"}}}`))
	f.Add([]byte(`{"v1":{"cloud_name":1},"ds":[]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseInstanceData(data)
		if err != nil {
			return
		}
		for _, v := range []string{c.Provider, c.InstanceID, c.InstanceType, c.Region, c.Zone, c.AccountID} {
			if len(v) > 256 || !utf8.ValidString(v) {
				t.Fatalf("value %q", v)
			}
		}
	})
}
