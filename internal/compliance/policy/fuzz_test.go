package policy

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yml")
	more, _ := filepath.Glob("testdata/bad/*/*.yml")
	for _, file := range append(files, more...) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("format: 1\nchecks: [{rules: [{not: true}]}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yml", data)
		if err == nil {
			if p == nil || len(p.Checks) == 0 {
				t.Fatal("no error and no policy")
			}
			_ = p.Digest()
			return
		}
		if len(Problems(err)) == 0 {
			t.Fatalf("an error without a problem: %v", err)
		}
	})
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{"sshd -T", `stat -c "%a %U" /etc/x`, "a 'b c' d", `"\"`, "rpm -q --pipe sh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		argv, err := SplitCommand(s)
		if err == nil && len(argv) == 0 {
			t.Fatal("no words and no error")
		}
		if err == nil {
			_ = CheckCommand(argv)
		}
	})
}
