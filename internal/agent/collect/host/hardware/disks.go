package hardware

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Disk is one block device of /sys/block with its partitions.
type Disk struct {
	Name string
	// Size is in bytes (sysfs counts 512-byte sectors whatever the
	// device's own sector size).
	Size       int64
	Model      string
	Vendor     string
	Serial     string
	WWN        string
	Firmware   string
	Driver     string
	Type       string
	Rotational bool
	Removable  bool
	ReadOnly   bool
	// DMName and DMUUID describe a device-mapper device (LVM volume
	// "LVM-...", dm-crypt "CRYPT-LUKS2-..."); RAIDLevel an md array;
	// BackingFile an attached loop device.
	DMName, DMUUID, RAIDLevel, BackingFile string
	// Slaves are the devices this one is built on (dm, md).
	Slaves     []string
	Partitions []Partition

	// badFiles counts the attribute files that could not be decoded.
	badFiles int
}

// Partition is one partition of a disk.
type Partition struct {
	Name  string
	Size  int64
	Start int64 // in 512-byte sectors
}

// diskType classifies a block device by its kernel name.
func diskType(name string) string {
	for _, p := range []struct{ prefix, typ string }{
		{"loop", "loop"}, {"dm-", "dm"}, {"md", "md"}, {"zram", "zram"}, {"nbd", "nbd"},
		{"sr", "rom"}, {"ram", "ram"}, {"fd", "floppy"},
	} {
		if strings.HasPrefix(name, p.prefix) {
			return p.typ
		}
	}
	return "disk"
}

// skipDisk reports whether a device is left out: RAM disks always, and
// loop, zram and nbd devices with nothing attached (size 0), which the
// kernel creates ahead of use. A real drive reads as size 0 only when it
// has no medium, and stays listed.
func skipDisk(name string, size int64) bool {
	switch diskType(name) {
	case "ram":
		return true
	case "loop", "zram", "nbd":
		return size == 0
	}
	return false
}

// errSkipped means a disk was left out by skipDisk.
var errSkipped = errors.New("left out")

// readDisk reads one device of sysRoot/block. A missing or unreadable
// size makes the whole device unreadable; other attributes are optional.
func readDisk(sysRoot, name string) (Disk, error) {
	dir := filepath.Join(sysRoot, "block", name)
	d := Disk{Name: name, Type: diskType(name)}
	sectors, err := readInt(filepath.Join(dir, "size"))
	if err != nil {
		return d, fmt.Errorf("disk %s: size: %w", name, err)
	}
	d.Size = sectors * 512
	if skipDisk(name, d.Size) {
		return d, errSkipped
	}
	attr := func(rel string) string { return readAttr(filepath.Join(dir, rel)) }
	d.Model = attr("device/model")
	d.Vendor = attr("device/vendor")
	d.Firmware = firstOf(attr("device/rev"), attr("device/firmware_rev"))
	d.Serial = firstOf(attr("serial"), attr("device/serial"))
	if d.Serial == "" {
		if raw, err := readLimited(filepath.Join(dir, "device/vpd_pg80"), maxAttr); err == nil {
			if d.Serial, err = ParseVPD80(raw); err != nil {
				d.badFiles++
			}
		}
	}
	d.WWN = firstOf(attr("wwid"), attr("device/wwid"))
	d.Rotational = attr("queue/rotational") == "1"
	d.Removable = attr("removable") == "1"
	d.ReadOnly = attr("ro") == "1"
	if target, err := os.Readlink(filepath.Join(dir, "device/driver")); err == nil {
		d.Driver = filepath.Base(target)
	}
	d.DMName, d.DMUUID = attr("dm/name"), attr("dm/uuid")
	d.RAIDLevel = attr("md/level")
	d.BackingFile = attr("loop/backing_file")
	if ents, err := os.ReadDir(filepath.Join(dir, "slaves")); err == nil {
		for _, e := range ents {
			d.Slaves = append(d.Slaves, e.Name())
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return d, fmt.Errorf("disk %s: %w", name, err)
	}
	for _, e := range ents {
		pdir := filepath.Join(dir, e.Name())
		if !strings.HasPrefix(e.Name(), name) {
			continue
		}
		if _, err := os.Stat(filepath.Join(pdir, "partition")); err != nil {
			continue
		}
		size, err := readInt(filepath.Join(pdir, "size"))
		if err != nil {
			continue
		}
		start, _ := readInt(filepath.Join(pdir, "start"))
		d.Partitions = append(d.Partitions, Partition{Name: e.Name(), Size: size * 512, Start: start})
	}
	sort.Slice(d.Partitions, func(i, j int) bool { return d.Partitions[i].Start < d.Partitions[j].Start })
	return d, nil
}

// ParseVPD80 returns the unit serial number of a SCSI VPD page 0x80
// (SPC-4 7.8.15): a 4-byte header (page code 0x80, big-endian length)
// and the serial in ASCII, blank-padded.
func ParseVPD80(b []byte) (string, error) {
	if len(b) < 4 || b[1] != 0x80 {
		return "", fmt.Errorf("vpd page 0x80: no header")
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n > len(b)-4 {
		return "", fmt.Errorf("vpd page 0x80: length %d beyond the %d bytes", n, len(b)-4)
	}
	s := CleanDMI(b[4 : 4+n])
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return "", fmt.Errorf("vpd page 0x80: serial is not ASCII")
		}
	}
	return s, nil
}

// maxAttr bounds one sysfs or small configuration file read.
const maxAttr = 64 << 10

// readAttr returns a sysfs attribute, cleaned; "" when absent or
// unreadable.
func readAttr(path string) string {
	b, err := readLimited(path, maxAttr)
	if err != nil {
		return ""
	}
	return CleanDMI(b)
}

// readInt reads a decimal attribute.
func readInt(path string) (int64, error) {
	b, err := readLimited(path, maxAttr)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%s: not a count: %q", path, clip(string(b), 32))
	}
	return v, nil
}

// readLimited reads at most max bytes of a file and fails beyond.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return b, nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// clip shortens s to at most n bytes for messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
