package authlog_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/authlog"
	"github.com/vigilsec/vigil/internal/event"
)

// cUtmp is glibc's struct utmp as laid out on Linux, written here field
// by field independently of package utmp.
type cUtmp struct {
	Type     int16
	_        [2]byte
	PID      int32
	Line     [32]byte
	ID       [4]byte
	User     [32]byte
	Host     [256]byte
	ExitTerm int16
	ExitCode int16
	Session  int32
	Sec      int32
	Usec     int32
	Addr     [16]byte
	_        [20]byte
}

func utmpRecord(t *testing.T, typ int16, pid int32, line, id, user, host, addr string, at time.Time) []byte {
	t.Helper()
	r := cUtmp{Type: typ, PID: pid, Session: pid, Sec: int32(at.Unix()), Usec: int32(at.Nanosecond() / 1000)}
	copy(r.Line[:], line)
	copy(r.ID[:], id)
	copy(r.User[:], user)
	copy(r.Host[:], host)
	if addr != "" {
		a := netip.MustParseAddr(addr)
		if a.Is4() {
			b := a.As4()
			copy(r.Addr[:], b[:])
		} else {
			b := a.As16()
			copy(r.Addr[:], b[:])
		}
	}
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.NativeEndian, &r); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 384 {
		t.Fatalf("struct utmp is %d bytes, want 384", buf.Len())
	}
	return buf.Bytes()
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o664)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func TestAccountingFiles(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	wtmp, btmp := f.path("var/log/wtmp"), f.path("var/log/btmp")
	for _, p := range []string{wtmp, btmp} {
		if err := os.WriteFile(p, nil, 0o664); err != nil {
			t.Fatal(err)
		}
	}
	// An old login already in wtmp is not reported (start at the end).
	appendBytes(t, wtmp, utmpRecord(t, 7, 50, "pts/9", "ts/9", "old", "", "", time.Unix(1_700_000_000, 0)))

	r := f.start(t, authlog.New(), `{"poll_interval":"100ms","source":"file","files":["/var/log/auth.log"]}`)
	r.waitStats("the first poll", func(s authlog.Stats) bool { return s.Polls >= 1 })

	boot := time.Date(2026, 11, 29, 6, 42, 0, 0, time.UTC)
	login := time.Date(2026, 11, 29, 10, 4, 5, 250000000, time.UTC)
	logout := login.Add(10 * time.Minute)
	appendBytes(t, wtmp, utmpRecord(t, 2, 0, "~", "~~", "reboot", "6.18.0-test", "", boot))
	appendBytes(t, wtmp, utmpRecord(t, 7, 4242, "pts/0", "ts/0", "alice", "203.0.113.5", "203.0.113.5", login))
	// A record written in two pieces is read once, whole.
	rec := utmpRecord(t, 8, 4242, "pts/0", "ts/0", "", "", "", logout)
	appendBytes(t, wtmp, rec[:100])
	r.waitStats("the partial record", func(s authlog.Stats) bool { return s.Records >= 2 })
	appendBytes(t, wtmp, rec[100:])
	appendBytes(t, wtmp, utmpRecord(t, 1, '0', "~", "~~", "shutdown", "6.18.0-test", "", logout.Add(time.Hour)))
	corrupt := utmpRecord(t, 77, 1, "x", "", "", "", "", logout)
	appendBytes(t, btmp, corrupt)
	appendBytes(t, btmp, utmpRecord(t, 6, 5151, "ssh:notty", "", "bob", "2001:db8::7", "2001:db8::7", login))

	r.out.waitFor(t, "the failed login", 1, action(authlog.ActionFailedLoginRecorded))
	r.out.waitFor(t, "the shutdown", 1, action(authlog.ActionSystemShutdown))
	r.stop()

	evs, lost := r.out.snapshot()
	if len(evs) != 5 || lost != 1 {
		t.Fatalf("%d events, %d lost, want 5 and 1:\n%s", len(evs), lost, dump(evs))
	}
	if st := r.s.Stats(); st.Records != 6 || st.CorruptRecords != 1 {
		t.Errorf("stats %+v", st)
	}
	want := map[string]map[string]any{
		authlog.ActionSystemBoot: {"event.category": "host", "@timestamp": "2026-11-29T06:42:00Z",
			"vigil.utmp.host": "6.18.0-test", "event.provider": "wtmp"},
		authlog.ActionLoginRecorded: {"event.category": "session", "user.name": "alice", "source.ip": "203.0.113.5",
			"process.pid": 4242, "process.tty.name": "pts/0", "@timestamp": "2026-11-29T10:04:05.25Z",
			"vigil.utmp.type": "USER_PROCESS", "log.file.path": "/var/log/wtmp"},
		authlog.ActionLogoutRecorded: {"event.category": "session", "user.name": "alice", "process.tty.name": "pts/0",
			"event.duration": (10 * time.Minute).Nanoseconds(), "event.start": "2026-11-29T10:04:05.25Z",
			"source.ip": "203.0.113.5"},
		authlog.ActionSystemShutdown: {"event.category": "host", "vigil.utmp.runlevel": "0"},
		authlog.ActionFailedLoginRecorded: {"event.category": "authentication", "event.outcome": "failure",
			"user.name": "bob", "source.ip": "2001:db8::7", "event.provider": "btmp", "log.file.path": "/var/log/btmp"},
	}
	for _, e := range evs {
		w, ok := want[e.String(event.FieldAction)]
		if !ok {
			t.Errorf("unexpected event %s", dump([]event.Event{e}))
			continue
		}
		for field, v := range w {
			got, _ := e.Get(field)
			if got != v {
				t.Errorf("%s: %s = %v (%T), want %v (%T)", e.String(event.FieldAction), field, got, got, v, v)
			}
		}
	}
}
