package authlog_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog"
	"github.com/vigilsec/vigil/internal/event"
)

const authLog = "var/log/auth.log"

// fileSettings reads the log file from its start, polls often and
// leaves the accounting files alone.
const fileSettings = `{"start_at":"beginning","poll_interval":"100ms","accounting":false}`

// stamp returns an RFC 3339 timestamp i seconds after a fixed time.
func stamp(i int) string {
	return time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000000-07:00")
}

// failed returns an RFC 3339 line of a failed ssh password from port
// 40000+i.
func failed(i int) string {
	return fmt.Sprintf("%s web1 sshd[%d]: Failed password for root from 192.0.2.7 port %d ssh2", stamp(i), 1000+i, 40000+i)
}

// seq returns 40000+from .. 40000+to.
func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, 40000+i)
	}
	return out
}

// checkPorts checks that the failed-login events are exactly lines
// from..to, each once.
func checkPorts(t *testing.T, evs []event.Event, from, to int) {
	t.Helper()
	got := ports(evs)
	slices.Sort(got)
	if want := seq(from, to); !slices.Equal(got, want) {
		t.Errorf("lines read %v, want %v", got, want)
	}
}

func TestEventFields(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	f.appendLines(t, authLog,
		"2026-11-29T10:04:05.123456+00:00 db1 sshd[1234]: Accepted publickey for alice from 203.0.113.5 port 51234 ssh2: ED25519 SHA256:abcdef",
		"2026-11-29T10:04:06.000000+00:00 db1 sshd[1300]: Failed password for invalid user admin from 2001:db8::9 port 40022 ssh2",
		"2026-11-29T10:05:00.000000+00:00 db1 CRON[1]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
		"2026-11-29T11:10:00.000000+00:00 db1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id -u",
		"2026-11-29T11:20:00.000000+00:00 db1 su[5000]: FAILED SU (to root) alice on pts/1",
		"2026-11-29T11:30:00.000000+00:00 db1 pkexec[5020]: mallory: The value for the SHELL variable was not found the /etc/shells file [USER=root] [TTY=/dev/pts/1] [CWD=/tmp/pwn] [COMMAND=GCONV_PATH=./pwnkit.so:.]",
		"2026-11-29T11:40:00.000000+00:00 db1 kernel: something else entirely",
	)
	r := f.start(t, authlog.New(), fileSettings)
	if m := r.s.Mechanism(); m != authlog.MechanismFile {
		t.Errorf("mechanism %q, want file", m)
	}
	r.waitStats("7 lines", func(s authlog.Stats) bool { return s.Lines >= 7 })
	r.stop()
	evs, lost := r.out.snapshot()
	if len(evs) != 5 || lost != 0 {
		t.Fatalf("%d events, %d lost, want 5 and 0:\n%s", len(evs), lost, dump(evs))
	}
	if st := r.s.Stats(); st.Filtered != 1 || st.Unknown != 1 || st.Events != 5 {
		t.Errorf("stats %+v", st)
	}
	want := []map[string]any{
		{"@timestamp": "2026-11-29T10:04:05.123456Z", "event.category": "authentication", "event.action": "logged-in",
			"event.outcome": "success", "event.dataset": "authlog", "event.kind": "event", "user.name": "alice",
			"source.ip": "203.0.113.5", "source.port": 51234, "vigil.auth.method": "publickey", "vigil.auth.service": "sshd",
			"vigil.auth.key.fingerprint": "SHA256:abcdef", "process.pid": 1234, "process.name": "sshd",
			"log.file.path": "/var/log/auth.log", "log.syslog.hostname": "db1", "event.provider": "syslog",
			"message": "Accepted publickey for alice from 203.0.113.5 port 51234 ssh2: ED25519 SHA256:abcdef"},
		{"event.action": "login-failed", "event.outcome": "failure", "user.name": "admin", "source.ip": "2001:db8::9",
			"source.port": 40022, "vigil.auth.method": "password", "vigil.auth.invalid_user": true},
		{"event.category": "iam", "event.action": "sudo", "event.outcome": "success", "user.name": "alice",
			"user.target.name": "root", "process.command_line": "/usr/bin/id -u", "process.working_directory": "/home/alice",
			"process.tty.name": "pts/0", "vigil.auth.service": "sudo"},
		{"event.category": "session", "event.action": "su", "event.outcome": "failure", "user.name": "alice",
			"user.target.name": "root", "process.tty.name": "pts/1", "process.pid": 5000, "vigil.auth.service": "su"},
		{"event.category": "iam", "event.action": "pkexec", "event.outcome": "failure", "user.name": "mallory",
			"user.target.name": "root", "vigil.auth.suspicious": true, "process.command_line": "GCONV_PATH=./pwnkit.so:.",
			"event.reason": "The value for the SHELL variable was not found the /etc/shells file"},
	}
	for i, w := range want {
		for field, v := range w {
			got, ok := evs[i].Get(field)
			if !ok || fmt.Sprint(got) != fmt.Sprint(v) {
				t.Errorf("event %d (%s): %s = %v, want %v", i, evs[i].String(event.FieldAction), field, got, v)
			}
		}
		b, err := json.Marshal(evs[i])
		if err != nil || len(b) > event.MaxSize {
			t.Errorf("event %d: %d bytes, %v", i, len(b), err)
		}
		if types, _ := evs[i].Get("event.type"); len(types.([]string)) != 1 {
			t.Errorf("event %d: event.type %v", i, types)
		}
	}
	if rel, _ := evs[0].Get("related.ip"); fmt.Sprint(rel) != "[203.0.113.5]" {
		t.Errorf("related.ip %v", rel)
	}
}

