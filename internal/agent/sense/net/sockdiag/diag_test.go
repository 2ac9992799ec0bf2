package sockdiag

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// diagMsg builds one SOCK_DIAG_BY_FAMILY reply for s, with tcp_info
// counters when s has them.
func diagMsg(s Socket) []byte {
	ne, be := binary.NativeEndian, binary.BigEndian
	body := make([]byte, inetDiagMsgLen)
	body[0], body[1] = s.Family, s.State
	be.PutUint16(body[4:], s.Local.Port())
	be.PutUint16(body[6:], s.Remote.Port())
	if s.Family == familyV4 {
		l, r := s.Local.Addr().As4(), s.Remote.Addr().As4()
		copy(body[8:], l[:])
		copy(body[24:], r[:])
	} else {
		l, r := s.Local.Addr().As16(), s.Remote.Addr().As16()
		copy(body[8:], l[:])
		copy(body[24:], r[:])
	}
	ne.PutUint32(body[44:], uint32(s.Cookie))
	ne.PutUint32(body[48:], uint32(s.Cookie>>32))
	ne.PutUint32(body[64:], s.UID)
	ne.PutUint32(body[68:], s.Inode)
	if s.HasCounters {
		info := make([]byte, 232)
		ne.PutUint64(info[tcpiBytesAcked:], s.BytesSent)
		ne.PutUint64(info[tcpiBytesReceived:], s.BytesReceived)
		ne.PutUint32(info[tcpiSegsOut:], s.SegsOut)
		ne.PutUint32(info[tcpiSegsIn:], s.SegsIn)
		attr := make([]byte, rtaHdrLen, rtaHdrLen+len(info))
		ne.PutUint16(attr[0:], uint16(rtaHdrLen+len(info)))
		ne.PutUint16(attr[2:], inetDiagInfo)
		body = append(body, append(attr, info...)...)
	}
	return nlmsg(sockDiagByFamily, 0, body)
}

