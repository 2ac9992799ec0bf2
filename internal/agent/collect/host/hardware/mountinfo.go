package hardware

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// maxMountInfo bounds /proc/self/mountinfo; a host with thousands of
// container mounts stays well below.
const maxMountInfo = 64 << 20

// Mount is one line of /proc/PID/mountinfo (proc(5)).
type Mount struct {
	ID, Parent int
	// Major and Minor are st_dev of the files on the mount.
	Major, Minor uint32
	// Root is the directory of the filesystem mounted ("/" unless a bind
	// mount of a subdirectory).
	Root string
	// Point is the mount point in the reading process's mount namespace.
	Point string
	// Options are the per-mount options ("rw", "nosuid", "relatime").
	Options []string
	// Propagation is the optional fields: "shared:N", "master:N",
	// "propagate_from:N", "unbindable".
	Propagation []string
	FSType      string
	// Source is the device or "none"-like text the filesystem gives.
	Source string
	// SuperOptions are the filesystem's own options.
	SuperOptions []string
}

// MountTable is a parsed mountinfo file.
type MountTable struct {
	Mounts []Mount
	// Malformed counts the lines skipped.
	Malformed int
}

// ParseMountInfo parses /proc/PID/mountinfo. The kernel escapes space,
// tab, newline and backslash in paths as octal (\040); they are decoded.
// A line that does not have the fields in order is skipped and counted.
func ParseMountInfo(data []byte) (MountTable, error) {
	if len(data) > maxMountInfo {
		return MountTable{}, fmt.Errorf("mountinfo: %d bytes, more than %d", len(data), maxMountInfo)
	}
	var t MountTable
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		m, ok := parseMountLine(string(line))
		if !ok {
			t.Malformed++
			continue
		}
		t.Mounts = append(t.Mounts, m)
	}
	return t, nil
}

// parseMountLine parses "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3
// /dev/root rw,errors=continue".
func parseMountLine(line string) (Mount, bool) {
	fields := strings.Fields(line)
	sep := -1
	for i := 6; i < len(fields); i++ {
		if fields[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || len(fields) < sep+3 {
		return Mount{}, false
	}
	var m Mount
	var err error
	if m.ID, err = strconv.Atoi(fields[0]); err != nil || m.ID < 0 {
		return Mount{}, false
	}
	if m.Parent, err = strconv.Atoi(fields[1]); err != nil || m.Parent < 0 {
		return Mount{}, false
	}
	maj, min, ok := strings.Cut(fields[2], ":")
	if !ok {
		return Mount{}, false
	}
	major, err1 := strconv.ParseUint(maj, 10, 32)
	minor, err2 := strconv.ParseUint(min, 10, 32)
	if err1 != nil || err2 != nil {
		return Mount{}, false
	}
	m.Major, m.Minor = uint32(major), uint32(minor)
	m.Root, m.Point = unescapeOctal(fields[3]), unescapeOctal(fields[4])
	if !strings.HasPrefix(m.Point, "/") {
		return Mount{}, false
	}
	m.Options = splitOptions(fields[5])
	m.Propagation = fields[6:sep]
	m.FSType = unescapeOctal(fields[sep+1])
	m.Source = unescapeOctal(fields[sep+2])
	if len(fields) > sep+3 {
		m.SuperOptions = splitOptions(strings.Join(fields[sep+3:], " "))
	}
	if m.FSType == "" {
		return Mount{}, false
	}
	return m, true
}

// splitOptions splits a comma-separated option list, decoding escapes.
func splitOptions(s string) []string {
	var out []string
	for o := range strings.SplitSeq(s, ",") {
		if o != "" {
			out = append(out, unescapeOctal(o))
		}
	}
	return out
}

// unescapeOctal decodes the kernel's \ooo escapes (seq_file's mangle).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
