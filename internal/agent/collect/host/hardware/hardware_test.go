package hardware_test

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/host/hardware"
	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// fixtureInterfaces stands for the netlink listing in fixture runs: an
// Ethernet card with a changed MAC on a bridge, the bridge, a VLAN, a
// WireGuard tunnel and the loopback.
func fixtureInterfaces() ([]hardware.Interface, error) {
	p := netip.MustParsePrefix
	return []hardware.Interface{
		{Name: "lo", Type: "loopback", MTU: 65536, Up: true, Addresses: []netip.Prefix{p("127.0.0.1/8"), p("::1/128")}},
		{Name: "eth0", Type: "ether", MAC: "02:00:00:00:00:01", PermanentMAC: "52:54:00:12:34:56", MTU: 1500, Up: true,
			Master: "br0", Driver: "virtio_net"},
		{Name: "br0", Type: "bridge", MAC: "02:00:00:00:00:01", MTU: 1500, Up: true, Driver: "bridge",
			Addresses: []netip.Prefix{p("10.0.0.5/24"), p("2001:db8::5/64"), p("fe80::1/64")}},
		{Name: "br0.10", Type: "vlan", MAC: "02:00:00:00:00:01", MTU: 1500, Up: true, Parent: "br0", VLANID: 10, Driver: "vlan"},
		{Name: "wg0", Type: "wireguard", MTU: 1420, Up: false, Promiscuous: true, Driver: "wireguard",
			Addresses: []netip.Prefix{p("100.64.0.1/32")}},
	}, nil
}

// run collects a fixture root.
func run(t *testing.T, root string) ([]event.Asset, *hardware.Collector) {
	t.Helper()
	c := &hardware.Collector{Interfaces: fixtureInterfaces}
	return collecttest.Assets(t, c, plugin.Env{Root: root}), c
}

// find returns the asset of kind and key.
func find(assets []event.Asset, kind, key string) (event.Event, bool) {
	for _, a := range assets {
		if a.Kind == kind && a.Key == key {
			return event.Event(a.Fields), true
		}
	}
	return nil, false
}

// golden compares the assets with testdata/golden/NAME.json.
func golden(t *testing.T, name string, assets []event.Asset) {
	t.Helper()
	collecttest.Golden(t, filepath.Join("testdata", "golden", name+".json"), assets)
}

// expect checks fields of one asset.
func expect(t *testing.T, assets []event.Asset, kind, key string, want map[string]any) {
	t.Helper()
	e, ok := find(assets, kind, key)
	if !ok {
		t.Errorf("%s %q missing", kind, key)
		return
	}
	for path, w := range want {
		got, ok := e.Get(path)
		if w == nil {
			if ok {
				t.Errorf("%s %q: %s = %v, want none", kind, key, path, got)
			}
			continue
		}
		if !ok {
			t.Errorf("%s %q: %s missing, want %v", kind, key, path, w)
			continue
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("%s %q: %s (-want +got):\n%s", kind, key, path, d)
		}
	}
}

// absent checks that no asset of kind has key.
func absent(t *testing.T, assets []event.Asset, kind string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := find(assets, kind, k); ok {
			t.Errorf("%s %q listed, want it left out", kind, k)
		}
	}
}

