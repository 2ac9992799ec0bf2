package parse_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/authlog/parse"
)

// addCorpusSeeds adds every line of the corpus files as a seed.
func addCorpusSeeds(f *testing.F, add func(line string)) {
	files, _ := filepath.Glob("testdata/corpus/*.log")
	if len(files) == 0 {
		f.Fatal("no corpus files")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			add(line)
		}
	}
}

// checkRecord checks what holds for every parsed line: an event has a
// kind, a service and a port in range, and the text fields it copies
// come from the line.
func checkRecord(t *testing.T, line string, r parse.Record, st parse.Status) {
	t.Helper()
	if st != parse.StatusOK {
		return
	}
	if r.Kind == parse.KindNone || r.Kind.String() == "unknown" || r.Service == "" {
		t.Fatalf("%q: event without kind or service: %+v", line, r)
	}
	if r.SourcePort < 0 || r.SourcePort > 65535 || r.Count < 0 {
		t.Fatalf("%q: port %d count %d", line, r.SourcePort, r.Count)
	}
	for name, v := range map[string]string{"user": r.User, "target": r.TargetUser, "command": r.Command,
		"tty": r.TTY, "cwd": r.Cwd, "host": r.SourceHost, "session": r.SessionID, "method": r.Method} {
		if !strings.Contains(strings.ToLower(line), strings.ToLower(v)) { // "ROOT LOGIN" names root
			t.Fatalf("%q: %s %q is not in the line", line, name, v)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	addCorpusSeeds(f, func(line string) { f.Add(line) })
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, line string) {
		p := &parse.Parser{Location: time.UTC, Now: func() time.Time { return now }}
		l, st := p.Parse(line)
		checkRecord(t, line, l.Record, st)
		if st != parse.StatusNoHeader && (l.Program == "" || l.Time.IsZero()) {
			t.Fatalf("%q: header without program or time: %+v", line, l)
		}
		// The status does not depend on the lines before.
		if _, st2 := p.Parse(line); st2 != st {
			t.Fatalf("%q: status %v, then %v", line, st, st2)
		}
	})
}

func FuzzParseMessage(f *testing.F) {
	addCorpusSeeds(f, func(line string) {
		l, st := (&parse.Parser{Location: time.UTC}).Parse(line)
		if st != parse.StatusNoHeader {
			f.Add(l.Program, l.Message)
		}
	})
	f.Fuzz(func(t *testing.T, program, msg string) {
		r, st := parse.ParseMessage(program, msg)
		checkRecord(t, msg, r, st)
	})
}
