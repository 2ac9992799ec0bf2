package vulndbcmd

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/vuln"
)

// upload sends total bytes through a bar in reads of chunk bytes.
func upload(t *testing.T, m *meter, total, chunk int) {
	t.Helper()
	bar := &bytesBar{m: m, label: "feed.zip (source feed)", total: int64(total)}
	r := &countingReader{r: bytes.NewReader(make([]byte, total)), bar: bar}
	buf := make([]byte, chunk)
	for {
		if _, err := r.Read(buf); err == io.EOF {
			break
		}
	}
	r.stop()
	before := m.w.(*bytes.Buffer).Len()
	if _, err := r.Read(buf); err != io.EOF || m.w.(*bytes.Buffer).Len() != before {
		t.Errorf("read after stop: %v, and the bar moved", err)
	}
}

func TestBarOffTerminalWritesTenLines(t *testing.T) {
	var out bytes.Buffer
	upload(t, newMeter(&out, false), 1000, 7)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d lines, want one per 10 %% step:\n%s", len(lines), out.String())
	}
	if lines[0] != "feed.zip (source feed): sent 0% (7 B of 1000 B)" || lines[10] != "feed.zip (source feed): sent 100% (1000 B of 1000 B)" {
		t.Errorf("first and last lines %q, %q", lines[0], lines[10])
	}
	if strings.Contains(out.String(), "\r") {
		t.Error("carriage return off a terminal")
	}
}

func TestBarOnTerminalRedraws(t *testing.T) {
	var out bytes.Buffer
	m := newMeter(&out, true)
	clock := time.Unix(0, 0)
	m.now = func() time.Time { clock = clock.Add(redrawEvery / 2); return clock }
	upload(t, m, 4<<20, 64<<10)
	s := out.String()
	draws := strings.Count(s, "\r")
	// 64 reads at half the redraw interval each: every other one is
	// drawn, and the last always is.
	if draws < 30 || draws > 34 {
		t.Errorf("%d redraws, want about 32:\n%q", draws, s)
	}
	last := s[strings.LastIndex(s, "\r")+1:]
	want := "feed.zip (source feed) [" + strings.Repeat("#", barWidth) + "] 100% 4.0 MiB / 4.0 MiB\n"
	if last != want {
		t.Errorf("last draw %q, want %q", last, want)
	}
	if strings.Count(s, "\n") != 1 {
		t.Errorf("want one line break at the end, got %q", s)
	}
}

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
