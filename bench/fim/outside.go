package main

// The "outside" sub-command: the real fim sensor (fanotify, default
// settings, watching a small tree in a temporary directory) runs in a
// child process while another child writes heavily on the same
// filesystem outside that tree; the report gives the sensor's CPU under
// each kind of fanotify mark.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/fim"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/notify"
	"github.com/vigilsec/vigil/internal/event"
)

// outsideConfig is the sub-command's flags.
type outsideConfig struct {
	marks   []string
	writeMB int
	files   int
	idle    time.Duration
	dir     string
	repeat  int
	output  string
}

// sensorLine is one line a sensor child prints.
type sensorLine struct {
	Type   string                `json:"type"` // ready, event, stats
	Action string                `json:"action,omitempty"`
	Path   string                `json:"path,omitempty"`
	PID    string                `json:"pid,omitempty"`
	Stats  *notify.FanotifyStats `json:"stats,omitempty"`
	Mech   string                `json:"mechanism,omitempty"`
	Events uint64                `json:"events,omitempty"`
	Lost   uint64                `json:"lost,omitempty"`
	UserUS int64                 `json:"user_us,omitempty"`
	SysUS  int64                 `json:"sys_us,omitempty"`
}

// outsideResult is one run's figures.
type outsideResult struct {
	Marks       string  `json:"marks"`
	Mechanism   string  `json:"mechanism"`
	IdleSec     float64 `json:"idle_sec"`
	IdleCPUSec  float64 `json:"idle_cpu_sec"`
	IdleReads   uint64  `json:"idle_reads"`
	IdleRecords uint64  `json:"idle_records"`
	LoadSec     float64 `json:"load_sec"`
	WriterSec   float64 `json:"writer_sec"`
	CPUSec      float64 `json:"cpu_sec"`
	UserSec     float64 `json:"user_sec"`
	SysSec      float64 `json:"sys_sec"`
	CPUPercent  float64 `json:"cpu_percent_of_one_core"`
	Reads       uint64  `json:"reads"`
	Records     uint64  `json:"records"`
	Events      uint64  `json:"events"`
	Lost        uint64  `json:"lost"`
	InodeMarks  int     `json:"inode_marks"`
	FSMarks     int     `json:"filesystem_marks"`
}

func runOutside(args []string) error {
	fs := flag.NewFlagSet("outside", flag.ExitOnError)
	marks := fs.String("marks", "filesystem,inode", "fanotify marks to compare, comma-separated (inode, filesystem)")
	var cfg outsideConfig
	fs.IntVar(&cfg.writeMB, "write-mb", 200, "MiB written outside the watched tree, in 4 KiB writes")
	fs.IntVar(&cfg.files, "files", 20000, "small files created and deleted outside the watched tree")
	fs.DurationVar(&cfg.idle, "idle", 5*time.Second, "window measured before the writes, without them (0: none)")
	fs.StringVar(&cfg.dir, "dir", os.TempDir(), "directory for the watched tree and the writes (one filesystem)")
	fs.IntVar(&cfg.repeat, "repeat", 1, "runs of each kind of marks")
	fs.StringVar(&cfg.output, "o", "text", "output: text or json")
	_ = fs.Parse(args)
	cfg.marks = strings.Split(*marks, ",")
	var results []outsideResult
	for range max(cfg.repeat, 1) {
		for _, m := range cfg.marks {
			r, err := outsideRun(cfg, strings.TrimSpace(m))
			if err != nil {
				return fmt.Errorf("marks %s: %w", m, err)
			}
			results = append(results, r)
		}
	}
	if cfg.output == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"write_mib": cfg.writeMB, "files": cfg.files, "cores": runtime.NumCPU(), "results": results})
	}
	fmt.Printf("writes outside the watched tree: %d MiB in 4 KiB writes, %d small files created and deleted; %d cores\n\n",
		cfg.writeMB, cfg.files, runtime.NumCPU())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "marks\tidle CPU s\tidle reads\tload s\tsensor CPU s\tuser s\tsys s\t% of a core\treads\trecords\tevents\tlost\tinode marks\tfs marks\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.3f / %.0fs\t%d\t%.1f\t%.3f\t%.3f\t%.3f\t%.1f\t%d\t%d\t%d\t%d\t%d\t%d\t\n",
			r.Marks, r.IdleCPUSec, r.IdleSec, r.IdleReads, r.LoadSec, r.CPUSec, r.UserSec, r.SysSec, r.CPUPercent,
			r.Reads, r.Records, r.Events, r.Lost, r.InodeMarks, r.FSMarks)
	}
	_ = tw.Flush()
	fmt.Println("\nload s: from the start of the writes until the sensor reported a file written in the watched tree after them;")
	fmt.Println("reads: wake-ups of the sensor by fanotify; records: events read from it; lost: kernel queue overflows.")
	return nil
}

