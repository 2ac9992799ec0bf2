package persist

import (
	"slices"
	"strings"
	"testing"
)

func TestLineDiff(t *testing.T) {
	old := encodeLines([]byte("#!/bin/sh\nPATH=/bin\n\nrun\n"))
	tests := []struct {
		name, body     string
		max            int
		shown          []string
		added, removed int
	}{
		{"unchanged", "#!/bin/sh\nPATH=/bin\n\nrun\n", 5, nil, 0, 0},
		{"appended", "#!/bin/sh\nPATH=/bin\n\nrun\ncurl x | sh\r\n", 5, []string{"curl x | sh"}, 1, 0},
		{"comments and blanks counted, not shown", "#!/bin/sh\nPATH=/bin\nrun\n# note\n   \nnew\n", 5, []string{"new"}, 3, 1},
		{"repeats once", "x\nx\nx\n", 5, []string{"x"}, 1, 4},
		{"bounded", "a\nb\nc\n", 2, []string{"a", "b"}, 3, 4},
		{"shebang shown", "#!/usr/bin/env python3\n", 5, []string{"#!/usr/bin/env python3"}, 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shown, added, removed := lineDiff(tt.body, old, tt.max)
			if !slices.Equal(shown, tt.shown) || added != tt.added || removed != tt.removed {
				t.Errorf("lineDiff = %q, +%d, -%d; want %q, +%d, -%d", shown, added, removed, tt.shown, tt.added, tt.removed)
			}
		})
	}
	// A new file: every line is new.
	if shown, added, _ := lineDiff("a\nb\n", "", 5); len(shown) != 2 || added != 2 {
		t.Errorf("new file: %q %d", shown, added)
	}
	if long, _, _ := lineDiff(strings.Repeat("é", 600)+"\n", "", 1); len(long[0]) > maxLineBytes+len("…") {
		t.Errorf("line not clipped: %d bytes", len(long[0]))
	}
	if decodeLines("not base64!") != nil || decodeLines("AAAA") != nil {
		t.Error("bad encodings decoded")
	}
	if isText([]byte("ELF\x00\x01")) || !isText([]byte("text")) {
		t.Error("isText")
	}
}

func FuzzLineDiff(f *testing.F) {
	f.Add("a\nb\n", "a\nc\n", 3)
	f.Add("#!/bin/sh\n\r\n# x\n", "", 1)
	f.Fuzz(func(t *testing.T, body, old string, max int) {
		max = max%50 + 1
		if max < 1 {
			max = 1
		}
		shown, added, removed := lineDiff(body, encodeLines([]byte(old)), max)
		if len(shown) > max || len(shown) > added || added < 0 || removed < 0 {
			t.Fatalf("shown %d (max %d), added %d, removed %d", len(shown), max, added, removed)
		}
	})
}
