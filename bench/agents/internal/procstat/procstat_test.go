package procstat

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name    string
		in      []Sample
		want    Usage
		wantErr bool
	}{
		{name: "none", wantErr: true},
		{name: "one", in: []Sample{{At: t0}}, wantErr: true},
		{name: "no time", in: []Sample{{At: t0}, {At: t0}}, wantErr: true},
		{
			name: "half a core",
			in: []Sample{
				{At: t0, RSSBytes: 100, CPUSeconds: 10, OpenFiles: 5, Threads: 3},
				{At: t0.Add(time.Second), RSSBytes: 300, CPUSeconds: 10.5, OpenFiles: 6, Threads: 4},
				{At: t0.Add(2 * time.Second), RSSBytes: 200, CPUSeconds: 11, OpenFiles: 7, Threads: 4},
			},
			want: Usage{WindowSeconds: 2, CPUPercent: 50, RSSMeanBytes: 200, RSSMaxBytes: 300, RSSLastBytes: 200, OpenFiles: 7, Threads: 4, Samples: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Summarize(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Summarize error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Summarize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadSelf(t *testing.T) {
	s, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSSBytes == 0 || s.OpenFiles == 0 || s.Threads == 0 {
		t.Errorf("implausible sample of this process: %+v", s)
	}
	if _, err := Read(-1); err == nil {
		t.Error("Read(-1) succeeded")
	}
	if lim, err := OpenFilesLimit(os.Getpid()); err != nil || lim == 0 {
		t.Errorf("OpenFilesLimit = %d, %v", lim, err)
	}
}

func TestMeasure(t *testing.T) {
	u, err := Measure(context.Background(), []int{os.Getpid()}, 30*time.Millisecond, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(u) != 1 || u[0].Samples < 2 || u[0].RSSMaxBytes == 0 {
		t.Errorf("Measure = %+v", u)
	}
	if _, err := Measure(context.Background(), []int{os.Getpid()}, time.Millisecond, time.Second); err == nil {
		t.Error("Measure accepted a window shorter than the interval")
	}
}

func TestMachineBusy(t *testing.T) {
	a, err := MachineBusy()
	if err != nil {
		t.Fatal(err)
	}
	b, err := MachineBusy()
	if err != nil {
		t.Fatal(err)
	}
	if a <= 0 || b < a {
		t.Errorf("MachineBusy went from %v to %v", a, b)
	}
}