// outsideRun measures one kind of marks.
func outsideRun(cfg outsideConfig, marks string) (outsideResult, error) {
	res := outsideResult{Marks: marks}
	base, err := os.MkdirTemp(cfg.dir, "vigil-bench-fim-outside-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(base)
	tree, outside, data := filepath.Join(base, "watched"), filepath.Join(base, "outside"), filepath.Join(base, "data")
	for d := range 5 {
		for f := range 10 {
			p := filepath.Join(tree, fmt.Sprintf("d%d", d), fmt.Sprintf("f%d.conf", f))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return res, err
			}
			if err := os.WriteFile(p, []byte("key = value\n"), 0o644); err != nil {
				return res, err
			}
		}
	}
	for _, d := range []string{outside, data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return res, err
		}
	}
	var a, b unix.Stat_t
	if unix.Stat(tree, &a) != nil || unix.Stat(outside, &b) != nil || a.Dev != b.Dev {
		return res, errors.New("the watched tree and the writes are not on one filesystem")
	}

	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	sensor := exec.Command(self, "outside-sensor", "--tree", tree, "--data", data, "--marks", marks)
	sensor.Stderr = os.Stderr
	stdin, err := sensor.StdinPipe()
	if err != nil {
		return res, err
	}
	stdout, err := sensor.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := sensor.Start(); err != nil {
		return res, err
	}
	defer func() {
		stdin.Close()
		_ = sensor.Wait()
	}()
	lines := make(chan sensorLine, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l sensorLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				lines <- l
			}
		}
	}()
	wait := func(what string, want func(sensorLine) bool) (sensorLine, error) {
		deadline := time.After(10 * time.Minute)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					return l, fmt.Errorf("sensor ended before %s", what)
				}
				if want(l) {
					return l, nil
				}
			case <-deadline:
				return sensorLine{}, fmt.Errorf("no %s", what)
			}
		}
	}
	stats := func() (sensorLine, error) {
		if _, err := io.WriteString(stdin, "stats\n"); err != nil {
			return sensorLine{}, err
		}
		return wait("stats", func(l sensorLine) bool { return l.Type == "stats" })
	}
	if _, err := wait("baseline", func(l sensorLine) bool { return l.Type == "ready" }); err != nil {
		return res, err
	}

	s0, err := stats()
	if err != nil {
		return res, err
	}
	res.Mechanism = s0.Mech
	if cfg.idle > 0 {
		begin := time.Now()
		time.Sleep(cfg.idle)
		s1, err := stats()
		if err != nil {
			return res, err
		}
		res.IdleSec = time.Since(begin).Seconds()
		res.IdleCPUSec = float64(s1.UserUS+s1.SysUS-s0.UserUS-s0.SysUS) / 1e6
		res.IdleReads = s1.Stats.Reads - s0.Stats.Reads
		res.IdleRecords = s1.Stats.Records - s0.Stats.Records
		s0 = s1
	}

	begin := time.Now()
	writer := exec.Command(self, "outside-writer", "--outside", outside,
		"--write-mb", fmt.Sprint(cfg.writeMB), "--files", fmt.Sprint(cfg.files))
	writer.Stderr, writer.Stdout = os.Stderr, os.Stderr
	if err := writer.Run(); err != nil {
		return res, fmt.Errorf("writer: %w", err)
	}
	res.WriterSec = time.Since(begin).Seconds()
	// A file written in the tree after the writes: its event comes after
	// every event the writes queued.
	sentinel := filepath.Join(tree, "d0", "sentinel.conf")
	if err := os.WriteFile(sentinel, []byte("end\n"), 0o644); err != nil {
		return res, err
	}
	if _, err := wait("sentinel event", func(l sensorLine) bool { return l.Type == "event" && l.Path == sentinel }); err != nil {
		return res, err
	}
	res.LoadSec = time.Since(begin).Seconds()
	s1, err := stats()
	if err != nil {
		return res, err
	}
	res.UserSec = float64(s1.UserUS-s0.UserUS) / 1e6
	res.SysSec = float64(s1.SysUS-s0.SysUS) / 1e6
	res.CPUSec = res.UserSec + res.SysSec
	res.CPUPercent = 100 * res.CPUSec / res.LoadSec
	res.Reads = s1.Stats.Reads - s0.Stats.Reads
	res.Records = s1.Stats.Records - s0.Stats.Records
	res.Events = s1.Events - s0.Events
	res.Lost = s1.Lost - s0.Lost
	res.InodeMarks, res.FSMarks = s1.Stats.InodeMarks, s1.Stats.FilesystemMarks
	return res, nil
}

