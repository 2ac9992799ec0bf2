package hardware

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// set sets a non-empty string.
func set(e event.Event, path, v string) {
	if v != "" {
		e.Set(path, v)
	}
}

// fieldsOf splits on blanks.
func fieldsOf(s string) []string { return strings.Fields(s) }

// hasPrefixFold is strings.HasPrefix ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// diskAsset describes a disk.
func diskAsset(d Disk) event.Asset {
	e := event.Event{}
	e.Set("vigil.disk.name", d.Name)
	e.Set("vigil.disk.type", d.Type)
	e.Set("vigil.disk.size", d.Size)
	set(e, "vigil.disk.model", d.Model)
	set(e, "vigil.disk.vendor", d.Vendor)
	set(e, "vigil.disk.serial", d.Serial)
	set(e, "vigil.disk.wwn", d.WWN)
	set(e, "vigil.disk.firmware", d.Firmware)
	set(e, "vigil.disk.driver", d.Driver)
	e.Set("vigil.disk.rotational", d.Rotational)
	e.Set("vigil.disk.removable", d.Removable)
	e.Set("vigil.disk.read_only", d.ReadOnly)
	set(e, "vigil.disk.dm_name", d.DMName)
	set(e, "vigil.disk.dm_uuid", d.DMUUID)
	set(e, "vigil.disk.raid_level", d.RAIDLevel)
	set(e, "vigil.disk.backing_file", d.BackingFile)
	if len(d.Slaves) > 0 {
		e.Set("vigil.disk.slaves", d.Slaves)
	}
	if len(d.Partitions) > 0 {
		parts := make([]map[string]any, len(d.Partitions))
		for i, p := range d.Partitions {
			parts[i] = map[string]any{"name": p.Name, "size": p.Size, "start": p.Start}
		}
		e.Set("vigil.disk.partitions", parts)
	}
	return event.Asset{Kind: event.AssetDisk, Key: d.Name, Name: d.Name, Fields: e}
}

// mountAsset describes a mount; size is its total in bytes, 0 when
// unknown.
func mountAsset(m Mount, key string, size int64) event.Asset {
	e := event.Event{}
	e.Set("vigil.mount.point", m.Point)
	e.Set("vigil.mount.device", m.Source)
	e.Set("vigil.mount.fstype", m.FSType)
	if m.Root != "/" {
		e.Set("vigil.mount.root", m.Root)
	}
	if len(m.Options) > 0 {
		e.Set("vigil.mount.options", m.Options)
	}
	if len(m.SuperOptions) > 0 {
		e.Set("vigil.mount.super_options", m.SuperOptions)
	}
	ro := false
	for _, o := range m.Options {
		if o == "ro" {
			ro = true
		}
	}
	e.Set("vigil.mount.read_only", ro)
	e.Set("vigil.mount.propagation", propagation(m.Propagation))
	if size > 0 {
		e.Set("vigil.mount.size", size)
	}
	return event.Asset{Kind: event.AssetMount, Key: key, Name: m.Point, Fields: e}
}

// interfaceAsset describes a network interface.
func interfaceAsset(in Interface) event.Asset {
	e := event.Event{}
	e.Set("vigil.interface.name", in.Name)
	e.Set("vigil.interface.type", in.Type)
	set(e, "vigil.interface.mac", in.MAC)
	set(e, "vigil.interface.permanent_mac", in.PermanentMAC)
	e.Set("vigil.interface.mtu", in.MTU)
	state := "down"
	if in.Up {
		state = "up"
	}
	e.Set("vigil.interface.state", state)
	e.Set("vigil.interface.promiscuous", in.Promiscuous)
	set(e, "vigil.interface.master", in.Master)
	set(e, "vigil.interface.parent", in.Parent)
	if in.VLANID > 0 {
		e.Set("vigil.interface.vlan_id", in.VLANID)
	}
	set(e, "vigil.interface.driver", in.Driver)
	set(e, "vigil.interface.alias", in.Alias)
	var all, v4, v6 []string
	for _, p := range in.Addresses {
		all = append(all, p.String())
		if p.Addr().Is4() {
			v4 = append(v4, p.Addr().String())
		} else {
			v6 = append(v6, p.Addr().String())
		}
	}
	if len(all) > 0 {
		e.Set("vigil.interface.addresses", all)
	}
	if len(v4) > 0 {
		e.Set("vigil.interface.ipv4", v4)
	}
	if len(v6) > 0 {
		e.Set("vigil.interface.ipv6", v6)
	}
	return event.Asset{Kind: event.AssetInterface, Key: in.Name, Name: in.Name, Fields: e}
}
