package processes_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/collect/proc/processes"
)

// TestPackageOf asks this host's dpkg database, with the real Debian
// package gzip installed.
func TestPackageOf(t *testing.T) {
	if _, err := os.Stat("/var/lib/dpkg/info/gzip.list"); err != nil {
		t.Skip("needs the Debian package gzip")
	}
	for _, tc := range []struct{ path, want string }{
		{"/usr/bin/gzip", "gzip"},
		{"/bin/gzip", "gzip"}, // the name dpkg lists on a merged /usr
		{filepath.Join(t.TempDir(), "miner"), "none"},
	} {
		if got := processes.PackageOf("/", tc.path); got != tc.want {
			t.Errorf("PackageOf(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
	if got := processes.PackageOf(t.TempDir(), "/usr/bin/gzip"); got != "" {
		t.Errorf("PackageOf on a root without a package database = %q, want \"\"", got)
	}
}
