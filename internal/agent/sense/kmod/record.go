package kmod

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// What a record of the eBPF program reports (kind).
const (
	kindLoad   = 1 // a module was set up (module_load)
	kindFree   = 2 // a module was freed (module_free)
	kindFailed = 3 // a module syscall failed (sys_exit)
)

// The syscall a record's task was in.
const (
	callUnknown = 0
	callInit    = 1 // init_module: the image from user memory
	callFinit   = 2 // finit_module: the image from a file descriptor
	callDelete  = 3 // delete_module
)

var callNames = [...]string{callUnknown: "", callInit: "init_module", callFinit: "finit_module", callDelete: "delete_module"}

// Bits of a record's path flags.
const (
	pathComplete  = 1
	pathTruncated = 2
	pathDeleted   = 4
	pathDetached  = 8
)

// Signature states.
const (
	sigUnknown  = 0
	sigUnsigned = 1
	sigSigned   = 2
)

// Sizes of the record's arrays, and the record's size: struct record in
// kmod.bpf.c, which the layout test compares with bpf2go's type.
const (
	commLen     = 16
	nameLen     = 56
	paramsLen   = 256
	pathBufLen  = 4096 + 256
	recordSize  = 104 + 2*commLen + nameLen + paramsLen + pathBufLen
	offComm     = 104
	offParent   = offComm + commLen
	offName     = offParent + commLen
	offParams   = offName + nameLen
	offPath     = offParams + paramsLen
	maxPathComp = 40
)

// record is one decoded record of the eBPF program.
type record struct {
	KtimeNS             uint64
	Taints              uint64
	StartBoottime       uint64
	ParentStartBoottime uint64
	Ret                 int64
	ImageLen            uint64
	Kind                uint32
	Syscall             uint32
	TGID                uint32
	PID                 uint32
	PPID                uint32
	UID                 uint32
	EUID                uint32
	GID                 uint32
	LoginUID            uint32
	Flags               uint32
	FD                  int32
	Sig                 uint32
	PathFlags           uint32
	Comm                string
	ParentComm          string
	Name                string
	Params              string
	// Path is the module file's path when the syscall named one.
	Path string
}

// decodeRecord decodes a record as the eBPF program writes it (little
// endian, the layout of struct record).
func decodeRecord(b []byte) (record, error) {
	if len(b) < recordSize {
		return record{}, fmt.Errorf("record of %d bytes, want %d", len(b), recordSize)
	}
	le := binary.LittleEndian
	u32 := func(off int) uint32 { return le.Uint32(b[off:]) }
	r := record{
		KtimeNS:             le.Uint64(b[0:]),
		Taints:              le.Uint64(b[8:]),
		StartBoottime:       le.Uint64(b[16:]),
		ParentStartBoottime: le.Uint64(b[24:]),
		Ret:                 int64(le.Uint64(b[32:])),
		ImageLen:            le.Uint64(b[40:]),
		Kind:                u32(48),
		Syscall:             u32(52),
		TGID:                u32(56),
		PID:                 u32(60),
		PPID:                u32(64),
		UID:                 u32(68),
		EUID:                u32(72),
		GID:                 u32(76),
		LoginUID:            u32(80),
		Flags:               u32(84),
		FD:                  int32(u32(88)),
		Sig:                 u32(92),
		PathFlags:           u32(96),
		Comm:                cString(b[offComm : offComm+commLen]),
		ParentComm:          cString(b[offParent : offParent+commLen]),
		Name:                cString(b[offName : offName+nameLen]),
		Params:              cString(b[offParams : offParams+paramsLen]),
	}
	if r.Kind < kindLoad || r.Kind > kindFailed {
		return record{}, fmt.Errorf("record of unknown kind %d", r.Kind)
	}
	if r.Syscall >= uint32(len(callNames)) {
		return record{}, fmt.Errorf("record of unknown syscall %d", r.Syscall)
	}
	if r.Kind != kindFailed && r.Name == "" {
		return record{}, fmt.Errorf("module record without a module name")
	}
	pathLen := u32(100)
	if pathLen > pathBufLen {
		return record{}, fmt.Errorf("record path of %d bytes, at most %d", pathLen, pathBufLen)
	}
	if pathLen > 0 {
		r.Path = joinPath(b[offPath : offPath+int(pathLen)])
	}
	return r, nil
}

// joinPath turns the program's path components, leaf first and each
// ending in NUL, into a path.
func joinPath(b []byte) string {
	parts := strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
	if len(parts) > maxPathComp {
		parts = parts[:maxPathComp]
	}
	slices.Reverse(parts)
	return "/" + strings.Join(parts, "/")
}

// cString returns the text of a NUL-terminated field.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