func TestAWS(t *testing.T) {
	assets, c := run(t, "testdata/aws")
	golden(t, "aws", assets)
	expect(t, assets, event.AssetHost, hardware.HostKey, map[string]any{
		"host.hostname": "ip-172-31-81-43", "host.os.platform": "ubuntu", "host.os.family": "debian",
		"host.os.version": "22.04", "host.os.kernel": "6.8.0-1012-aws",
		// btime 1700000029 is 22:13:49; kept to the minute.
		"vigil.host.boot_time":        "2023-11-14T22:14:00Z",
		"vigil.hardware.vendor":       "Amazon EC2",
		"vigil.hardware.version":      nil, // "Not Specified"
		"vigil.hardware.board.serial": nil,
		"vigil.cpu.sockets":           1, "vigil.cpu.cores": 1, "vigil.cpu.threads": 2,
		"vigil.cpu.mhz":           nil, // aperfmperf: the MHz line moves
		"vigil.memory.total":      int64(7948652 * 1024),
		"vigil.virtualization.vm": "amazon", "vigil.virtualization.container": "none",
		"cloud.provider": "aws", "cloud.instance.id": "i-0929128ff2f73a2f1",
		"cloud.machine.type": "m5.large", "cloud.region": "us-east-1",
		"cloud.availability_zone": "us-east-1b", "cloud.account.id": "329910648901",
		"vigil.cloud.sources": []string{"dmi", "cloud-init"},
	})
	expect(t, assets, event.AssetDisk, "nvme0n1", map[string]any{
		"vigil.disk.size": int64(16777216 * 512), "vigil.disk.serial": "vol0123456789abcdef0",
		"vigil.disk.model": "Amazon Elastic Block Store", "vigil.disk.firmware": "1.0",
		"vigil.disk.rotational": false,
	})
	expect(t, assets, event.AssetDisk, "loop1", map[string]any{
		"vigil.disk.type": "loop", "vigil.disk.backing_file": "/var/lib/snapd/snaps/core20_2105.snap",
		"vigil.disk.read_only": true,
	})
	absent(t, assets, event.AssetDisk, "loop0", "ram0", "zram0")
	expect(t, assets, event.AssetMount, "/mnt/shared data", map[string]any{
		"vigil.mount.fstype": "nfs4", "vigil.mount.device": "10.0.0.9:/export/data", "vigil.mount.propagation": "shared",
	})
	expect(t, assets, event.AssetMount, "/tmp", map[string]any{"vigil.mount.root": "/var/tmp"})
	expect(t, assets, event.AssetMount, "/tmp#2", map[string]any{
		"vigil.mount.fstype": "tmpfs", "vigil.mount.propagation": "slave",
		"vigil.mount.options": []string{"rw", "nosuid", "nodev", "relatime"},
	})
	expect(t, assets, event.AssetMount, "/run/docker/netns/1a2b3c4d5e6f", map[string]any{"vigil.mount.fstype": "nsfs"})
	absent(t, assets, event.AssetMount, "/proc", "/sys", "/dev/pts", "/sys/fs/cgroup", "/run/user/1000", "/proc/sys/fs/binfmt_misc")
	expect(t, assets, event.AssetInterface, "eth0", map[string]any{
		"vigil.interface.permanent_mac": "52:54:00:12:34:56", "vigil.interface.master": "br0", "vigil.interface.state": "up",
	})
	expect(t, assets, event.AssetInterface, "br0", map[string]any{
		"vigil.interface.ipv4": []string{"10.0.0.5"}, "vigil.interface.ipv6": []string{"2001:db8::5", "fe80::1"},
	})
	if got := c.Counters()["malformed_lines"]; got != 1 {
		t.Errorf("malformed_lines = %d, want 1 (the broken mountinfo line)", got)
	}
}

func TestAlibaba(t *testing.T) {
	assets, _ := run(t, "testdata/alibaba")
	golden(t, "alibaba", assets)
	expect(t, assets, event.AssetHost, hardware.HostKey, map[string]any{
		"host.os.platform": "alinux", "host.os.family": "rhel", "host.os.full": "Alibaba Cloud Linux 3 (Soaring Falcon)",
		"vigil.hardware.board.name": nil, // "To be filled by O.E.M."
		"vigil.cpu.vendor":          "AuthenticAMD", "vigil.cpu.cores": 2, "vigil.cpu.threads": 4, "vigil.cpu.mhz": 2550,
		"vigil.virtualization.vm": "kvm", "vigil.virtualization.container": "docker",
		"cloud.provider": "alibaba", "cloud.instance.id": "i-bp1abcdefghijk",
		"cloud.machine.type": "ecs.g7.xlarge", "cloud.region": "cn-hangzhou",
		"cloud.availability_zone": "cn-hangzhou-h", "cloud.account.id": "1234567890123456",
	})
	expect(t, assets, event.AssetDisk, "vda", map[string]any{
		"vigil.disk.driver": "virtio_blk", "vigil.disk.serial": "bp1a2b3c4d5e6f7g8h9i", "vigil.disk.vendor": "0x1af4",
		"vigil.disk.partitions": []map[string]any{{"name": "vda1", "size": int64(83884032 * 512), "start": int64(2048)}},
	})
	expect(t, assets, event.AssetMount, "/host", map[string]any{"vigil.mount.read_only": true, "vigil.mount.propagation": "slave"})
	expect(t, assets, event.AssetMount, "/dev", map[string]any{"vigil.mount.fstype": "tmpfs"})
	absent(t, assets, event.AssetMount, "/dev/mqueue", "/sys", "/proc")
}

