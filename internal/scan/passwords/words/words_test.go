package words_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/scan/passwords/words"
)

func TestBuiltin(t *testing.T) {
	list := words.Builtin()
	if len(list) < 900 || len(list) > 1200 {
		t.Errorf("%d built-in words, want about 1,000", len(list))
	}
	seen := map[string]bool{}
	for _, w := range list {
		if err := words.Valid(w); err != nil {
			t.Errorf("word %q: %v", w, err)
		}
		if !utf8.ValidString(w) || strings.TrimSpace(w) != w {
			t.Errorf("word %q: not UTF-8, or blanks around it", w)
		}
		if seen[w] {
			t.Errorf("word %q twice", w)
		}
		seen[w] = true
	}
	// One of each family the list is for.
	for _, w := range []string{"123456", "P@ssw0rd", "1qaz2wsx", "1qaz@WSX", "Huawei@123", "woaini1314", "5201314",
		"Summer2024!", "Admin@2025", "raspberry", "calvin", "qwertyuiop", "zhang123", "Sangfor@123", "Changeme_123"} {
		if !seen[w] {
			t.Errorf("%q is missing", w)
		}
	}
	if list[0] != "123456" {
		t.Errorf("first word %q", list[0])
	}
	list[0] = "changed"
	if words.Builtin()[0] != "123456" {
		t.Error("Builtin hands out its own slice")
	}
}

func TestDerived(t *testing.T) {
	got := words.Derived("alice", "web01.example.com")
	for _, w := range []string{"alice", "alice123", "alice@123", "Alice@123", "Alice123!", "ecila", "alicealice",
		"ALICE", "web01", "web01@123", "Web01@123", "alice@web01", "alicepwd"} {
		if !slices.Contains(got, w) {
			t.Errorf("Derived lacks %q: %q", w, got)
		}
	}
	if got[0] != "alice" {
		t.Errorf("first candidate %q", got[0])
	}
	if len(got) != len(words.Dedupe(got)) {
		t.Error("Derived repeats words")
	}
	if d := words.Derived("", ""); len(d) != 0 {
		t.Errorf("Derived of nothing: %q", d)
	}
	if d := words.Derived("", "db.example.com"); !slices.Contains(d, "db@123") || slices.Contains(d, "@db") {
		t.Errorf("Derived of a host only: %q", d)
	}
	// A name whose forms coincide gives each once.
	if d := words.Derived("1", "1"); len(d) != len(words.Dedupe(d)) || !slices.Contains(d, "1@123") {
		t.Errorf("Derived(1, 1): %q", d)
	}
}

func TestCandidates(t *testing.T) {
	got := words.Candidates("root", "", []string{"root", "Extra#1", "123456", "Extra#1", "", "bad\x00"}, []string{"last"})
	if got[0] != "root" || !slices.Contains(got, "Extra#1") || got[len(got)-1] != "last" {
		t.Errorf("order: first %q, last %q", got[0], got[len(got)-1])
	}
	if n := len(words.Derived("root", "")) + len(words.Builtin()); len(got) != n+2-overlap("root") {
		t.Errorf("%d candidates, want %d", len(got), n+2-overlap("root"))
	}
	for _, w := range got {
		if words.Valid(w) != nil {
			t.Errorf("invalid candidate %q", w)
		}
	}
	if i, j := slices.Index(got, "root123"), slices.Index(got, "123456"); i < 0 || j < 0 || i > j {
		t.Errorf("derived words come after built-in ones: %d, %d", i, j)
	}
}

// overlap counts the words Derived(user) shares with the built-in list.
func overlap(user string) int {
	n := 0
	b := words.Builtin()
	for _, w := range words.Derived(user, "") {
		if slices.Contains(b, w) {
			n++
		}
	}
	return n
}

func TestParse(t *testing.T) {
	long := strings.Repeat("x", words.MaxWordBytes+1)
	tests := []struct {
		name  string
		data  string
		want  []string
		stats words.ListStats
		err   error
	}{
		{"empty", "", nil, words.ListStats{}, nil},
		{"plain", "a\nb b\n c\n", []string{"a", "b b", " c"}, words.ListStats{Lines: 3}, nil},
		{"crlf and no final newline", "a\r\nb", []string{"a", "b"}, words.ListStats{Lines: 2}, nil},
		{"blank lines", "\n\r\na\n\n", []string{"a"}, words.ListStats{Lines: 4}, nil},
		{"duplicates keep the first", "b\na\nb\na\n", []string{"b", "a"}, words.ListStats{Lines: 4, Duplicates: 2}, nil},
		{"too long and NUL", long + "\nok\nx\x00y\n", []string{"ok"}, words.ListStats{Lines: 3, TooLong: 1, Invalid: 1}, nil},
		{"a '#' is a word", "#secret\n", []string{"#secret"}, words.ListStats{Lines: 1}, nil},
		{"too many words", strings.Repeat("w\n", 1) + manyWords(words.MaxWords+1), nil, words.ListStats{}, words.ErrTooLarge},
		{"too large", strings.Repeat("y", words.MaxListBytes+1), nil, words.ListStats{}, words.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st, err := words.Parse([]byte(tt.data))
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("words (-want +got):\n%s", d)
			}
			if st != tt.stats {
				t.Errorf("stats %+v, want %+v", st, tt.stats)
			}
		})
	}
}

func manyWords(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("w")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(itoa(i))
		b.WriteByte('\n')
	}
	return b.String()
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(path, []byte("one\ntwo\none\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, st, err := words.ReadFile(path)
	if err != nil || !slices.Equal(got, []string{"one", "two"}) || st.Duplicates != 1 {
		t.Errorf("ReadFile: %q %+v %v", got, st, err)
	}
	if _, _, err := words.ReadFile(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(big, []byte(strings.Repeat("z", words.MaxListBytes+10)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := words.ReadFile(big); !errors.Is(err, words.ErrTooLarge) || !strings.Contains(err.Error(), big) {
		t.Errorf("large file: %v", err)
	}
}

// FuzzParse: every word Parse returns is valid and unique, and the
// counts add up to the lines.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "a\nb\n", "a\r\n\r\nb", "x\x00\n", strings.Repeat("q", 200) + "\nok", "dup\ndup\n", "\n\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, st, err := words.Parse(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, w := range got {
			if words.Valid(w) != nil || seen[w] {
				t.Fatalf("word %q invalid or repeated", w)
			}
			seen[w] = true
		}
		if len(got)+st.Duplicates+st.TooLong+st.Invalid > st.Lines {
			t.Fatalf("%d words and %+v from %d lines", len(got), st, st.Lines)
		}
	})
}
