package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/version"
)

func TestCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		out, err string
	}{
		{"version", []string{"version"}, nil, 0, version.Version, ""},
		{"help", []string{"help"}, nil, 0, "vigil-agent uninstall", ""},
		{"unknown command", []string{"explode"}, nil, 2, "", `unknown command "explode"`},
		{"bad flag", []string{"run", "--nope"}, nil, 2, "", "usage"},
		{"stray argument", []string{"run", "--data", data, "extra"}, nil, 2, "", "unexpected arguments"},
		{"bad log level", []string{"--log-level", "loud", "--data", data}, nil, 2, "", "log-level"},
		{"first run without a center", []string{"--data", data}, map[string]string{"VIGIL_CENTER": "", "VIGIL_JOIN_TOKEN": ""}, 1, "", "not enrolled yet"},
		{"center URL from the environment", []string{"run"}, map[string]string{"VIGIL_DATA": data, "VIGIL_CENTER": "http://plain", "VIGIL_JOIN_TOKEN": "x"}, 1, "", "want https"},
		{"uninstall of no agent", []string{"uninstall", "--data", t.TempDir()}, nil, 1, "", "not an agent data directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.out) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.out)
			}
			if !strings.Contains(stderr.String(), tt.err) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.err)
			}
		})
	}
}
