package baselinecmd_test

import (
	"testing"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/cli/baselinecmd"
)

func TestHourBar(t *testing.T) {
	var office, one, flat [24]int64
	office[9], office[10], office[14], office[18] = 16, 8, 2, 1
	one[23] = 1
	for h := range flat {
		flat[h] = 5
	}
	for _, tc := range []struct {
		name  string
		hours [24]int64
		want  string
	}{
		{"none", [24]int64{}, "........................"},
		{"office", office, ".........█▄...▁...▁....."},
		{"one login", one, ".......................█"},
		{"flat", flat, "████████████████████████"},
	} {
		if got := baselinecmd.HourBar(tc.hours); got != tc.want {
			t.Errorf("%s: HourBar = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// FuzzHourBar: any counts the center sends give 24 cells, the busiest
// hour full.
func FuzzHourBar(f *testing.F) {
	f.Add(int64(0), int64(1), int64(5), int64(1<<62), int64(-3), uint8(7))
	f.Add(int64(9), int64(9), int64(9), int64(9), int64(0), uint8(23))
	f.Fuzz(func(t *testing.T, a, b, c, d, e int64, at uint8) {
		var hours [24]int64
		for i, n := range []int64{a, b, c, d, e} {
			hours[(int(at)+i*5)%24] = n
		}
		got := baselinecmd.HourBar(hours)
		if n := utf8.RuneCountInString(got); n != 24 {
			t.Fatalf("HourBar(%v) = %q: %d cells", hours, got, n)
		}
		var peak int64
		for _, n := range hours {
			peak = max(peak, n)
		}
		for h, r := range []rune(got) {
			if (hours[h] <= 0) != (r == '.') {
				t.Errorf("hour %d (%d logins) drawn %q", h, hours[h], r)
			}
			if hours[h] == peak && peak > 0 && r != '█' {
				t.Errorf("busiest hour %d drawn %q", h, r)
			}
		}
	})
}
