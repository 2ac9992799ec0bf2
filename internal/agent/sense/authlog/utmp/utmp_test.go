package utmp_test

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/authlog/utmp"
)

// records are the records of the cross-checks, with their utmpdump text.
var records = []struct {
	rec  utmp.Record
	dump string
}{
	{utmp.Record{Type: utmp.UserProcess, PID: 12345, Line: "pts/0", ID: "ts/0", User: "alice", Host: "203.0.113.5",
		Addr: netip.MustParseAddr("203.0.113.5"), Time: time.Date(2026, 11, 29, 10, 4, 5, 123456000, time.UTC)},
		"[7] [12345] [ts/0] [alice   ] [pts/0       ] [203.0.113.5         ] [203.0.113.5    ] [2026-11-29T10:04:05,123456+00:00]"},
	{utmp.Record{Type: utmp.DeadProcess, PID: 12345, Line: "pts/0", ID: "ts/0",
		Time: time.Date(2026, 11, 29, 10, 14, 5, 0, time.UTC)},
		"[8] [12345] [ts/0] [        ] [pts/0       ] [                    ] [0.0.0.0        ] [2026-11-29T10:14:05,000000+00:00]"},
	{utmp.Record{Type: utmp.BootTime, Line: "~", ID: "~~", User: "reboot", Host: "6.18.0-test",
		Time: time.Date(2026, 11, 29, 6, 42, 0, 0, time.UTC)},
		"[2] [00000] [~~  ] [reboot  ] [~           ] [6.18.0-test         ] [0.0.0.0        ] [2026-11-29T06:42:00,000000+00:00]"},
	{utmp.Record{Type: utmp.LoginProcess, PID: 777, Line: "ssh:notty", User: "bob", Host: "2001:db8::7",
		Addr: netip.MustParseAddr("2001:db8::7"), Time: time.Date(2026, 11, 29, 10, 5, 0, 500000000, time.UTC)},
		"[6] [00777] [    ] [bob     ] [ssh:notty   ] [2001:db8::7         ] [2001:db8::7    ] [2026-11-29T10:05:00,500000+00:00]"},
}

func utmpdump(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("utmpdump")
	if err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("utmpdump (util-linux) is not installed")
		}
		t.Skip("utmpdump (util-linux) is not installed")
	}
	return path
}

// TestDecodeRecordsOfUtmpdump decodes records that util-linux's
// utmpdump wrote from their text form.
func TestDecodeRecordsOfUtmpdump(t *testing.T) {
	bin := utmpdump(t)
	var text strings.Builder
	for _, r := range records {
		text.WriteString(r.dump + "\n")
	}
	cmd := exec.Command(bin, "-r")
	cmd.Stdin = strings.NewReader(text.String())
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("utmpdump -r: %v", err)
	}
	if len(out) != len(records)*utmp.Native.RecordSize() {
		t.Fatalf("utmpdump wrote %d bytes, want %d records of %d", len(out), len(records), utmp.Native.RecordSize())
	}
	for i, r := range records {
		got, err := utmp.Native.Decode(out[i*utmp.Native.RecordSize() : (i+1)*utmp.Native.RecordSize()])
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if d := cmp.Diff(r.rec, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
			t.Errorf("record %d (-want +got):\n%s", i, d)
		}
	}
}

// TestEncodeReadByUtmpdump writes records with Encode and has utmpdump
// (and last, when installed) read them.
func TestEncodeReadByUtmpdump(t *testing.T) {
	bin := utmpdump(t)
	file := filepath.Join(t.TempDir(), "wtmp")
	var data []byte
	for _, r := range records {
		b := make([]byte, utmp.Native.RecordSize())
		if err := utmp.Native.Encode(r.rec, b); err != nil {
			t.Fatal(err)
		}
		data = append(data, b...)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, file)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("utmpdump: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(records) {
		t.Fatalf("utmpdump printed %d lines:\n%s", len(lines), out)
	}
	for i, r := range records {
		if lines[i] != r.dump {
			t.Errorf("record %d: utmpdump prints\n%s\nwant\n%s", i, lines[i], r.dump)
		}
	}
	if last, err := exec.LookPath("last"); err == nil {
		cmd := exec.Command(last, "-f", file, "-w", "--time-format", "iso")
		cmd.Env = append(os.Environ(), "TZ=UTC")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("last: %v", err)
		}
		if !bytes.Contains(out, []byte("alice    pts/0        203.0.113.5      2026-11-29T10:04:05+00:00 - 2026-11-29T10:14:05+00:00")) {
			t.Errorf("last does not pair the login with its logout:\n%s", out)
		}
	}
}

func TestTypeString(t *testing.T) {
	for typ, want := range map[utmp.Type]string{utmp.UserProcess: "USER_PROCESS", utmp.BootTime: "BOOT_TIME", 42: "TYPE_42"} {
		if got := typ.String(); got != want {
			t.Errorf("%d: %q, want %q", int16(typ), got, want)
		}
	}
}