func TestStartAtEnd(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	f.appendLines(t, authLog, failed(1), failed(2))
	r := f.start(t, authlog.New(), `{"poll_interval":"100ms","accounting":false}`)
	// A line written after the first poll is new.
	r.waitStats("the first poll", func(s authlog.Stats) bool { return s.Polls >= 1 })
	f.appendLines(t, authLog, failed(3))
	r.out.waitFor(t, "the new line", 1, action("login-failed"))
	r.stop()
	evs, _ := r.out.snapshot()
	checkPorts(t, evs, 3, 3)
}

func TestRotationByRename(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	f.appendLines(t, authLog, failed(1), failed(2), failed(3))
	r := f.start(t, authlog.New(), fileSettings)
	r.out.waitFor(t, "lines 1-3", 3, action("login-failed"))

	// logrotate renames the file; the writer goes on writing to it until
	// it reopens the new one.
	if err := os.Rename(f.path(authLog), f.path(authLog+".1")); err != nil {
		t.Fatal(err)
	}
	f.appendLines(t, authLog+".1", failed(4), failed(5))
	f.appendLines(t, authLog, failed(6), failed(7), failed(8))
	r.out.waitFor(t, "lines 1-8", 8, action("login-failed"))
	f.appendLines(t, authLog, failed(9))
	r.out.waitFor(t, "lines 1-9", 9, action("login-failed"))
	r.stop()
	evs, lost := r.out.snapshot()
	checkPorts(t, evs, 1, 9)
	if st := r.s.Stats(); st.Rotations < 1 || lost != 0 {
		t.Errorf("stats %+v, lost %d", st, lost)
	}
}

func TestRotationByCopyTruncate(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	f.appendLines(t, authLog, failed(1), failed(2), failed(3))
	r := f.start(t, authlog.New(), fileSettings)
	r.out.waitFor(t, "lines 1-3", 3, action("login-failed"))

	data, err := os.ReadFile(f.path(authLog))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.path(authLog+".1"), data, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(f.path(authLog), 0); err != nil {
		t.Fatal(err)
	}
	r.waitStats("the truncation", func(s authlog.Stats) bool { return s.Truncations >= 1 })
	f.appendLines(t, authLog, failed(4), failed(5))
	r.out.waitFor(t, "lines 1-5", 5, action("login-failed"))
	r.stop()
	evs, _ := r.out.snapshot()
	checkPorts(t, evs, 1, 5)
}

