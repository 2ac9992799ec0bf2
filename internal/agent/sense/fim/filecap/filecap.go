// Package filecap reads file capabilities: the security.capability
// extended attribute that gives an executable capabilities when it is run
// (what setcap writes and getcap prints), in the kernel's format
// (VFS_CAP_REVISION_1, _2 and _3, little endian), and writes them as text
// the way getcap prints them ("cap_setuid,cap_net_raw=ep").
package filecap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Attribute is the name of the extended attribute that holds a file's
// capabilities.
const Attribute = "security.capability"

// MaxSize is the largest attribute value Parse accepts (revision 3).
const MaxSize = sizeRev3

// Layout of the attribute: a little-endian header word (revision in the
// top byte, the effective flag in bit 0), then permitted and inheritable
// words for capabilities 0-31, for 32-63 (revisions 2 and 3), and the
// root uid of the user namespace the capabilities belong to (revision 3).
const (
	revisionMask  = 0xff000000
	revision1     = 0x01000000
	revision2     = 0x02000000
	revision3     = 0x03000000
	flagEffective = 0x000001

	sizeRev1 = 4 + 2*4
	sizeRev2 = 4 + 2*2*4
	sizeRev3 = sizeRev2 + 4
)

// ErrMalformed is wrapped by Parse's errors.
var ErrMalformed = errors.New("malformed file capabilities")

// Set is the capabilities a file gives the process that executes it.
// The zero Set grants nothing: a file without the attribute, or with
// one whose sets are empty (getcap prints nothing for either).
type Set struct {
	// Permitted and Inheritable have bit n set for capability n.
	Permitted, Inheritable uint64
	// Effective: the capabilities are raised in the effective set at
	// exec, not only made available.
	Effective bool
	// RootID is the uid, in the initial user namespace, of the root of
	// the user namespace the capabilities are for (revision 3); 0 for
	// capabilities of the whole host.
	RootID uint32
}

// IsZero reports whether s grants nothing.
func (s Set) IsZero() bool { return s == Set{} }

// Parse decodes the value of a security.capability attribute. The
// kernel's rules apply: the size must match the revision, and the bits of
// the header other than the revision and the effective flag are
// ignored. A value whose sets are empty gives the zero Set.
func Parse(b []byte) (Set, error) {
	if len(b) < 4 {
		return Set{}, fmt.Errorf("%w: %d bytes, too short for the header", ErrMalformed, len(b))
	}
	head := binary.LittleEndian.Uint32(b)
	var want int
	switch rev := head & revisionMask; rev {
	case revision1:
		want = sizeRev1
	case revision2:
		want = sizeRev2
	case revision3:
		want = sizeRev3
	default:
		return Set{}, fmt.Errorf("%w: unknown revision %d", ErrMalformed, rev>>24)
	}
	if len(b) != want {
		return Set{}, fmt.Errorf("%w: revision %d takes %d bytes, not %d", ErrMalformed, head>>24, want, len(b))
	}
	word := func(i int) uint64 { return uint64(binary.LittleEndian.Uint32(b[4+4*i:])) }
	s := Set{Permitted: word(0), Inheritable: word(1), Effective: head&flagEffective != 0}
	if want >= sizeRev2 {
		s.Permitted |= word(2) << 32
		s.Inheritable |= word(3) << 32
	}
	if want == sizeRev3 {
		s.RootID = uint32(word(4))
	}
	if s.Permitted|s.Inheritable == 0 {
		return Set{}, nil
	}
	return s, nil
}

// Bytes encodes s as the kernel stores it: revision 2, or revision 3 when
// RootID is set. The zero Set gives nil (no attribute).
func (s Set) Bytes() []byte {
	if s.IsZero() {
		return nil
	}
	head, size := uint32(revision2), sizeRev2
	if s.RootID != 0 {
		head, size = revision3, sizeRev3
	}
	if s.Effective {
		head |= flagEffective
	}
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b, head)
	binary.LittleEndian.PutUint32(b[4:], uint32(s.Permitted))
	binary.LittleEndian.PutUint32(b[8:], uint32(s.Inheritable))
	binary.LittleEndian.PutUint32(b[12:], uint32(s.Permitted>>32))
	binary.LittleEndian.PutUint32(b[16:], uint32(s.Inheritable>>32))
	if size == sizeRev3 {
		binary.LittleEndian.PutUint32(b[20:], s.RootID)
	}
	return b
}

