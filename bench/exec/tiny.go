//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// tinyCode is a program that calls exit(0), per architecture.
var tinyCode = map[string]struct {
	machine uint16
	code    []byte
}{
	// mov eax, 60; xor edi, edi; syscall
	"amd64": {0x3e, []byte{0xb8, 0x3c, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05}},
	// mov x0, #0; mov x8, #93; svc #0
	"arm64": {0xb7, []byte{0x00, 0x00, 0x80, 0xd2, 0xa8, 0x0b, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4}},
}

// writeTiny writes a static executable of one page that exits 0 at once:
// no dynamic loader, no libc, so that the machine can run thousands per
// second and the paced run measures the monitors, not the program.
func writeTiny(dir string) (string, error) {
	arch, ok := tinyCode[runtime.GOARCH]
	if !ok {
		return "", fmt.Errorf("no tiny program for %s", runtime.GOARCH)
	}
	const base, ehdr, phdr = 0x400000, 64, 56
	b := make([]byte, ehdr+phdr, ehdr+phdr+len(arch.code))
	copy(b, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1})
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2) // ET_EXEC
	le.PutUint16(b[18:], arch.machine)
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], base+ehdr+phdr) // entry
	le.PutUint64(b[32:], ehdr)           // program headers
	le.PutUint16(b[52:], ehdr)
	le.PutUint16(b[54:], phdr)
	le.PutUint16(b[56:], 1)
	p := b[ehdr:]
	le.PutUint32(p[0:], 1) // PT_LOAD
	le.PutUint32(p[4:], 5) // R+X
	le.PutUint64(p[16:], base)
	le.PutUint64(p[24:], base)
	size := uint64(ehdr + phdr + len(arch.code))
	le.PutUint64(p[32:], size)
	le.PutUint64(p[40:], size)
	le.PutUint64(p[48:], 0x1000)
	b = append(b, arch.code...)
	path := filepath.Join(dir, "vigil-bench-true")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		return "", err
	}
	return path, nil
}
