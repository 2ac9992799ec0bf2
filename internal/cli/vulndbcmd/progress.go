package vulndbcmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// meter shows how far a job has come, on stderr: on a terminal a line
// drawn again in place (at most every clikit.RedrawEvery), elsewhere a
// line at each 10 % so that logs stay readable.
type meter struct {
	w   io.Writer
	tty bool
	now func() time.Time
	// drawn is the width of the line on the terminal, to blank it out.
	drawn    int
	lastDraw time.Time
	// decile is the last 10 % step written as a line, -1 before any.
	decile int
}

func newMeter(w io.Writer, tty bool) *meter {
	return &meter{w: w, tty: tty, now: time.Now, decile: -1}
}

// show writes text, which is at fraction (0 to 1, or below 0 when
// unknown) of the way: redrawn on a terminal unless it was drawn a moment
// ago, else as a line when a new 10 % step is reached.
func (m *meter) show(text string, fraction float64) {
	text = clikit.Clean(text)
	if m.tty {
		now := m.now()
		if now.Sub(m.lastDraw) < clikit.RedrawEvery {
			return
		}
		m.lastDraw = now
		pad := max(m.drawn-len(text), 0)
		fmt.Fprintf(m.w, "\r%s%s", text, strings.Repeat(" ", pad))
		m.drawn = len(text)
		return
	}
	if fraction < 0 {
		return
	}
	step := min(int(fraction*10), 10)
	if step <= m.decile {
		return
	}
	m.decile = step
	fmt.Fprintln(m.w, text)
}

// line writes a line of its own: on a terminal it ends the line drawn
// in place first.
func (m *meter) line(text string) {
	m.end()
	fmt.Fprintln(m.w, clikit.Clean(text))
}

// end finishes the line drawn in place, if any, and starts the 10 %
// steps again.
func (m *meter) end() {
	if m.tty && m.drawn > 0 {
		fmt.Fprintln(m.w)
	}
	m.drawn = 0
	m.decile = -1
}

// jobMeter shows a job's phase and progress as it is polled. Off a
// terminal it writes a line when a phase first shows and at each 10 %
// of a count; the importer going back and forth between reading and
// storing does not repeat lines.
type jobMeter struct {
	m     *meter
	label string
	seen  map[string]bool
	total int64
}

func newJobMeter(m *meter, label string) *jobMeter {
	return &jobMeter{m: m, label: label, seen: map[string]bool{}}
}

// update shows j.
func (jm *jobMeter) update(j vuln.Job) {
	if j.State != vuln.JobRunning || j.Phase == "" {
		return
	}
	frac := -1.0
	if j.Total > 0 {
		frac = min(float64(j.Done)/float64(j.Total), 1)
	}
	text := strings.TrimSpace(fmt.Sprintf("%s: %s %s", jm.label, phaseText(j), progressText(j)))
	if j.Total != jm.total {
		jm.total = j.Total
		jm.m.decile = -1
	}
	if !jm.seen[j.Phase] {
		jm.seen[j.Phase] = true
		if !jm.m.tty {
			jm.m.line(text)
			if frac >= 0 {
				jm.m.decile = min(int(frac*10), 10)
			}
			return
		}
	}
	jm.m.show(text, frac)
}

// done ends the meter's line.
func (jm *jobMeter) done() { jm.m.end() }

// phaseText names what a job is doing.
func phaseText(j vuln.Job) string {
	what := map[string]string{
		"download": "downloading", "read": "reading records", "store": "storing advisories",
		"index": "building the index", "match": "matching the fleet",
	}[j.Phase]
	if what == "" {
		what = j.Phase
	}
	if j.Kind == "sync" && j.Source != "" {
		what = j.Source + ": " + what
	}
	return what
}

// progressText is "45% (450/1000)", bytes for a download; "" when the
// job gives no figures.
func progressText(j vuln.Job) string {
	count := func(n int64) string { return fmt.Sprint(n) }
	if j.Phase == "download" {
		count = clikit.HumanBytes
	}
	switch {
	case j.Total > 0:
		return fmt.Sprintf("%d%% (%s/%s)", min(j.Done*100/j.Total, 100), count(j.Done), count(j.Total))
	case j.Done > 0:
		return count(j.Done)
	}
	return ""
}