// names are the capabilities Linux defines, by number (CAP_CHOWN 0 to
// CAP_CHECKPOINT_RESTORE 40), as getcap prints them.
var names = [...]string{
	"cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
	"cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service",
	"cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner",
	"cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct",
	"cap_sys_admin", "cap_sys_boot", "cap_sys_nice", "cap_sys_resource", "cap_sys_time",
	"cap_sys_tty_config", "cap_mknod", "cap_lease", "cap_audit_write", "cap_audit_control",
	"cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm",
	"cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
}

// Name returns the name of capability n ("cap_net_raw"), or its number
// for a capability Linux does not define (yet).
func Name(n int) string {
	if n >= 0 && n < len(names) {
		return names[n]
	}
	return strconv.Itoa(n)
}

// PermittedNames lists the permitted capabilities by name, in number
// order.
func (s Set) PermittedNames() []string {
	out := make([]string, 0, bits.OnesCount64(s.Permitted))
	for p := s.Permitted; p != 0; p &= p - 1 {
		out = append(out, Name(bits.TrailingZeros64(p)))
	}
	return out
}

// Flags of one capability in String's grouping, valued so that groups
// come out in getcap's order: effective 1, permitted 2, inheritable 4.
const (
	stateEffective   = 1
	statePermitted   = 2
	stateInheritable = 4
)

// state returns the flags of capability n: permitted, inheritable, and
// effective when the effective flag is set and either of them is.
func (s Set) state(n int) int {
	st := 0
	if s.Permitted&(1<<n) != 0 {
		st |= statePermitted
	}
	if s.Inheritable&(1<<n) != 0 {
		st |= stateInheritable
	}
	if s.Effective && st != 0 {
		st |= stateEffective
	}
	return st
}

// flagText writes the flags of st as getcap does: "e", "i", "p" in that
// order.
func flagText(b *strings.Builder, st int) {
	if st&stateEffective != 0 {
		b.WriteByte('e')
	}
	if st&stateInheritable != 0 {
		b.WriteByte('i')
	}
	if st&statePermitted != 0 {
		b.WriteByte('p')
	}
}

// String returns s as getcap prints it (libcap 2's textual form, on a
// kernel that knows the 41 capabilities Linux defines): the defined
// capabilities grouped by their flags, the most common state as the base
// ("=ep" when most capabilities are granted, omitted when most are not),
// then the capabilities beyond those by number. "cap_net_raw=ep",
// "cap_setuid,cap_net_raw=ep", "cap_sys_admin=ei cap_net_raw+ep",
// "=ep cap_sys_admin-ep", "= 41+ep". The zero Set gives "=". The text
// does not depend on the host: the same set reads the same everywhere.
func (s Set) String() string {
	var histo [8]int
	for n := range len(names) {
		histo[s.state(n)]++
	}
	base := 7
	for st := 6; st >= 0; st-- {
		if histo[st] >= histo[base] {
			base = st
		}
	}
	var b strings.Builder
	b.WriteByte('=')
	flagText(&b, base)
	// With nothing as the base, the first group takes its place:
	// "cap_net_raw=ep" rather than "= cap_net_raw+ep".
	bare := base == 0
	for st := 7; st >= 0; st-- {
		if st == base || histo[st] == 0 {
			continue
		}
		if bare {
			b.Reset()
		} else {
			b.WriteByte(' ')
		}
		first := true
		for n := range len(names) {
			if s.state(n) == st {
				if !first {
					b.WriteByte(',')
				}
				b.WriteString(names[n])
				first = false
			}
		}
		if raised := st &^ base; raised != 0 {
			if bare {
				b.WriteByte('=')
			} else {
				b.WriteByte('+')
			}
			flagText(&b, raised)
		}
		if lowered := base &^ st; lowered != 0 {
			b.WriteByte('-')
			flagText(&b, lowered)
		}
		bare = false
	}
	// Capabilities beyond the defined ones, by number, each group raised.
	for st := 7; st > 0; st-- {
		first := true
		for n := len(names); n < 64; n++ {
			if s.state(n) != st {
				continue
			}
			if first {
				b.WriteByte(' ')
			} else {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(n))
			first = false
		}
		if !first {
			b.WriteByte('+')
			flagText(&b, st)
		}
	}
	return b.String()
}
