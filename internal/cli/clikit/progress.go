package clikit

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// RedrawEvery bounds how often progress on a terminal is drawn again.
const RedrawEvery = 100 * time.Millisecond

// barWidth is the number of cells of the upload bar on a terminal.
const barWidth = 30

// IsTerminal reports whether w is a terminal, where progress is drawn
// again in place; elsewhere (a log, a pipe) it is written as lines.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// UploadBar shows how much of a file was sent, on stderr: on a terminal
// a line drawn again in place (at most every RedrawEvery), elsewhere a
// line at each 10 % so that logs stay readable, or, when the size is not
// known (stdin), one line at the end. It is safe for the HTTP transport's
// reads and Stop to run at once; a nil bar does nothing.
type UploadBar struct {
	w     io.Writer
	tty   bool
	now   func() time.Time
	label string
	total int64 // -1 when unknown

	mu       sync.Mutex
	done     int64
	drawn    int // width of the line on the terminal, to blank it out
	lastDraw time.Time
	decile   int // last 10 % step written as a line, -1 before any
	stopped  bool
}

// NewUploadBar returns a bar for a file named label of total bytes (-1
// when unknown) that writes to w, drawn in place when w is a terminal.
func NewUploadBar(w io.Writer, label string, total int64) *UploadBar {
	return newUploadBar(w, IsTerminal(w), label, total)
}

func newUploadBar(w io.Writer, tty bool, label string, total int64) *UploadBar {
	return &UploadBar{w: w, tty: tty, now: time.Now, label: Clean(label), total: total, decile: -1}
}

// Reader returns r counting what is read from it into the bar.
func (b *UploadBar) Reader(r io.Reader) io.Reader { return &barReader{r: r, bar: b} }

// add counts n more bytes sent.
func (b *UploadBar) add(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped || n <= 0 {
		return
	}
	b.done += int64(n)
	b.draw(b.total >= 0 && b.done >= b.total)
}

// Stop draws the bar a last time and ends its line; later reads are not
// shown. The transport may still read the body after the center
// answered.
func (b *UploadBar) Stop() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	b.stopped = true
	switch {
	case b.tty:
		if b.done > 0 || b.drawn > 0 {
			b.draw(true)
			fmt.Fprintln(b.w)
		}
	case b.total < 0 && b.done > 0:
		fmt.Fprintf(b.w, "%s: sent %s\n", b.label, HumanBytes(b.done))
	}
}

// draw shows the bar; final draws it on a terminal even when it was
// drawn a moment ago. b.mu is held.
func (b *UploadBar) draw(final bool) {
	frac := -1.0
	if b.total > 0 {
		frac = min(float64(b.done)/float64(b.total), 1)
	}
	if b.tty {
		now := b.now()
		if !final && now.Sub(b.lastDraw) < RedrawEvery {
			return
		}
		b.lastDraw = now
		text := fmt.Sprintf("%s: sent %s", b.label, HumanBytes(b.done))
		if frac >= 0 {
			cells := int(frac * barWidth)
			text = fmt.Sprintf("%s [%s%s] %3d%% %s / %s", b.label, strings.Repeat("#", cells), strings.Repeat(".", barWidth-cells),
				int(frac*100), HumanBytes(b.done), HumanBytes(b.total))
		}
		fmt.Fprintf(b.w, "\r%s%s", text, strings.Repeat(" ", max(b.drawn-len(text), 0)))
		b.drawn = len(text)
		return
	}
	if frac < 0 {
		return
	}
	step := min(int(frac*10), 10)
	if step <= b.decile {
		return
	}
	b.decile = step
	fmt.Fprintf(b.w, "%s: sent %d%% (%s of %s)\n", b.label, int(frac*100), HumanBytes(b.done), HumanBytes(b.total))
}

// barReader tells its bar about every read.
type barReader struct {
	r   io.Reader
	bar *UploadBar
}

func (r *barReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.bar.add(n)
	return n, err
}

// HumanBytes is n in B, KiB, MiB, GiB or TiB.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, exp := float64(n)/unit, 0
	for v >= unit && exp < 3 {
		v /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"KiB", "MiB", "GiB", "TiB"}[exp])
}
