//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench/exec measures Linux process monitoring (auditd, eBPF); it runs on Linux only")
	os.Exit(1)
}
