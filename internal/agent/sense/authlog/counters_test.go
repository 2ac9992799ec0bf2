package authlog_test

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog"
)

// TestCountersOfSkippedInput feeds the sensor lines and accounting
// records it cannot use among good ones: each is skipped and counted
// under its own name in the counters the runtime reports, the good ones
// around them still become events, and a rotation is counted too.
func TestCountersOfSkippedInput(t *testing.T) {
	defer checkNoLeaks(t)()
	f := newFixture(t)
	const ts = "2026-11-29T10:04:05.000000+00:00 web1 "
	f.appendLines(t, authLog,
		failed(1),
		ts+"sshd[1234]: Accepted password for alice",                        // malformed: no source
		ts+"sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root",       // malformed: no command
		ts+"sshd[1234]: Server listening on 0.0.0.0 port 22.",               // a known program's message of no interest
		ts+"CRON[77]: (root) CMD (run-parts /etc/cron.hourly)",              // a program the sensor does not read
		ts+"CRON[77]: pam_unix(cron:session): session closed for user root", // a skipped service
		"-- the log was cut here --",                                        // no syslog header
		ts+"kernel: "+strings.Repeat("x", 2000),                             // too long, of an unknown program
		failed(2),
	)
	wtmp := f.path("var/log/wtmp")
	login := time.Date(2026, 11, 29, 10, 4, 5, 0, time.UTC)
	appendBytes(t, wtmp, utmpRecord(t, 77, 1, "pts/3", "", "", "", "", login)) // no such record type
	appendBytes(t, wtmp, utmpRecord(t, 7, 4242, "pts/0", "ts/0", "alice", "203.0.113.5", "203.0.113.5", login))

	s := authlog.New()
	var counted plugin.Counted = s // the runtime finds the counters through the plugin interface
	r := f.start(t, s, `{"start_at":"beginning","poll_interval":"100ms","max_line_bytes":1024,"btmp":""}`)
	r.out.waitFor(t, "the line after the bad ones", 1, all(action("login-failed"), field("source.port", 40002)))
	r.out.waitFor(t, "the record after the corrupt one", 1, action(authlog.ActionLoginRecorded))
	r.waitStats("every line and record", func(s authlog.Stats) bool { return s.Lines == 9 && s.Records == 2 })

	// logrotate renames the file and the writer starts a new one.
	if err := os.Rename(f.path(authLog), f.path(authLog+".1")); err != nil {
		t.Fatal(err)
	}
	f.appendLines(t, authLog, failed(3))
	r.out.waitFor(t, "the line after the rotation", 1, all(action("login-failed"), field("source.port", 40003)))
	r.stop()

	want := map[string]uint64{
		"lines_read":            10,
		"records_read":          2,
		"malformed_lines":       2,
		"corrupt_records":       1,
		"too_long_lines":        1,
		"unknown_program_lines": 2,
		"unrecognized_messages": 1,
		"skipped_service_lines": 1,
		"lines_without_header":  1,
		"rotations":             1,
	}
	got := counted.Counters()
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if got[name] != want[name] {
			t.Errorf("counter %s = %d, want %d", name, got[name], want[name])
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("counter %s missing", name)
		}
	}
	evs, lost := r.out.snapshot()
	// 3 failed logins and a wtmp login; 2 malformed lines and a corrupt
	// record lost (the long line's start was read).
	if len(evs) != 4 || lost != 3 {
		t.Errorf("%d events, %d lost, want 4 and 3:\n%s", len(evs), lost, dump(evs))
	}
}

// TestCounterNames checks that every counter is named in snake_case and
// that a new sensor's counters are all zero.
func TestCounterNames(t *testing.T) {
	c := authlog.New().Counters()
	if len(c) == 0 {
		t.Fatal("no counters")
	}
	for name, v := range c {
		if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz_") != "" || strings.HasPrefix(name, "_") || strings.HasSuffix(name, "_") {
			t.Errorf("counter name %q is not snake_case", name)
		}
		if v != 0 {
			t.Errorf("new sensor: counter %s = %d", name, v)
		}
	}
}
