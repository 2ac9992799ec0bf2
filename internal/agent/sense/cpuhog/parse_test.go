package cpuhog

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

func TestParseCPUStat(t *testing.T) {
	tests := []struct {
		name string
		line string
		want cpuStat
		bad  bool
	}{
		{name: "a shell", line: "24885 (cat) R 24870 24870 11249 0 -1 4194304 99 0 0 0 7 3 0 0 20 0 1 0 5550190 3133440 362 18446744073709551615 0\n",
			want: cpuStat{pid: 24885, state: 'R', flags: 4194304, cpuTicks: 10, startTicks: 5550190}},
		{name: "a name with spaces and parentheses", line: "77 (a (b) c) S 5 77 3 34817 77 4194304 0 0 0 0 120 30 0 0 20 0 1 0 99",
			want: cpuStat{pid: 77, state: 'S', flags: 4194304, cpuTicks: 150, startTicks: 99}},
		{name: "a kernel thread", line: "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 2 0 0",
			want: cpuStat{pid: 2, state: 'S', flags: 2129984, cpuTicks: 1, startTicks: 2}},
		{name: "the largest counts", line: "9 (x) R 1 1 1 0 -1 0 0 0 0 0 18446744073709551614 1 0 0 20 0 1 0 18446744073709551615",
			want: cpuStat{pid: 9, state: 'R', cpuTicks: 18446744073709551615, startTicks: 18446744073709551615}},
		{name: "counts that overflow", line: "9 (x) R 1 1 1 0 -1 0 0 0 0 0 18446744073709551615 1 0 0 20 0 1 0 5", bad: true},
		{name: "a number too large", line: "9 (x) R 1 1 1 0 -1 0 0 0 0 0 18446744073709551616 1 0 0 20 0 1 0 5", bad: true},
		{name: "cut before the start time", line: "9 (x) R 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0", bad: true},
		{name: "no name", line: "9 x R 1", bad: true},
		{name: "no pid", line: "(x) R 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5", bad: true},
		{name: "pid zero", line: "0 (x) R 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5", bad: true},
		{name: "negative utime", line: "9 (x) R 1 1 1 0 -1 0 0 0 0 0 -1 1 0 0 20 0 1 0 5", bad: true},
		{name: "a long state", line: "9 (x) RS 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5", bad: true},
		{name: "empty", line: "", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCPUStat([]byte(tc.line))
			if tc.bad {
				if err == nil || !errors.Is(err, procparse.ErrMalformed) {
					t.Fatalf("parseCPUStat = %+v, %v; want an error wrapping ErrMalformed", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(cpuStat{})); d != "" {
				t.Errorf("parseCPUStat (-want +got):\n%s", d)
			}
		})
	}
}

// TestParseCPUStatAgrees: the sampler's parser and the process table's
// read the same pid, flags and start time from this process's stat.
func TestParseCPUStatAgrees(t *testing.T) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc here")
	}
	mine, err := parseCPUStat(b)
	if err != nil {
		t.Fatal(err)
	}
	full, err := procparse.ParseStat(b)
	if err != nil {
		t.Fatal(err)
	}
	if mine.pid != full.PID || mine.flags != full.Flags || mine.startTicks != full.StartTicks || mine.state != full.State {
		t.Errorf("sampler %+v, process table %+v", mine, full)
	}
}

func TestParseCPUStatAllocates(t *testing.T) {
	line := []byte("24885 (cat) R 24870 24870 11249 0 -1 4194304 99 0 0 0 7 3 0 0 20 0 1 0 5550190 3133440 362 0\n")
	if n := testing.AllocsPerRun(100, func() { _, _ = parseCPUStat(line) }); n != 0 {
		t.Errorf("parseCPUStat allocates %v times", n)
	}
}

