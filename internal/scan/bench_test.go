package scan_test

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/vigilsec/vigil/internal/scan"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

// BenchmarkPackagesHost lists this host's packages.
func BenchmarkPackagesHost(b *testing.B) {
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		b.Skip("this host has no dpkg database")
	}
	for b.Loop() {
		sum, err := scan.Packages(context.Background(), scan.Options{Root: "/"}, protocol.NewWriter(io.Discard))
		if err != nil || !sum.Complete {
			b.Fatalf("%v %s", err, sum.Reason)
		}
		b.ReportMetric(float64(sum.Assets), "packages")
	}
}

// BenchmarkLibrariesTree walks the test's library tree: archives inside
// archives, node_modules, a virtual environment.
func BenchmarkLibrariesTree(b *testing.B) {
	root := libraryTree(b)
	for b.Loop() {
		sum, err := scan.Libraries(context.Background(), scan.Options{Root: root, Paths: libraryPaths}, protocol.NewWriter(io.Discard))
		if err != nil || !sum.Complete {
			b.Fatalf("%v %s", err, sum.Reason)
		}
	}
}

// BenchmarkLibrariesHost walks folders of this host that hold Python
// packages and Java archives.
func BenchmarkLibrariesHost(b *testing.B) {
	for b.Loop() {
		sum, err := scan.Libraries(context.Background(), scan.Options{Root: "/", Paths: []string{"/usr/lib/python3", "/usr/share"}, MaxFiles: 1_000_000},
			protocol.NewWriter(io.Discard))
		if err != nil || !sum.Complete {
			b.Fatalf("%v %s", err, sum.Reason)
		}
		b.ReportMetric(float64(sum.FilesVisited), "files")
		b.ReportMetric(float64(sum.Assets), "libraries")
	}
}
