//go:build !unix

package containerd

// Open flags: only Unix systems have the ones the package wants.
const (
	oNoFollow = 0
	oNonBlock = 0
)