func TestMetal(t *testing.T) {
	assets, _ := run(t, "testdata/metal")
	golden(t, "metal", assets)
	expect(t, assets, event.AssetHost, hardware.HostKey, map[string]any{
		"vigil.hardware.vendor": "Dell Inc.", "vigil.hardware.model": "PowerEdge R740", "vigil.hardware.serial": "7XK2M93",
		"vigil.hardware.chassis.type": "rack mount chassis", "vigil.hardware.bios.version": "2.19.1",
		"vigil.cpu.sockets": 2, "vigil.cpu.cores": 4, "vigil.cpu.threads": 8, "vigil.cpu.mhz": 3900,
		"vigil.cpu.flags": []string{"vmx", "nx", "smep", "smap", "pku", "ospke", "ibrs", "ibpb", "stibp", "ssbd",
			"md_clear", "flush_l1d", "arch_capabilities", "aes", "rdrand", "rdseed"},
		"vigil.virtualization.vm": "none", "vigil.virtualization.container": "none",
		"cloud.provider": nil,
	})
	expect(t, assets, event.AssetDisk, "sda", map[string]any{
		"vigil.disk.serial": "S455NY0M812345", "vigil.disk.vendor": "ATA", "vigil.disk.driver": "sd",
		"vigil.disk.wwn": "naa.5002538e40a1b2c3", "vigil.disk.firmware": "HXT7",
	})
	expect(t, assets, event.AssetDisk, "md127", map[string]any{
		"vigil.disk.type": "md", "vigil.disk.raid_level": "raid1", "vigil.disk.slaves": []string{"sda2", "sdb2"},
	})
	expect(t, assets, event.AssetDisk, "dm-0", map[string]any{
		"vigil.disk.dm_name": "luks-data", "vigil.disk.slaves": []string{"md127"},
	})
	expect(t, assets, event.AssetDisk, "sr0", map[string]any{"vigil.disk.type": "rom", "vigil.disk.size": int64(0), "vigil.disk.removable": true})
	expect(t, assets, event.AssetMount, "/srv/zfs", map[string]any{"vigil.mount.fstype": "zfs"})
	expect(t, assets, event.AssetMount, "/home/alice", map[string]any{"vigil.mount.fstype": "nfs"})
	absent(t, assets, event.AssetMount, "/home", "/sys/kernel/security")
}

// TestSizes: sizes come from the Size function for the top mount of
// local filesystems only.
func TestSizes(t *testing.T) {
	var asked []string
	c := &hardware.Collector{
		Interfaces: fixtureInterfaces,
		Size: func(point string, major, minor uint32) (int64, bool) {
			asked = append(asked, point)
			return 1 << 30, true
		},
	}
	assets, err := c.Assets(context.Background(), plugin.Env{Root: "testdata/aws"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/dev", "/run", "/", "/snap/core20/2105", "/boot/efi", "/var/lib/docker/overlay2/0f1e2d/merged", "/tmp"}
	if d := cmp.Diff(want, asked); d != "" {
		t.Errorf("sizes asked for (-want +got):\n%s", d)
	}
	expect(t, assets, event.AssetMount, "/tmp#2", map[string]any{"vigil.mount.size": int64(1 << 30)})
	expect(t, assets, event.AssetMount, "/tmp", map[string]any{"vigil.mount.size": nil})
	expect(t, assets, event.AssetMount, "/mnt/shared data", map[string]any{"vigil.mount.size": nil})
}

// TestStable: two runs give the same inventory digest.
func TestStable(t *testing.T) {
	digest := func() string {
		assets, _ := run(t, "testdata/metal")
		return collecttest.Digest(t, assets)
	}
	if a, b := digest(), digest(); a != b {
		t.Errorf("digests differ: %s, %s", a, b)
	}
}

func TestEmptyRoot(t *testing.T) {
	c := &hardware.Collector{Interfaces: func() ([]hardware.Interface, error) { return nil, nil }}
	assets, err := c.Assets(context.Background(), plugin.Env{Root: t.TempDir()})
	if err != nil {
		t.Fatalf("Assets of an empty root: %v", err)
	}
	if len(assets) != 1 || assets[0].Kind != event.AssetHost {
		t.Errorf("assets of an empty root = %+v, want the host item alone", assets)
	}
}

// TestCounters: a disk whose size cannot be read is left out and
// counted; a VPD page and a cloud-init file that cannot be decoded are
// counted, the rest of their item kept.
func TestCounters(t *testing.T) {
	root := t.TempDir()
	for path, content := range map[string]string{
		"sys/block/sdz/size":                "lots\n",
		"sys/block/sdy/size":                "2048\n",
		"sys/block/sdy/device/vpd_pg80":     "\x00\x80\x00\x40short",
		"run/cloud-init/instance-data.json": `{"v1": `,
	} {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := &hardware.Collector{Interfaces: func() ([]hardware.Interface, error) { return nil, nil }}
	assets, err := c.Assets(context.Background(), plugin.Env{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	absent(t, assets, event.AssetDisk, "sdz")
	expect(t, assets, event.AssetDisk, "sdy", map[string]any{"vigil.disk.size": int64(2048 * 512), "vigil.disk.serial": nil})
	want := map[string]uint64{"malformed_lines": 0, "unreadable_items": 1, "malformed_files": 2}
	if d := cmp.Diff(want, c.Counters()); d != "" {
		t.Errorf("counters (-want +got):\n%s", d)
	}
}

func TestPlugin(t *testing.T) {
	c := hardware.New()
	if c.Name() != hardware.Name || c.DefaultInterval() <= 0 {
		t.Errorf("Name %q, DefaultInterval %v", c.Name(), c.DefaultInterval())
	}
	for _, k := range c.Kinds() {
		if !event.IsAssetKind(k) {
			t.Errorf("kind %q unknown", k)
		}
	}
}
