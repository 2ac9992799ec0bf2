package audit

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A real execve event as the kernel sends it (one record per string), with
// a hex-encoded argument and a long one in parts.
var execRecords = []struct {
	typ  uint16
	text string
}{
	{typeSyscall, `audit(1700000000.123:77): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55e0 a2=55f0 a3=0 items=2 ppid=10 pid=11 auid=1000 uid=65534 gid=65534 euid=0 suid=0 fsuid=0 egid=65534 sgid=65534 fsgid=65534 tty=pts3 ses=4 comm="sh" exe="/usr/bin/dash" subj=unconfined key="vigil-exec"`},
	{typeExecve, `audit(1700000000.123:77): argc=5 a0="/bin/sh" a1="-c" a2=74776F20776F726473 a3_len=10 a3[0]=6C6F6E67 a3[1]="-arg"`},
	{typeExecve, `audit(1700000000.123:77): a4="end"`},
	{typeCwd, `audit(1700000000.123:77): cwd=2F746D702F612064697220`},
	{typePath, `audit(1700000000.123:77): item=0 name="/bin/sh" inode=12 dev=fe:01 mode=0100755 nametype=NORMAL`},
	{typePath, `audit(1700000000.123:77): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=13`},
	{typeProctitle, `audit(1700000000.123:77): proctitle=2F62696E2F7368002D63`},
}

func TestAssembleExec(t *testing.T) {
	a := newAssembler(1<<10, 16)
	now := time.Now()
	for _, r := range execRecords {
		if ev, err := a.add(r.typ, []byte(r.text), now); err != nil || ev != nil {
			t.Fatalf("add %d: %v %v", r.typ, ev, err)
		}
	}
	// A record of another event in between, and one of a type not read.
	if _, err := a.add(1305, []byte(`audit(1700000000.200:78): op=add_rule key="x" list=4 res=1`), now); err != nil {
		t.Fatal(err)
	}
	ev, err := a.add(typeEOE, []byte(`audit(1700000000.123:77): `), now)
	if err != nil || ev == nil {
		t.Fatalf("EOE: %v %v", ev, err)
	}
	if ev.Kind != kindExec || !ev.Success || ev.PID != 11 || ev.PPID != 10 || ev.UID != 65534 || ev.EUID != 0 ||
		ev.GID != 65534 || ev.AUID != 1000 || ev.SessionID != 4 || ev.TTY != "pts3" || ev.Comm != "sh" ||
		ev.Exe != "/usr/bin/dash" || ev.Cwd != "/tmp/a dir " || ev.Path0 != "/bin/sh" || ev.Serial != 77 ||
		!ev.At.Equal(time.Unix(1700000000, 123e6)) {
		t.Errorf("event %+v", ev)
	}
	if got, want := ev.args(), []string{"/bin/sh", "-c", "two words", "long-arg", "end"}; !slices.Equal(got, want) || ev.ArgsTruncated {
		t.Errorf("args %q (truncated %v), want %q", got, ev.ArgsTruncated, want)
	}
	if len(a.pending) != 0 {
		t.Errorf("%d events left waiting", len(a.pending))
	}
}

func TestAssembleBounds(t *testing.T) {
	tests := []struct {
		name      string
		maxBytes  int
		execve    string
		want      []string
		truncated bool
	}{
		{"cut at the byte bound", 6, `argc=2 a0="abcd" a1="efgh"`, []string{"abcd", "ef"}, true},
		{"beyond argc", 100, `argc=1 a0="a" a1="b"`, []string{"a"}, true},
		{"unreadable", 100, `argc=2 a0="a" a1=(null)`, []string{"a", ""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAssembler(tt.maxBytes, 4)
			_, _ = a.add(typeSyscall, []byte(`audit(1.000:1): arch=c000003e syscall=322 success=yes a0=0 pid=5 ppid=1`), time.Now())
			if _, err := a.add(typeExecve, []byte(`audit(1.000:1): `+tt.execve), time.Now()); err != nil {
				t.Fatal(err)
			}
			ev, _ := a.add(typeEOE, []byte(`audit(1.000:1): `), time.Now())
			if ev == nil || ev.Kind != kindExec {
				t.Fatalf("event %+v", ev)
			}
			if got := ev.args(); !slices.Equal(got, tt.want) || ev.ArgsTruncated != tt.truncated {
				t.Errorf("args %q truncated %v, want %q %v", got, ev.ArgsTruncated, tt.want, tt.truncated)
			}
		})
	}
}