// TestRestartWithoutDuplicates stops the sensor, changes the log while
// it is stopped (appends, rotation, truncation and rewriting), and
// checks that each new sensor reads exactly the lines it has not read.
func TestRestartWithoutDuplicates(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	f.appendLines(t, authLog, failed(1), failed(2), failed(3))

	a := f.start(t, authlog.New(), fileSettings)
	a.out.waitFor(t, "lines 1-3", 3, action("login-failed"))
	a.stop()
	if _, err := os.Stat(f.data + "/state/authlog.json"); err != nil {
		t.Fatalf("no saved state: %v", err)
	}

	// Stopped: lines appended, then the file rotated and a new one begun.
	f.appendLines(t, authLog, failed(4), failed(5))
	if err := os.Rename(f.path(authLog), f.path(authLog+".1")); err != nil {
		t.Fatal(err)
	}
	f.appendLines(t, authLog, failed(6), failed(7))

	b := f.start(t, authlog.New(), fileSettings)
	b.out.waitFor(t, "lines 4-7", 4, action("login-failed"))
	f.appendLines(t, authLog, failed(8))
	b.out.waitFor(t, "lines 4-8", 5, action("login-failed"))
	b.stop()
	evs, _ := b.out.snapshot()
	checkPorts(t, evs, 4, 8)

	// Stopped: the file truncated and written again with more than it
	// held, so that only its first bytes tell it changed.
	if err := os.Truncate(f.path(authLog), 0); err != nil {
		t.Fatal(err)
	}
	var more []string
	for i := 9; i <= 15; i++ {
		more = append(more, failed(i))
	}
	f.appendLines(t, authLog, more...)

	c := f.start(t, authlog.New(), fileSettings)
	c.out.waitFor(t, "lines 9-15", 7, action("login-failed"))
	f.appendLines(t, authLog, failed(16))
	c.out.waitFor(t, "lines 9-16", 8, action("login-failed"))
	c.stop()
	evs, _ = c.out.snapshot()
	checkPorts(t, evs, 9, 16)
	if st := c.s.Stats(); st.Truncations != 1 {
		t.Errorf("stats %+v: want one truncation noticed", st)
	}

	// Stopped, nothing changed: nothing is read again.
	d := f.start(t, authlog.New(), fileSettings)
	f.appendLines(t, authLog, failed(17))
	d.out.waitFor(t, "line 17", 1, action("login-failed"))
	d.stop()
	evs, _ = d.out.snapshot()
	checkPorts(t, evs, 17, 17)
}

// TestYearRollover reads traditional timestamps across New Year, live
// and across a restart.
func TestYearRollover(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	clock := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	newSensor := func() *authlog.Sensor {
		s := authlog.New()
		s.Location = time.UTC
		now := clock
		s.Now = func() time.Time { return now }
		return s
	}
	f.appendLines(t, authLog, sshLine("Dec 31 23:59:58", 100, 1), sshLine("Dec 31 23:59:59", 100, 2))
	a := f.start(t, newSensor(), fileSettings)
	a.out.waitFor(t, "December lines", 2, action("login-failed"))
	a.stop()

	// The agent restarts in the new year.
	clock = time.Date(2027, 1, 1, 0, 0, 5, 0, time.UTC)
	f.appendLines(t, authLog, sshLine("Jan  1 00:00:01", 101, 3), sshLine("Jan  1 00:00:04", 101, 4))
	b := f.start(t, newSensor(), fileSettings)
	evs := b.out.waitFor(t, "January lines", 2, action("login-failed"))
	b.stop()

	aevs, _ := a.out.snapshot()
	got := []string{aevs[0].String("@timestamp"), aevs[1].String("@timestamp"), evs[0].String("@timestamp"), evs[1].String("@timestamp")}
	want := []string{"2026-12-31T23:59:58Z", "2026-12-31T23:59:59Z", "2027-01-01T00:00:01Z", "2027-01-01T00:00:04Z"}
	if !slices.Equal(got, want) {
		t.Errorf("timestamps %v, want %v", got, want)
	}

	// A fresh sensor reading the whole file in mid-January.
	clock = time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	g := newFixture(t)
	data, _ := os.ReadFile(f.path(authLog))
	if err := os.WriteFile(g.path(authLog), data, 0o640); err != nil {
		t.Fatal(err)
	}
	c := g.start(t, newSensor(), fileSettings)
	evs = c.out.waitFor(t, "all lines", 4, action("login-failed"))
	c.stop()
	for i, e := range evs {
		if e.String("@timestamp") != want[i] {
			t.Errorf("whole file, line %d: %s, want %s", i, e.String("@timestamp"), want[i])
		}
	}
}

