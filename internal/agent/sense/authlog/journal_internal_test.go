package authlog

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

// recorder is an Emitter that keeps events and counts losses.
type recorder struct {
	events []event.Event
	lost   uint64
}

func (r *recorder) Emit(e event.Event) { r.events = append(r.events, e) }
func (r *recorder) Lost(n uint64)      { r.lost += n }

func journalSensor() *Sensor {
	return &Sensor{settings: DefaultSettings(), log: slog.Default(), lastLogin: nil}
}

func TestJournalEntries(t *testing.T) {
	tests := []struct {
		name   string
		entry  string
		action string
		lost   uint64
		check  func(e event.Event) bool
	}{
		{"text message",
			`{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1795948171952283","MESSAGE":"Accepted password for root from 127.0.0.1 port 5555 ssh2","SYSLOG_IDENTIFIER":"sshd","SYSLOG_PID":"13414","_PID":"13414","_HOSTNAME":"vm"}`,
			"logged-in", 0, func(e event.Event) bool {
				return e.String("@timestamp") == "2026-11-29T10:29:31.952283Z" && e.String("process.pid") == "13414" &&
					e.String("log.syslog.hostname") == "vm" && e.String("event.provider") == "journal"
			}},
		{"binary message",
			// "Failed password for x\xff from 10.0.0.1 port 7 ssh2" as an array of bytes.
			`{"__CURSOR":"s=2","__REALTIME_TIMESTAMP":"1795948171952283","MESSAGE":[70,97,105,108,101,100,32,112,97,115,115,119,111,114,100,32,102,111,114,32,120,255,32,102,114,111,109,32,49,48,46,48,46,48,46,49,32,112,111,114,116,32,55,32,115,115,104,50],"SYSLOG_IDENTIFIER":"sshd","_PID":"9"}`,
			"login-failed", 0, func(e event.Event) bool { return e.String("user.name") == "x\xff" && e.String("process.pid") == "9" }},
		{"identifier from _COMM", `{"__CURSOR":"s=3","__REALTIME_TIMESTAMP":"1","MESSAGE":"(to root) alice on pts/0","_COMM":"su"}`,
			"su", 0, nil},
		{"not JSON", `{"__CURSOR":`, "", 1, nil},
		{"no cursor", `{"__REALTIME_TIMESTAMP":"1","MESSAGE":"x"}`, "", 1, nil},
		{"bad time", `{"__CURSOR":"s=4","__REALTIME_TIMESTAMP":"soon","MESSAGE":"x"}`, "", 1, nil},
		{"null message", `{"__CURSOR":"s=5","__REALTIME_TIMESTAMP":"1","MESSAGE":null,"SYSLOG_IDENTIFIER":"sshd"}`, "", 0, nil},
		{"malformed sshd message", `{"__CURSOR":"s=6","__REALTIME_TIMESTAMP":"1","MESSAGE":"Accepted password for","SYSLOG_IDENTIFIER":"sshd"}`, "", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := journalSensor()
			store, _ := loadState("")
			rec := &recorder{}
			s.handleJournalEntry([]byte(tt.entry), store, rec)
			if rec.lost != tt.lost {
				t.Errorf("lost %d, want %d", rec.lost, tt.lost)
			}
			if tt.action == "" {
				if len(rec.events) != 0 {
					t.Errorf("events %v", rec.events)
				}
				return
			}
			if len(rec.events) != 1 || rec.events[0].String(event.FieldAction) != tt.action {
				t.Fatalf("events %v, want one %s", rec.events, tt.action)
			}
			if tt.check != nil && !tt.check(rec.events[0]) {
				t.Errorf("event %v", rec.events[0])
			}
			if cur := store.journal().Cursor; !strings.HasPrefix(cur, "s=") {
				t.Errorf("cursor %q not recorded", cur)
			}
		})
	}
}

func TestJournalArgs(t *testing.T) {
	s := journalSensor()
	s.env.Root = t.TempDir()
	args := strings.Join(s.journalArgs(journalState{Cursor: "s=abc"}, true), " ")
	for _, want := range []string{"--follow", "--output=json", "--after-cursor=s=abc", "--merge", "--root=" + s.env.Root,
		"SYSLOG_FACILITY=4 SYSLOG_FACILITY=10 + SYSLOG_IDENTIFIER=sshd"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	if args := strings.Join(s.journalArgs(journalState{Cursor: "s=abc", Realtime: 5_000_000}, false), " "); !strings.Contains(args, "--since=@5") {
		t.Errorf("refused cursor: args %q", args)
	}
	if args := strings.Join(s.journalArgs(journalState{}, true), " "); !strings.Contains(args, "--lines=0") {
		t.Errorf("start at the end: args %q", args)
	}
}

func FuzzJournalEntry(f *testing.F) {
	f.Add([]byte(`{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1795948171952283","MESSAGE":"Accepted password for root from 127.0.0.1 port 5555 ssh2","SYSLOG_IDENTIFIER":"sshd","SYSLOG_PID":"13414"}`))
	f.Add([]byte(`{"__CURSOR":"s=2","__REALTIME_TIMESTAMP":"1","MESSAGE":[70,97,105,108],"SYSLOG_IDENTIFIER":[115,117]}`))
	f.Add([]byte(`{"__CURSOR":"s=3","__REALTIME_TIMESTAMP":"-1","MESSAGE":{"a":1},"_PID":"x"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := journalSensor()
		store, _ := loadState("")
		rec := &recorder{}
		s.handleJournalEntry(b, store, rec)
		if uint64(len(rec.events))+rec.lost > 1 {
			t.Fatalf("one entry gave %d events and %d losses", len(rec.events), rec.lost)
		}
		// Every loss is counted, as a malformed message or entry.
		if c := s.Counters(); rec.lost != c["malformed_lines"]+c["malformed_journal_entries"] {
			t.Fatalf("lost %d, counters %v", rec.lost, c)
		}
	})
}