func TestAssembleExitAndOthers(t *testing.T) {
	a := newAssembler(100, 2)
	now := time.Now()
	_, _ = a.add(typeSyscall, []byte(`audit(2.5:9): arch=c000003e syscall=231 a0=5 pid=7 ppid=1 comm="x" exe="/x"`), now)
	ev, _ := a.add(typeEOE, []byte(`audit(2.5:9): `), now)
	if ev == nil || ev.Kind != kindExitGroup || ev.A0 != 5 || ev.PID != 7 {
		t.Fatalf("exit %+v", ev)
	}
	// An openat event is not reported.
	_, _ = a.add(typeSyscall, []byte(`audit(2.5:10): arch=c000003e syscall=257 pid=7`), now)
	if ev, _ := a.add(typeEOE, []byte(`audit(2.5:10): `), now); ev != nil {
		t.Errorf("openat reported: %+v", ev)
	}
	// An event without end expires; the bound on waiting events holds.
	_, _ = a.add(typeSyscall, []byte(`audit(2.5:11): arch=c000003e syscall=59 success=yes pid=8`), now)
	_, _ = a.add(typeCwd, []byte(`audit(2.5:12): cwd="/"`), now)
	if _, err := a.add(typeCwd, []byte(`audit(2.5:13): cwd="/"`), now); err == nil {
		t.Error("no error beyond the bound of waiting events")
	}
	if got := a.expire(now.Add(time.Hour), time.Second); len(got) != 1 || got[0].Serial != 11 {
		t.Errorf("expired %+v", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{
		``, `audit(`, `audit(1.2)`, `audit(x.1:2): `, `audit(1.1000:2): `, `audit(-1.1:2): `, `audit(1.1:y): `,
	} {
		if _, _, err := parseHeader([]byte(bad)); err == nil {
			t.Errorf("parseHeader(%q) accepted", bad)
		}
	}
	for _, bad := range []string{
		`arch=zz syscall=59 pid=1`, `syscall=59 pid=1 uid=-1`, `syscall=59 comm="x`, `syscall=59`,
	} {
		ev := &auditEvent{}
		if err := ev.parseSyscall([]byte(bad)); err == nil {
			t.Errorf("parseSyscall(%q) accepted", bad)
		}
	}
	if err := (&auditEvent{}).parseExecve([]byte(`argc=-1`), 10); err == nil {
		t.Error("negative argc accepted")
	}
	if err := (&auditEvent{}).parseExecve([]byte(`argc=1 a99999999999999999999="x"`), 10); err == nil {
		t.Error("huge index accepted")
	}
}

func TestUntrusted(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true}, {`6120622022`, `a b "`, true}, {`(null)`, "", false}, {`ABC`, "", false}, {`""`, "", true},
	}
	for _, tt := range tests {
		got, ok := untrusted([]byte(tt.in))
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("untrusted(%q) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzRecords feeds arbitrary records of every type read to the
// assembler: no panic, and the bounds hold.
func FuzzRecords(f *testing.F) {
	for _, r := range execRecords {
		f.Add(r.typ, r.text)
	}
	f.Add(uint16(typeEOE), `audit(1700000000.123:77): `)
	f.Add(uint16(typeExecve), `audit(1.1:1): argc=3 a0="x" a1_len=4 a1[0]=4142 a1[1]="cd" a2=(null)`)
	f.Add(uint16(typeSyscall), `audit(1.1:1): arch=c000003e syscall=231 a0=ff pid=3 msg='a b=c'`)
	const maxBytes = 64
	f.Fuzz(func(t *testing.T, typ uint16, text string) {
		a := newAssembler(maxBytes, 8)
		now := time.Now()
		// The record alone, then after a SYSCALL of its serial.
		_, _ = a.add(typ, []byte(text), now)
		if h, _, err := parseHeader([]byte(text)); err == nil {
			stamp := text[:strings.IndexByte(text, ')')+1] + ": "
			_, _ = a.add(typeSyscall, []byte(stamp+"arch=c000003e syscall=59 success=yes pid=2"), now)
			_, _ = a.add(typ, []byte(text), now)
			ev, _ := a.add(typeEOE, []byte(stamp), now)
			if ev != nil {
				if ev.Serial != h.Serial {
					t.Fatalf("serial %d, want %d", ev.Serial, h.Serial)
				}
				if ev.ArgsBytes > maxBytes || len(ev.Args) > maxArgc {
					t.Fatalf("bounds: %d bytes, %d args", ev.ArgsBytes, len(ev.Args))
				}
				_ = ev.args()
			}
		}
		if len(a.pending) > 8 {
			t.Fatalf("%d pending", len(a.pending))
		}
		_ = a.expire(now.Add(time.Hour), time.Second)
	})
}
