package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunWritesTheCommittedTable runs the generator on the committed data
// files and expects the committed table back (the sources in its header
// are the paths given, so the test passes the go:generate ones).
func TestRunWritesTheCommittedTable(t *testing.T) {
	want, err := os.ReadFile("../../table_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "table_gen.go")
	t.Chdir("../..")
	if err := run("data/tactics.tsv", "data/techniques.tsv", out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("generator output differs from table_gen.go: run go generate ./internal/attack")
	}
}

func TestRunReportsBadData(t *testing.T) {
	dir := t.TempDir()
	tactics := filepath.Join(dir, "tactics.tsv")
	if err := os.WriteFile(tactics, []byte("TA0002\texecution\tExecution\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(tactics, filepath.Join(dir, "techniques.tsv"), filepath.Join(dir, "out.go"))
	if err == nil || !strings.Contains(err.Error(), "tactics.tsv:1: want 4 tab-separated fields") {
		t.Fatalf("error %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "out.go")); !os.IsNotExist(statErr) {
		t.Fatal("output written despite the error")
	}
}