// dirent returns one linux_dirent64 record.
func dirent(name string, typ byte) []byte {
	n := direntName + len(name) + 1
	n = (n + 7) &^ 7
	b := make([]byte, n)
	binary.NativeEndian.PutUint64(b, 42)
	binary.NativeEndian.PutUint16(b[direntReclen:], uint16(n))
	b[direntType] = typ
	copy(b[direntName:], name)
	return b
}

func TestParseDirents(t *testing.T) {
	var buf []byte
	for _, d := range []struct {
		name string
		typ  byte
	}{
		{".", dtDir}, {"..", dtDir}, {"1", dtDir}, {"self", 10}, {"4242", dtDir}, {"cpuinfo", 8},
		{"17", dtUnknown}, {"99", 8}, {"012", dtDir}, {"2147483648", dtDir}, {"2147483647", dtDir},
	} {
		buf = append(buf, dirent(d.name, d.typ)...)
	}
	got, err := parseDirents(buf, []int{7})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{7, 1, 4242, 17, 2147483647}, got); d != "" {
		t.Errorf("pids (-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		name string
		buf  []byte
	}{
		{"a short record", buf[:10]},
		{"a record longer than the buffer", dirent("123", dtDir)[:20]},
		{"a name without its end", func() []byte {
			b := dirent("1234567", dtDir)
			for i := direntName; i < len(b); i++ {
				b[i] = '1'
			}
			return b
		}()},
		{"a zero length", make([]byte, 24)},
	} {
		if _, err := parseDirents(tc.buf, nil); !errors.Is(err, procparse.ErrMalformed) {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
}

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"0-1\n", 2}, {"0", 1}, {"0-3,6,8-9", 7}, {"0-65535", 65536},
		{"", -1}, {"1-0", -1}, {"a", -1}, {"0-", -1}, {"0,,1", -1}, {"0-65536", -1}, {"0-65535,70000", -1},
	} {
		got, err := parseCPUList([]byte(tc.in))
		if tc.want < 0 {
			if !errors.Is(err, procparse.ErrMalformed) {
				t.Errorf("%q: %d, %v; want an error", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseCPUStat(f *testing.F) {
	f.Add([]byte("24885 (cat) R 24870 24870 11249 0 -1 4194304 99 0 0 0 7 3 0 0 20 0 1 0 5550190 3133440 362 0\n"))
	f.Add([]byte("77 (a (b) c) S 5 77 3 34817 77 4194304 0 0 0 0 120 30 0 0 20 0 1 0 99"))
	f.Add([]byte("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 2 0 0"))
	f.Add([]byte("9 (x) R 1 1 1 0 -1 0 0 0 0 0 18446744073709551615 1 0 0 20 0 1 0 5"))
	f.Add([]byte("1 () S"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseCPUStat(b)
		if err != nil {
			if !errors.Is(err, procparse.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if s.pid <= 0 {
			t.Fatalf("accepted pid %d", s.pid)
		}
		// Where the process table's parser accepts the line too, both
		// read the same process.
		if full, err := procparse.ParseStat(b); err == nil {
			if full.PID != s.pid || full.StartTicks != s.startTicks || full.Flags != s.flags || full.State != s.state {
				t.Fatalf("sampler %+v, process table %+v", s, full)
			}
		}
	})
}

func FuzzParseDirents(f *testing.F) {
	f.Add(append(dirent("1", dtDir), dirent("self", 10)...))
	f.Add(dirent("4242", dtUnknown))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		pids, err := parseDirents(b, nil)
		if err != nil && !errors.Is(err, procparse.ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		for _, p := range pids {
			if p <= 0 {
				t.Fatalf("pid %d", p)
			}
		}
	})
}

func FuzzParseCPUList(f *testing.F) {
	f.Add([]byte("0-1\n"))
	f.Add([]byte("0-3,6,8-9"))
	f.Add([]byte("0-65535,1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := parseCPUList(b)
		if err != nil {
			if !errors.Is(err, procparse.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if n < 1 || n > maxCPUs {
			t.Fatalf("%d CPUs", n)
		}
	})
}
