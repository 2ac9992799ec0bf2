package authlog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog/parse"
)

// journalIdentifiers are the SYSLOG_IDENTIFIERs read from the journal,
// besides every entry of the auth and authpriv facilities.
var journalIdentifiers = []string{
	"sshd", "sshd-session", "sshd-auth", "su", "runuser", "sudo", "login", "pkexec",
	"polkitd", "systemd-logind", "unix_chkpwd",
}

// maxJournalEntry bounds one JSON entry of journalctl's output.
const maxJournalEntry = 1 << 20

// journalArgs returns journalctl's arguments: follow, JSON, from the
// saved cursor (or the saved time when the cursor was refused, or the
// end or the beginning), the auth facilities and the known programs.
func (s *Sensor) journalArgs(js journalState, useCursor bool) []string {
	args := []string{"--follow", "--output=json", "--no-pager", "--quiet",
		"--output-fields=MESSAGE,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_HOSTNAME,_COMM"}
	if s.env.Root != "" && s.env.Root != "/" {
		args = append(args, "--root="+s.env.Root)
	}
	switch {
	case useCursor && js.Cursor != "":
		args = append(args, "--after-cursor="+js.Cursor)
	case js.Realtime > 0:
		args = append(args, "--since=@"+strconv.FormatInt(js.Realtime/1_000_000, 10))
	case s.settings.StartAt == StartAtBeginning:
		args = append(args, "--no-tail")
	default:
		args = append(args, "--lines=0")
	}
	// --follow alone implies --boot=0 on systemd 252 and later: entries
	// of the previous boot after the cursor would be skipped. --merge
	// lifts that, and would show other machines' journals too, which
	// the machine id match leaves out.
	args = append(args, "--merge")
	var machine []string
	if id := machineID(s.env.Root); id != "" {
		machine = []string{"_MACHINE_ID=" + id}
	}
	args = append(args, machine...)
	args = append(args, "SYSLOG_FACILITY=4", "SYSLOG_FACILITY=10", "+")
	args = append(args, machine...)
	for _, id := range journalIdentifiers {
		args = append(args, "SYSLOG_IDENTIFIER="+id)
	}
	return args
}

// machineID reads the host's machine id under root; "" when there is
// none or it is not 32 hexadecimal digits.
func machineID(root string) string {
	b, err := os.ReadFile(filepath.Join(root, "etc/machine-id"))
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(string(b))
	if len(id) != 32 {
		return ""
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ""
		}
	}
	return id
}

// journalEntry is the part of a journal entry the sensor reads. Journal
// fields are strings, except binary ones, which are arrays of bytes.
type journalEntry struct {
	Cursor     string          `json:"__CURSOR"`
	Realtime   string          `json:"__REALTIME_TIMESTAMP"`
	Message    json.RawMessage `json:"MESSAGE"`
	Identifier json.RawMessage `json:"SYSLOG_IDENTIFIER"`
	SyslogPID  json.RawMessage `json:"SYSLOG_PID"`
	PID        json.RawMessage `json:"_PID"`
	Hostname   json.RawMessage `json:"_HOSTNAME"`
	Comm       json.RawMessage `json:"_COMM"`
}

// runJournal runs journalctl and handles its entries until ctx ends; it
// returns nil then, and an error when journalctl ends by itself.
func (s *Sensor) runJournal(ctx context.Context, store *stateStore, emit plugin.Emitter) error {
	js := store.journal()
	err := s.journalOnce(ctx, store, emit, s.journalArgs(js, true))
	var refused *cursorRefused
	if errors.As(err, &refused) {
		s.stats.cursorResets.Add(1)
		s.log.Warn("journal cursor refused; resuming from the last entry's time", "cursor", js.Cursor, "err", err)
		js.Cursor = ""
		store.setJournal(js)
		err = s.journalOnce(ctx, store, emit, s.journalArgs(js, false))
	}
	return err
}

// cursorRefused reports that journalctl did not accept the saved cursor.
type cursorRefused struct{ msg string }

