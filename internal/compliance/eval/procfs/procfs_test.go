package procfs

import (
	"os"
	"strings"
	"testing"
)

func TestParseNet(t *testing.T) {
	tcp := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   112        0 2345 1 0 100 0 0 10 0\n" +
		"   1: 0A00000A:0016 0B00000A:D431 01 00000000:00000000 02:0000A3C2 00000000     0        0 3456 4 0 20 4 30 10 -1\n"
	s, err := ParseNet("tcp", []byte(tcp))
	if err != nil || len(s) != 2 {
		t.Fatalf("%v %+v", err, s)
	}
	if s[0].Local.String() != "127.0.0.1:3306" || !s[0].Listening() || !s[0].Loopback() || s[0].UID != 112 || s[0].Inode != 2345 {
		t.Errorf("row 0: %+v", s[0])
	}
	if s[1].Listening() || s[1].Local.String() != "10.0.0.10:22" || s[1].Remote.Port() != 54321 {
		t.Errorf("row 1: %+v", s[1])
	}
	tcp6 := "sl local remote\n 0: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 77 1\n"
	s, err = ParseNet("tcp6", []byte(tcp6))
	if err != nil || s[0].Local.String() != "[::ffff:127.0.0.1]:80" || !s[0].Loopback() {
		t.Errorf("tcp6: %v %+v", err, s)
	}
	udp := " sl local\n 1: 00000000:006F 00000000:0000 07 0:0 0:0 0 0 0 6789 2\n"
	if s, err := ParseNet("udp", []byte(udp)); err != nil || !s[0].Listening() {
		t.Errorf("udp: %v %+v", err, s)
	}
	for _, bad := range []string{"x\n 0: zz:0016 00000000:0000 0A 0 0 0 0 0 1\n", "x\n 0: 0100007F 00000000:0000 0A 0 0 0 0 0 1\n", "x\n 0: 1 2\n", "x\n 0: 010000:0016 00000000:0000 0A 0 0 0 0 0 1\n"} {
		if _, err := ParseNet("tcp", []byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestParseNetThisHost(t *testing.T) {
	for _, p := range []string{"tcp", "tcp6", "udp", "udp6"} {
		data, err := os.ReadFile("/proc/net/" + p)
		if err != nil {
			continue
		}
		if _, err := ParseNet(p, data); err != nil {
			t.Errorf("/proc/net/%s: %v", p, err)
		}
	}
}

func TestParseMountinfo(t *testing.T) {
	data := "36 35 98:0 /mnt1 /mnt/my\\040disk rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n" +
		"23 1 0:21 / /tmp rw,nosuid,nodev shared:2 - tmpfs tmpfs rw,size=1024k\n" +
		"24 1 0:22 / /x rw - tmpfs none\n"
	m, err := ParseMountinfo([]byte(data))
	if err != nil || len(m) != 3 {
		t.Fatalf("%v %+v", err, m)
	}
	if m[0].Point != "/mnt/my disk" || m[0].FSType != "ext3" || !m[0].HasOption("noatime") || !m[0].HasOption("errors=continue") {
		t.Errorf("line 1: %+v", m[0])
	}
	if !m[1].HasOption("nosuid") || m[1].HasOption("noexec") {
		t.Errorf("line 2: %+v", m[1])
	}
	if _, err := ParseMountinfo([]byte("1 2 3 4 5 6\n")); err == nil {
		t.Error("want an error without the - separator")
	}
	self, err := os.ReadFile("/proc/self/mountinfo")
	if err == nil {
		if mm, err := ParseMountinfo(self); err != nil || len(mm) == 0 {
			t.Errorf("this host's mountinfo: %v", err)
		}
	}
}

func TestParseFstabAndModules(t *testing.T) {
	tab, err := ParseFstab([]byte("# c\nUUID=x / ext4 errors=remount-ro 0 1\n\ntmpfs /tmp tmpfs nosuid,nodev 0 0\n"))
	if err != nil || len(tab) != 2 || tab[1].Point != "/tmp" || tab[1].Line != 4 || strings.Join(tab[1].Options, ",") != "nosuid,nodev" {
		t.Errorf("fstab: %v %+v", err, tab)
	}
	if _, err := ParseFstab([]byte("/dev/x /y\n")); err == nil {
		t.Error("want an error for a short line")
	}
	m := ParseModules([]byte("usb_storage 1 0 - Live 0x0\next4 2 1 - Live 0x0\n"))
	if !m["usb_storage"] || !m["ext4"] || m["cramfs"] {
		t.Errorf("modules: %v", m)
	}
}
