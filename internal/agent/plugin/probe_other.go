//go:build !linux

package plugin

// probeFanotify reports false: fanotify exists on Linux only.
func probeFanotify() bool { return false }
