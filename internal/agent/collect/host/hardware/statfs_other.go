//go:build !linux

package hardware

// statfsSize is implemented on Linux only.
func statfsSize(string, uint32, uint32) (int64, bool) { return 0, false }
