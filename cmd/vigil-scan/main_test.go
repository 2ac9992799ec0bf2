package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

// TestMain runs the command itself when the test binary is started as
// the scanner (see scanner).
func TestMain(m *testing.M) {
	if os.Getenv("VIGIL_SCAN_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// scanner runs this binary as vigil-scan with args.
func scanner(t *testing.T, args ...string) (stdout, stderr []byte, status int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "VIGIL_SCAN_RUN_MAIN=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		status = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return out.Bytes(), errb.Bytes(), status
}

func TestCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		status   int
		assets   int
		complete bool
	}{
		{"packages", []string{"packages", "--root", "../../internal/scan/testdata/debian"}, protocol.ExitOK, 8, true},
		{"damaged database", []string{"packages", "--root", "../../internal/scan/testdata/broken"}, protocol.ExitIncomplete, 0, false},
		{"libraries", []string{"libraries", "--root", "../../internal/scan/testdata", "--path", "/gobin"}, protocol.ExitOK, 0, true},
		{"usage", []string{"frobnicate"}, protocol.ExitUsage, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errb, status := scanner(t, tt.args...)
			if status != tt.status {
				t.Fatalf("exit status %d, want %d; stderr: %s", status, tt.status, errb)
			}
			if tt.status == protocol.ExitUsage {
				if len(out) > 0 || len(errb) == 0 {
					t.Errorf("usage error: stdout %q, stderr %q", out, errb)
				}
				return
			}
			n := 0
			sum, _, err := protocol.Read(bytes.NewReader(out), nil, func(event.Asset) error { n++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.assets || sum.Complete != tt.complete {
				t.Errorf("%d assets, complete %v; want %d, %v", n, sum.Complete, tt.assets, tt.complete)
			}
		})
	}
}
