package vulndbcmd

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

func TestJobMeter(t *testing.T) {
	var out bytes.Buffer
	jm := newJobMeter(newMeter(&out, false), "all.zip (source Debian)")
	job := func(phase string, done, total int64) vuln.Job {
		return vuln.Job{Kind: "import", State: vuln.JobRunning, Phase: phase, Done: done, Total: total}
	}
	for _, j := range []vuln.Job{
		job("read", 0, 0), job("read", 0, 5000), job("read", 400, 5000), job("store", 1000, 5000),
		job("read", 1000, 5000), job("store", 2000, 5000), job("read", 2600, 5000), job("read", 5000, 5000),
		job("index", 5000, 5000), {State: vuln.JobDone},
	} {
		jm.update(j)
	}
	jm.done()
	want := `all.zip (source Debian): reading records
all.zip (source Debian): reading records 0% (0/5000)
all.zip (source Debian): storing advisories 20% (1000/5000)
all.zip (source Debian): storing advisories 40% (2000/5000)
all.zip (source Debian): reading records 52% (2600/5000)
all.zip (source Debian): reading records 100% (5000/5000)
all.zip (source Debian): building the index 100% (5000/5000)
`
	if out.String() != want {
		t.Errorf("job progress:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestJobMeterOnTerminal: on a terminal the job's line is drawn again in
// place, at most every clikit.RedrawEvery, a shorter text blanking out
// the rest of a longer one, and done ends the line.
func TestJobMeterOnTerminal(t *testing.T) {
	var out bytes.Buffer
	m := newMeter(&out, true)
	clock := time.Unix(0, 0)
	step := clikit.RedrawEvery / 2
	m.now = func() time.Time { clock = clock.Add(step); return clock }
	jm := newJobMeter(m, "all.zip")
	for done := int64(0); done < 1000; done += 10 {
		jm.update(vuln.Job{Kind: "import", State: vuln.JobRunning, Phase: "read", Done: done, Total: 1000})
	}
	step = clikit.RedrawEvery
	jm.update(vuln.Job{Kind: "import", State: vuln.JobRunning, Phase: "read", Done: 1000, Total: 1000})
	jm.update(vuln.Job{Kind: "import", State: vuln.JobRunning, Phase: "index"})
	jm.done()
	s := out.String()
	// 100 updates at half the redraw interval each: every other one is
	// drawn; then two a whole interval apart, both drawn.
	if draws := strings.Count(s, "\r"); draws != 52 {
		t.Errorf("%d redraws, want 52:\n%q", draws, s)
	}
	last := s[strings.LastIndex(s, "\r")+1:]
	long := len("all.zip: reading records 100% (1000/1000)")
	if want := "all.zip: building the index" + strings.Repeat(" ", long-len("all.zip: building the index")) + "\n"; last != want {
		t.Errorf("last drawing %q, want %q", last, want)
	}
	if n := strings.Count(s, "\n"); n != 1 {
		t.Errorf("%d line breaks, want one at the end: %q", n, s)
	}
}

func TestProgressText(t *testing.T) {
	for _, tc := range []struct {
		j    vuln.Job
		want string
	}{
		{vuln.Job{Phase: "download", Done: 3 << 20, Total: 12 << 20}, "25% (3.0 MiB/12.0 MiB)"},
		{vuln.Job{Phase: "download", Done: 1536}, "1.5 KiB"},
		{vuln.Job{Phase: "read", Done: 7, Total: 5}, "100% (7/5)"},
		{vuln.Job{Phase: "index"}, ""},
	} {
		if got := progressText(tc.j); got != tc.want {
			t.Errorf("progressText(%+v) = %q, want %q", tc.j, got, tc.want)
		}
	}
}
