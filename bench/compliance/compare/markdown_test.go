package compare

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestDocHasTheTable keeps the mapping table of the documentation the
// table of the code (regenerate it with `go run ./bench/compliance --table`).
func TestDocHasTheTable(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdownTable(&buf, Rows()); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../../docs/compliance-lynis.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), buf.String()) {
		t.Error("docs/compliance-lynis.md does not hold the current mapping table: paste the output of `go run ./bench/compliance --table` between its table markers")
	}
}

func TestMarkdownCellEscapes(t *testing.T) {
	if got := cell("a|b\nc"); got != `a\|b c` {
		t.Errorf("cell = %q", got)
	}
}