func TestMalformedLinesAreCountedLost(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	f.appendLines(t, authLog,
		"2026-11-29T10:04:05.000000+00:00 web1 sshd[1234]: Accepted password for alice",
		"2026-11-29T10:04:05.000000+00:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/ ; USER=root",
		"2026-11-29T10:04:05.000000+00:00 web1 sshd[1234]: Server listening on 0.0.0.0 port 22.",
		"not a syslog line",
		failed(1),
	)
	r := f.start(t, authlog.New(), fileSettings)
	r.waitStats("5 lines", func(s authlog.Stats) bool { return s.Lines >= 5 })
	r.stop()
	evs, lost := r.out.snapshot()
	st := r.s.Stats()
	if len(evs) != 1 || lost != 2 || st.Malformed != 2 || st.Unknown != 1 || st.NoHeader != 1 {
		t.Errorf("%d events, %d lost, stats %+v", len(evs), lost, st)
	}
}

func TestLongLine(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	long := "2026-11-29T10:04:05.000000+00:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/echo " +
		strings.Repeat("A", 5000)
	f.appendLines(t, authLog, long, failed(1))
	r := f.start(t, authlog.New(), `{"start_at":"beginning","poll_interval":"100ms","accounting":false,"max_line_bytes":2048}`)
	r.out.waitFor(t, "the line after", 1, action("login-failed"))
	r.stop()
	sudo := r.out.matching(action("sudo"))
	if len(sudo) != 1 || !strings.HasPrefix(sudo[0].String(event.FieldProcessCmd), "/bin/echo AAA") ||
		len(sudo[0].String(event.FieldProcessCmd)) >= 2048 {
		t.Errorf("sudo events %d: %s", len(sudo), dump(sudo))
	}
	if st := r.s.Stats(); st.TooLong != 1 || st.Lines != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestLogFileAppearsLater(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	// Default start_at is "end", but a file that appears while the
	// sensor runs is new: it is read from its start.
	r := f.start(t, authlog.New(), `{"poll_interval":"100ms","accounting":false,"source":"file"}`)
	r.waitStats("the first poll", func(s authlog.Stats) bool { return s.Polls >= 1 })
	f.appendLines(t, "var/log/secure", failed(1), failed(2))
	r.out.waitFor(t, "lines of the new file", 2, action("login-failed"))
	r.stop()
	evs, _ := r.out.snapshot()
	checkPorts(t, evs, 1, 2)
	if p := evs[0].String("log.file.path"); p != "/var/log/secure" {
		t.Errorf("log.file.path %q", p)
	}
}

func TestSettings(t *testing.T) {
	def := authlog.DefaultSettings()
	tests := []struct {
		raw   string
		check func(authlog.Settings) bool
		err   string
	}{
		{``, func(s authlog.Settings) bool { return s.Source == "auto" && s.StartAt == "end" && s.Accounting }, ""},
		{`{}`, func(s authlog.Settings) bool {
			return slices.Equal(s.Files, def.Files) && s.PollInterval == 2*time.Second
		}, ""},
		{`{"source":"journal","start_at":"beginning","poll_interval":"500ms","files":["/var/log/x"],"btmp":"","skip_services":[],"max_line_bytes":4096}`,
			func(s authlog.Settings) bool {
				return s.Source == "journal" && s.StartAt == "beginning" && s.PollInterval == 500*time.Millisecond &&
					slices.Equal(s.Files, []string{"/var/log/x"}) && s.Btmp == "" && len(s.SkipServices) == 0 && s.MaxLineBytes == 4096
			}, ""},
		{`{"source":"syslog"}`, nil, "source"},
		{`{"start_at":"middle"}`, nil, "start_at"},
		{`{"poll_interval":"1ms"}`, nil, "poll_interval"},
		{`{"poll_interval":"soon"}`, nil, "poll_interval"},
		{`{"files":["relative/path"]}`, nil, "files"},
		{`{"files":["/var/log/../etc/shadow"]}`, nil, "files"},
		{`{"wtmp":"/"}`, nil, "wtmp"},
		{`{"max_line_bytes":10}`, nil, "max_line_bytes"},
		{`{"skip_services":["a b"]}`, nil, "skip_services"},
		{`{"colour":"blue"}`, nil, "colour"},
		{`{"source":"file"} {}`, nil, "after"},
		{`[]`, nil, "settings"},
	}
	for _, tt := range tests {
		s, err := authlog.ParseSettings([]byte(tt.raw))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one about %q", tt.raw, err, tt.err)
			}
			continue
		}
		if err != nil || !tt.check(s) {
			t.Errorf("%s: %+v, %v", tt.raw, s, err)
		}
	}
	// Refused settings keep the ones in force.
	s := authlog.New()
	if err := s.ApplySettings(json.RawMessage(`{"start_at":"beginning"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySettings(json.RawMessage(`{"start_at":"never"}`)); err == nil || s.Settings().StartAt != "beginning" {
		t.Errorf("refused settings: %v, start_at %q", err, s.Settings().StartAt)
	}
}

func TestRunNeedsConfiguration(t *testing.T) {
	if err := authlog.New().Run(t.Context(), &collector{}); err == nil {
		t.Error("Run before Configure: no error")
	}
}

// TestLiveProcess checks that a line of a process that still runs gets
// the process's entity id, as every sensor computes it.
func TestLiveProcess(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	if err := os.Symlink("/proc", f.path("proc")); err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() }()
	pid := sleeper.Process.Pid
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	ticks, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	f.appendLines(t, authLog)
	r := f.start(t, authlog.New(), fileSettings)
	r.waitStats("the first poll", func(s authlog.Stats) bool { return s.Polls >= 1 })
	now := time.Now().Format("2006-01-02T15:04:05.000000-07:00")
	f.appendLines(t, authLog,
		fmt.Sprintf("%s h sleep[%d]: pam_unix(sleep:session): session opened for user root(uid=0) by (uid=0)", now, pid),
		// A pid that holds another program is not taken for it.
		fmt.Sprintf("%s h sshd[%d]: Accepted password for root from 192.0.2.1 port 22 ssh2", now, pid))
	r.out.waitFor(t, "the line of the sleeper", 1, action("session-opened"))
	r.out.waitFor(t, "the line of another program", 1, action("logged-in"))
	r.stop()
	e := r.out.matching(action("session-opened"))[0]
	if got, want := e.String(event.FieldProcessEntity), procid.EntityID("test-host", pid, ticks); got != want {
		t.Errorf("process.entity_id %q, want %q", got, want)
	}
	if exe := e.String(event.FieldProcessExe); !strings.HasSuffix(exe, "/sleep") {
		t.Errorf("process.executable %q", exe)
	}
	if other := r.out.matching(action("logged-in"))[0]; other.String(event.FieldProcessEntity) != "" {
		t.Errorf("another program's line got an entity id: %s", dump([]event.Event{other}))
	}
}

// TestOtherFilesDoNotWakeTheSensor writes often to another file of the
// log directory, as syslog does: the sensor reads only when its own
// files change.
func TestOtherFilesDoNotWakeTheSensor(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	f.appendLines(t, authLog)
	r := f.start(t, authlog.New(), `{"start_at":"beginning","poll_interval":"5m","accounting":false}`)
	r.waitStats("the first poll", func(s authlog.Stats) bool { return s.Polls >= 1 })
	for i := 0; i < 200; i++ {
		f.appendLines(t, "var/log/syslog", fmt.Sprintf("line %d of another program", i))
	}
	f.appendLines(t, authLog, failed(1))
	r.out.waitFor(t, "the auth line", 1, action("login-failed"))
	r.stop()
	if polls := r.s.Stats().Polls; polls > 10 {
		t.Errorf("%d polls for 200 writes to another file and 1 to the auth log", polls)
	}
}
