package clikit

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// send reads total bytes through a bar in reads of chunk bytes, stops
// the bar and checks that what was read is the file and that a read after
// the stop is not shown.
func send(t *testing.T, b *UploadBar, total, chunk int) string {
	t.Helper()
	file := bytes.Repeat([]byte("vigil"), total/5+1)[:total]
	r := b.Reader(bytes.NewReader(file))
	var got bytes.Buffer
	buf := make([]byte, chunk)
	for {
		n, err := r.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got.Bytes(), file) {
		t.Errorf("read %d bytes through the bar, not the %d of the file", got.Len(), total)
	}
	b.Stop()
	out := b.w.(*bytes.Buffer)
	before := out.Len()
	b.add(chunk)
	b.Stop()
	if out.Len() != before {
		t.Errorf("the bar moved after its stop: %q", out.String()[before:])
	}
	return out.String()
}

// TestUploadBar checks the bar off a terminal, where it writes lines.
func TestUploadBar(t *testing.T) {
	for _, tc := range []struct {
		name         string
		total, chunk int
		size         int64 // as told to the bar: -1 for stdin
		wantLines    int
		first, last  string
	}{
		{"log, known size", 1000, 7, 1000, 11, "feed.txt: sent 0% (7 B of 1000 B)", "feed.txt: sent 100% (1000 B of 1000 B)"},
		{"log, one read", 300, 4096, 300, 1, "feed.txt: sent 100% (300 B of 300 B)", "feed.txt: sent 100% (300 B of 300 B)"},
		{"log, stdin", 5 << 20, 64 << 10, -1, 1, "feed.txt: sent 5.0 MiB", "feed.txt: sent 5.0 MiB"},
		{"log, nothing read", 0, 10, -1, 0, "", ""},
		{"log, stopped early", 0, 10, 1000, 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newUploadBar(&bytes.Buffer{}, false, "feed.txt", tc.size)
			out := send(t, b, tc.total, tc.chunk)
			if strings.Contains(out, "\r") {
				t.Errorf("carriage return off a terminal: %q", out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if out == "" {
				lines = nil
			}
			if len(lines) != tc.wantLines {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), tc.wantLines, out)
			}
			if len(lines) > 0 && (lines[0] != tc.first || lines[len(lines)-1] != tc.last) {
				t.Errorf("first and last lines %q, %q; want %q, %q", lines[0], lines[len(lines)-1], tc.first, tc.last)
			}
		})
	}
}

func TestUploadBarOnTerminal(t *testing.T) {
	b := newUploadBar(&bytes.Buffer{}, true, "feed.txt", 4<<20)
	clock := time.Unix(0, 0)
	b.now = func() time.Time { clock = clock.Add(RedrawEvery / 2); return clock }
	out := send(t, b, 4<<20, 64<<10)
	// 64 reads at half the redraw interval each: every other one is
	// drawn, the last one always, and once more at the stop.
	if draws := strings.Count(out, "\r"); draws < 31 || draws > 35 {
		t.Errorf("%d redraws, want about 33:\n%q", draws, out)
	}
	last := out[strings.LastIndex(out, "\r")+1:]
	if want := "feed.txt [" + strings.Repeat("#", barWidth) + "] 100% 4.0 MiB / 4.0 MiB\n"; last != want {
		t.Errorf("last drawing %q, want %q", last, want)
	}
	if n := strings.Count(out, "\n"); n != 1 {
		t.Errorf("%d line breaks, want one at the end: %q", n, out)
	}

	// Of stdin, the bar counts what was sent.
	b = newUploadBar(&bytes.Buffer{}, true, "stdin", -1)
	b.now = func() time.Time { clock = clock.Add(RedrawEvery); return clock }
	out = send(t, b, 3000, 1000)
	if !strings.HasSuffix(out, "\rstdin: sent 2.9 KiB\n") || !strings.HasPrefix(out, "\rstdin: sent 1000 B") {
		t.Errorf("stdin on a terminal: %q", out)
	}
	// A shorter text blanks out the rest of the longer one before it.
	b = newUploadBar(&bytes.Buffer{}, true, "x", -1)
	b.drawn = 40
	b.draw(true)
	if got, want := b.w.(*bytes.Buffer).String(), "\rx: sent 0 B"+strings.Repeat(" ", 40-len("x: sent 0 B")); got != want {
		t.Errorf("drawn over a longer line: %q, want %q", got, want)
	}
	// A label with control characters does not reach the terminal.
	b = newUploadBar(&bytes.Buffer{}, true, "evil\x1b[2J.txt", 10)
	if out = send(t, b, 10, 10); strings.Contains(out, "\x1b") {
		t.Errorf("escape sequence drawn: %q", out)
	}
}

// TestUploadBarStopWhileReading: the transport may read the body while
// the command stops the bar; run with -race.
func TestUploadBarStopWhileReading(t *testing.T) {
	b := newUploadBar(&bytes.Buffer{}, false, "feed.txt", 1<<20)
	r := b.Reader(bytes.NewReader(make([]byte, 1<<20)))
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 512)
		for {
			if _, err := r.Read(buf); err != nil {
				return
			}
		}
	})
	b.Stop()
	wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.stopped || b.done > 1<<20 {
		t.Errorf("stopped %v, %d bytes counted", b.stopped, b.done)
	}
}

func TestNilUploadBarStops(t *testing.T) {
	var b *UploadBar
	b.Stop()
}

func TestUploadBarOffTerminalByDefault(t *testing.T) {
	var out bytes.Buffer
	if b := NewUploadBar(&out, "f", 1); b.tty {
		t.Error("a buffer is taken for a terminal")
	}
	if IsTerminal(&out) {
		t.Error("IsTerminal(buffer)")
	}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("IsTerminal(regular file)")
	}
}

func TestHumanBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{64 << 20, "64.0 MiB"},
		{5 << 30, "5.0 GiB"},
		{3 << 40, "3.0 TiB"},
		{1 << 62, "4194304.0 TiB"},
	} {
		if got := HumanBytes(tc.n); got != tc.want {
			t.Errorf("HumanBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
