//go:build linux && (amd64 || arm64)

package ebpf

import (
	"testing"
	"unsafe"
)

// TestRecordLayout checks the decoder's offsets against the Go type that
// bpf2go generated from the C struct.
func TestRecordLayout(t *testing.T) {
	var e vnetEvent
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"ktime", unsafe.Offsetof(e.KtimeNs), offKtime},
		{"start ticks", unsafe.Offsetof(e.Owner) + unsafe.Offsetof(e.Owner.StartTicks), offStartTicks},
		{"tgid", unsafe.Offsetof(e.Owner) + unsafe.Offsetof(e.Owner.Tgid), offTgid},
		{"uid", unsafe.Offsetof(e.Owner) + unsafe.Offsetof(e.Owner.Uid), offUID},
		{"comm", unsafe.Offsetof(e.Owner) + unsafe.Offsetof(e.Owner.Comm), offComm},
		{"kind", unsafe.Offsetof(e.Kind), offKind},
		{"proto", unsafe.Offsetof(e.Proto), offProto},
		{"dir", unsafe.Offsetof(e.Dir), offDir},
		{"family", unsafe.Offsetof(e.Family), offFamily},
		{"flags", unsafe.Offsetof(e.Flags), offFlags},
		{"lport", unsafe.Offsetof(e.Lport), offLport},
		{"rport", unsafe.Offsetof(e.Rport), offRport},
		{"payload len", unsafe.Offsetof(e.PayloadLen), offPayloadLen},
		{"laddr", unsafe.Offsetof(e.Laddr), offLaddr},
		{"raddr", unsafe.Offsetof(e.Raddr), offRaddr},
		{"seq", unsafe.Offsetof(e.Seq), offSeq},
		{"tcp flags", unsafe.Offsetof(e.TcpFlags), offTCPFlags},
		{"size", unsafe.Sizeof(e), recordLen},
		{"dns payload", unsafe.Sizeof(vnetDnsEvent{}.Payload), maxDNSPayload},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d in the C struct, %d in the decoder", c.name, c.got, c.want)
		}
	}
}