// nlmsg frames body as a netlink message of type typ, padded to 4 bytes.
func nlmsg(typ, flags uint16, body []byte) []byte {
	b := make([]byte, nlmsgHdrLen, nlmsgHdrLen+len(body)+3)
	binary.NativeEndian.PutUint32(b[0:], uint32(nlmsgHdrLen+len(body)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint16(b[6:], flags)
	b = append(b, body...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func TestParseDump(t *testing.T) {
	v4 := Socket{Proto: protoTCP, Family: familyV4, State: tcpEstablished, Cookie: 1<<40 | 7, Inode: 99, UID: 1000,
		Local: netip.MustParseAddrPort("10.0.0.1:40000"), Remote: netip.MustParseAddrPort("192.0.2.1:443"),
		BytesSent: 1234, BytesReceived: 5678, SegsOut: 9, SegsIn: 10, HasCounters: true}
	v6 := Socket{Proto: protoTCP, Family: familyV6, State: tcpListen, Cookie: 8, Inode: 100,
		Local: netip.MustParseAddrPort("[::]:22"), Remote: netip.MustParseAddrPort("[::]:0")}
	bad := nlmsg(sockDiagByFamily, 0, make([]byte, 10))
	errMsg := nlmsg(nlmsgError, 0, binary.NativeEndian.AppendUint32(nil, uint32(0x100000000-13)))
	done := nlmsg(nlmsgDone, 0, make([]byte, 4))
	cat := slices.Concat[[]byte]
	tests := []struct {
		name string
		in   []byte
		want []Socket
		res  dumpResult
		err  string
	}{
		{"two sockets and done", cat(diagMsg(v4), diagMsg(v6), done), []Socket{v4, v6}, dumpResult{Done: true}, ""},
		{"not done yet", diagMsg(v4), []Socket{v4}, dumpResult{}, ""},
		{"malformed message skipped", cat(bad, diagMsg(v6), done), []Socket{v6}, dumpResult{Done: true, Bad: 1}, ""},
		{"interrupted", cat(nlmsg(nlmsgDone, nlmFDumpIntr, make([]byte, 4))), nil, dumpResult{Done: true, Interrupted: true}, ""},
		{"kernel error", errMsg, nil, dumpResult{}, "kernel error: permission denied"},
		{"broken length", []byte{200, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, nil, dumpResult{}, "message length"},
		{"trailing bytes", []byte{1, 2, 3}, nil, dumpResult{}, "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, res, err := parseDump(tt.in, protoTCP, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); d != "" {
				t.Errorf("sockets (-want +got):\n%s", d)
			}
			if res != tt.res {
				t.Errorf("result %+v, want %+v", res, tt.res)
			}
		})
	}
}

// FuzzParseDump: no reply makes the parser panic; every error is one of
// its own.
func FuzzParseDump(f *testing.F) {
	f.Add(diagMsg(Socket{Family: familyV4, State: 1, Local: netip.MustParseAddrPort("1.2.3.4:5"),
		Remote: netip.MustParseAddrPort("5.6.7.8:9"), HasCounters: true, BytesSent: 3}))
	f.Add(nlmsg(nlmsgDone, 0, make([]byte, 4)))
	f.Add(nlmsg(nlmsgError, 0, []byte{0xf3, 0xff, 0xff, 0xff}))
	f.Add(nlmsg(sockDiagByFamily, 0, append(make([]byte, inetDiagMsgLen), 8, 0, 2, 0, 1, 2, 3, 4)))
	f.Fuzz(func(t *testing.T, b []byte) {
		socks, res, err := parseDump(b, protoTCP, nil)
		if err != nil && !errors.Is(err, errDiag) && !strings.Contains(err.Error(), "kernel error") {
			t.Fatalf("unexpected error %v", err)
		}
		if len(socks)*nlmsgHdrLen > len(b) || res.Bad*nlmsgHdrLen > len(b) {
			t.Fatalf("%d sockets and %d bad from %d bytes", len(socks), res.Bad, len(b))
		}
	})
}

func TestParseSocketLink(t *testing.T) {
	for in, want := range map[string]uint32{
		"socket:[12345]": 12345, "socket:[0]": 0, "socket:[]": 0, "pipe:[12]": 0, "socket:[99999999999]": 0,
		"socket:[12": 0, "/dev/null": 0, "socket:[-1]": 0,
	} {
		got, ok := parseSocketLink(in)
		if got != want || ok != (want != 0) {
			t.Errorf("parseSocketLink(%q) = %d, %v", in, got, ok)
		}
	}
}

// FuzzSocketLink: any /proc/PID/fd link target parses or is refused.
func FuzzSocketLink(f *testing.F) {
	for _, s := range []string{"socket:[1]", "pipe:[2]", "anon_inode:[eventfd]", "/dev/pts/0", "socket:[4294967296]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := parseSocketLink(s)
		if ok != (n != 0) {
			t.Fatalf("parseSocketLink(%q) = %d, %v", s, n, ok)
		}
		if ok && !strings.HasPrefix(s, "socket:[") {
			t.Fatalf("accepted %q", s)
		}
	})
}

func TestPayload(t *testing.T) {
	for _, c := range []struct {
		state           uint8
		active          bool
		acked, received uint64
		sent, recv      uint64
	}{
		{tcpSynSent, true, 0, 0, 0, 0},
		{tcpEstablished, true, 101, 50, 100, 50},
		{tcpEstablished, false, 100, 50, 100, 50},
		{tcpFinWait2, true, 102, 50, 100, 50},
		{tcpCloseWait, false, 100, 51, 100, 50},
		{tcpLastAck, true, 101, 51, 100, 50},
	} {
		s := Socket{State: c.state, BytesSent: c.acked, BytesReceived: c.received}
		if sent, recv := payload(&s, c.active); sent != c.sent || recv != c.recv {
			t.Errorf("state %d active %v: %d, %d; want %d, %d", c.state, c.active, sent, recv, c.sent, c.recv)
		}
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		raw  string
		want func(Settings) bool
		err  string
	}{
		{"", func(s Settings) bool {
			return s.Flows && time.Duration(s.PollInterval) == 5*time.Second && time.Duration(s.FlowInterval) == time.Minute
		}, ""},
		{`{"poll_interval":"1s","flow_interval":"30s","flows":false,"ignore_ports":[22],"ignore_addresses":["10.0.0.0/8","::1"]}`,
			func(s Settings) bool {
				return time.Duration(s.PollInterval) == time.Second && time.Duration(s.FlowInterval) == 30*time.Second && !s.Flows
			}, ""},
		{`{"poll":"1s"}`, nil, "unknown field"},
		{`{"poll_interval":5}`, nil, "duration is a string"},
		{`{"poll_interval":"1ms"}`, nil, "outside"},
		{`{"poll_interval":"10s","flow_interval":"5s"}`, nil, "shorter than poll_interval"},
		{`{"ignore_ports":[0]}`, nil, "not a port"},
		{`{"ignore_addresses":["nope"]}`, nil, "neither an IP address"},
		{`{} {}`, nil, "data after"},
	}
	for _, tt := range tests {
		s := New()
		err := s.ApplySettings([]byte(tt.raw))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.raw, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.raw, err)
			continue
		}
		if !tt.want(s.settings) {
			t.Errorf("%s: settings %+v", tt.raw, s.settings)
		}
	}
}

func TestFilter(t *testing.T) {
	f, err := NewFilter([]int{22, 53}, []string{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr  string
		ports []uint16
		want  bool
	}{
		{"10.1.2.3", []uint16{443}, true},
		{"::ffff:10.1.2.3", nil, true},
		{"2001:db8::5", nil, true},
		{"192.0.2.7", nil, true},
		{"192.0.2.8", []uint16{443, 22}, true},
		{"192.0.2.8", []uint16{443}, false},
		{"", []uint16{80}, false},
	} {
		var a netip.Addr
		if c.addr != "" {
			a = netip.MustParseAddr(c.addr)
		}
		if got := f.Ignores(a, c.ports...); got != c.want {
			t.Errorf("Ignores(%s, %v) = %v", c.addr, c.ports, got)
		}
	}
}
