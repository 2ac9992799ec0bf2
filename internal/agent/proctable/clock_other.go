//go:build !linux

package proctable

// kernelClocks returns zeros: kernel times are Linux's.
func kernelClocks() (boot, mono int64) { return 0, 0 }
