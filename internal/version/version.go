// Package version holds the build's version, set at link time with
// -ldflags "-X github.com/vigilsec/vigil/internal/version.Version=v1.2.3".
package version

// Version is the release version of every Vigil binary; "dev" for builds
// made outside `make build`.
var Version = "dev"