// runOutsideSensor runs the fim sensor on a tree with default settings
// but for the paths and the marks, printing one JSON line when the
// baseline is done, one per file event, and its figures for each "stats"
// line read on stdin; it stops at the end of stdin.
func runOutsideSensor(args []string) error {
	fs := flag.NewFlagSet("outside-sensor", flag.ExitOnError)
	tree := fs.String("tree", "", "watched tree")
	data := fs.String("data", "", "data directory")
	marks := fs.String("marks", "inode", "fanotify marks")
	_ = fs.Parse(args)
	s := fim.New()
	settings, _ := json.Marshal(map[string]any{"paths": []string{*tree}, "mechanism": "fanotify", "fanotify_marks": *marks})
	if err := s.ApplySettings(settings); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := s.Configure(plugin.Env{Root: "/", DataDir: *data, HostID: "bench", Logger: logger}); err != nil {
		return err
	}
	out := &lineWriter{w: bufio.NewWriter(os.Stdout)}
	em := &benchEmitter{out: out}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, em) }()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() != "stats" {
			continue
		}
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		st := s.FanotifyStats()
		em.mu.Lock()
		events, lost := em.events, em.lost
		em.mu.Unlock()
		out.print(sensorLine{Type: "stats", Stats: &st, Mech: s.Mechanism(), Events: events, Lost: lost,
			UserUS: ru.Utime.Sec*1e6 + ru.Utime.Usec, SysUS: ru.Stime.Sec*1e6 + ru.Stime.Usec})
	}
	cancel()
	return <-done
}

// benchEmitter prints the sensor's events as JSON lines.
type benchEmitter struct {
	out          *lineWriter
	mu           sync.Mutex
	events, lost uint64
}

func (b *benchEmitter) Emit(e event.Event) {
	b.mu.Lock()
	b.events++
	b.mu.Unlock()
	if e.String(event.FieldAction) == fim.ActionBaselineCompleted {
		b.out.print(sensorLine{Type: "ready"})
		return
	}
	b.out.print(sensorLine{Type: "event", Action: e.String(event.FieldAction), Path: e.String(event.FieldFilePath),
		PID: e.String(event.FieldProcessPID)})
}

func (b *benchEmitter) Lost(n uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lost += n
}

// lineWriter prints JSON lines from several goroutines.
type lineWriter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (l *lineWriter) print(v any) {
	b, _ := json.Marshal(v)
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(append(b, '\n'))
	_ = l.w.Flush()
}

// runOutsideWriter writes writeMB MiB in 4 KiB writes to one file and
// creates then deletes files small files, all in dir.
func runOutsideWriter(args []string) error {
	fs := flag.NewFlagSet("outside-writer", flag.ExitOnError)
	dir := fs.String("outside", "", "directory written in")
	writeMB := fs.Int("write-mb", 200, "MiB written")
	files := fs.Int("files", 20000, "small files")
	_ = fs.Parse(args)
	big := filepath.Join(*dir, "big.bin")
	f, err := os.OpenFile(big, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	chunk := make([]byte, 4096)
	for i := range *writeMB * 256 {
		chunk[0] = byte(i)
		if _, err := f.Write(chunk); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Remove(big); err != nil {
		return err
	}
	small := []byte("small file content\n")
	var paths []string
	for i := range *files {
		d := filepath.Join(*dir, fmt.Sprintf("s%03d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		p := filepath.Join(d, fmt.Sprintf("f%05d", i))
		if err := os.WriteFile(p, small, 0o644); err != nil {
			return err
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}