func (e *cursorRefused) Error() string { return "journalctl refused the cursor: " + e.msg }

// journalOnce runs journalctl once with args.
func (s *Sensor) journalOnce(ctx context.Context, store *stateStore, emit plugin.Emitter, args []string) error {
	cmd := exec.CommandContext(ctx, s.journalctl, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("journalctl: %w", err)
	}
	var stderr tailBuffer
	cmd.Stderr = &stderr
	// The parent-death signal belongs to the thread that started the
	// child, and the Go runtime ends threads of its own accord: start and
	// wait for journalctl on a thread locked for its whole life, or it is
	// killed when that thread goes.
	started, readDone, waited := make(chan error, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the child
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		<-readDone // Wait closes the pipe: only once everything was read
		waited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start journalctl: %w", err)
	}
	readErr := s.readJournal(stdout, store, emit)
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	close(readDone)
	waitErr := <-waited
	if ctx.Err() != nil {
		return nil
	}
	if readErr != nil {
		return readErr
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Contains(msg, "cursor") {
		return &cursorRefused{msg: msg}
	}
	if waitErr != nil {
		return fmt.Errorf("journalctl: %w: %s", waitErr, msg)
	}
	return fmt.Errorf("journalctl ended: %s", msg)
}

// readJournal handles journalctl's output, one JSON entry a line.
func (s *Sensor) readJournal(r io.Reader, store *stateStore, emit plugin.Emitter) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	skipping := false
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			switch {
			case skipping:
			case len(long)+len(chunk) > maxJournalEntry:
				skipping, long = true, long[:0]
				s.stats.journalEntries.Add(1)
				s.stats.tooLong.Add(1)
				emit.Lost(1)
			default:
				long = append(long, chunk...)
			}
			continue
		}
		switch {
		case skipping:
			skipping = false
		case len(chunk) > 0:
			line := chunk
			if len(long) > 0 {
				line = append(long, chunk...)
				long = long[:0]
			}
			s.handleJournalEntry(bytes.TrimSpace(line), store, emit)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read journalctl output: %w", err)
		}
	}
}

// handleJournalEntry parses one entry and emits its event.
func (s *Sensor) handleJournalEntry(b []byte, store *stateStore, emit plugin.Emitter) {
	if len(b) == 0 {
		return
	}
	s.stats.journalEntries.Add(1)
	var je journalEntry
	if err := json.Unmarshal(b, &je); err != nil {
		s.stats.badEntries.Add(1)
		emit.Lost(1)
		return
	}
	usec, err := strconv.ParseInt(je.Realtime, 10, 64)
	if err != nil || je.Cursor == "" {
		s.stats.badEntries.Add(1)
		emit.Lost(1)
		return
	}
	defer store.setJournal(journalState{Cursor: je.Cursor, Realtime: usec})
	program := journalString(je.Identifier)
	if program == "" {
		program = journalString(je.Comm)
	}
	pidText := journalString(je.SyslogPID)
	if pidText == "" {
		pidText = journalString(je.PID)
	}
	l := parse.Line{
		Time:    time.UnixMicro(usec),
		Host:    journalString(je.Hostname),
		Program: program,
		Message: journalString(je.Message),
	}
	if pid, err := strconv.Atoi(pidText); err == nil && pid > 0 {
		l.PID = pid
	}
	var st parse.Status
	l.Record, st = parse.ParseMessage(l.Program, l.Message)
	s.dispatch(&l, st, source{provider: "journal"}, emit)
}

// journalString decodes a journal field: a JSON string, or an array of
// bytes for binary values; "" for null or anything else.
func journalString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '[':
		var b []byte
		var ints []int
		if json.Unmarshal(raw, &ints) == nil {
			b = make([]byte, 0, len(ints))
			for _, v := range ints {
				if v < 0 || v > 255 {
					return ""
				}
				b = append(b, byte(v))
			}
			return strings.TrimRight(string(b), "\n")
		}
	}
	return ""
}

// tailBuffer keeps the last bytes written to it (journalctl's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 4 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailMax:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
