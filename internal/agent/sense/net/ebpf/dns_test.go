package ebpf

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// msg builds a DNS message: a header, then raw sections.
func msg(id, flags uint16, qd, an int, sections ...[]byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = binary.BigEndian.AppendUint16(b, uint16(qd))
	b = binary.BigEndian.AppendUint16(b, uint16(an))
	b = append(b, 0, 0, 0, 0)
	for _, s := range sections {
		b = append(b, s...)
	}
	return b
}

// name encodes a domain name without compression.
func name(n string) []byte {
	var b []byte
	for _, l := range strings.Split(n, ".") {
		if l == "" {
			continue
		}
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// question encodes a question of type typ, class IN.
func question(n string, typ uint16) []byte {
	b := name(n)
	b = binary.BigEndian.AppendUint16(b, typ)
	return binary.BigEndian.AppendUint16(b, 1)
}

// rr encodes a resource record of class IN with owner bytes owner.
func rr(owner []byte, typ uint16, ttl uint32, data []byte) []byte {
	b := append([]byte(nil), owner...)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint32(b, ttl)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

var ptr12 = []byte{0xc0, 12} // the first question's name

func TestParseDNS(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want dnsMessage
		err  bool
	}{
		{
			name: "query",
			in:   msg(0xbeef, 0x0100, 1, 0, question("example.com", 1)),
			want: dnsMessage{ID: 0xbeef, Flags: []string{"RD"}, Questions: []dnsQuestion{{"example.com", "A", "IN"}}},
		},
		{
			name: "answer with compression",
			in: msg(7, 0x8180, 1, 3, question("www.example.com", 28),
				rr(ptr12, 5, 60, append([]byte{3, 'c', 'd', 'n'}, 0xc0, 16)),
				rr([]byte{0xc0, 45}, 28, 30, []byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}),
				rr(ptr12, 16, 10, []byte{2, 'h', 'i', 3, 'y', 'o', '"'})),
			want: dnsMessage{
				ID: 7, Response: true, Flags: []string{"RD", "RA"},
				Questions: []dnsQuestion{{"www.example.com", "AAAA", "IN"}},
				Answers: []dnsRecord{
					{Name: "www.example.com", Type: "CNAME", Class: "IN", TTL: 60, Data: "cdn.example.com"},
					{Name: "cdn.example.com", Type: "AAAA", Class: "IN", TTL: 30, Data: "2001:db8::1"},
					{Name: "www.example.com", Type: "TXT", Class: "IN", TTL: 10, Data: `"hi" "yo\""`},
				},
			},
		},
		{
			name: "mx srv soa ptr unknown",
			in: msg(1, 0x8583, 1, 5, question("x.test", 255),
				rr(ptr12, 15, 1, append([]byte{0, 10}, name("mx.x.test")...)),
				rr(ptr12, 33, 1, append([]byte{0, 1, 0, 2, 0x01, 0xbb}, name("svc.x.test")...)),
				rr(ptr12, 6, 1, append(append(name("ns.x.test"), name("admin.x.test")...), make([]byte, 20)...)),
				rr(ptr12, 12, 1, name("host.x.test")),
				rr(ptr12, 4242, 1, []byte{0xde, 0xad})),
			want: dnsMessage{
				ID: 1, Response: true, RCode: 3, Flags: []string{"AA", "RD", "RA"},
				Questions: []dnsQuestion{{"x.test", "ANY", "IN"}},
				Answers: []dnsRecord{
					{Name: "x.test", Type: "MX", Class: "IN", TTL: 1, Data: "10 mx.x.test"},
					{Name: "x.test", Type: "SRV", Class: "IN", TTL: 1, Data: "1 2 443 svc.x.test"},
					{Name: "x.test", Type: "SOA", Class: "IN", TTL: 1, Data: "ns.x.test admin.x.test"},
					{Name: "x.test", Type: "PTR", Class: "IN", TTL: 1, Data: "host.x.test"},
					{Name: "x.test", Type: "TYPE4242", Class: "IN", TTL: 1, Data: `\# 2 dead`},
				},
			},
		},
		{
			name: "label escapes",
			in:   msg(2, 0, 1, 0, []byte{3, 'a', '.', 0x01, 1, '\\', 0, 0, 1, 0, 1}),
			want: dnsMessage{ID: 2, Questions: []dnsQuestion{{`a\.\001.\\`, "A", "IN"}}},
		},
		{
			name: "answers cut short",
			in:   msg(3, 0x8180, 1, 2, question("a.test", 1), rr(ptr12, 1, 5, []byte{192, 0, 2, 1}), []byte{0xc0, 12, 0}),
			want: dnsMessage{
				ID: 3, Response: true, Flags: []string{"RD", "RA"}, Partial: true,
				Questions: []dnsQuestion{{"a.test", "A", "IN"}},
				Answers:   []dnsRecord{{Name: "a.test", Type: "A", Class: "IN", TTL: 5, Data: "192.0.2.1"}},
			},
		},
		{name: "short header", in: []byte{1, 2, 3}, err: true},
		{name: "no question", in: msg(1, 0, 0, 0), err: true},
		{name: "question cut short", in: msg(1, 0, 1, 0, name("a.test")), err: true},
		{name: "pointer loop", in: msg(1, 0, 1, 0, []byte{0xc0, 12, 0, 1, 0, 1}), err: true},
		{name: "pointer past the end", in: msg(1, 0, 1, 0, []byte{0xc0, 200, 0, 1, 0, 1}), err: true},
		{name: "reserved label type", in: msg(1, 0, 1, 0, []byte{0x80, 0, 1, 0, 1}), err: true},
		{name: "name too long", in: msg(1, 0, 1, 0, question(strings.Repeat("abcdefghij.", 30), 1)), err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDNS(tt.in)
			if tt.err {
				if !errors.Is(err, errDNS) {
					t.Fatalf("parseDNS = %+v, %v; want an errDNS error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(dnsRecord{}, "IP")); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestDNSNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{typeName(65), "HTTPS"}, {typeName(9999), "TYPE9999"}, {className(3), "CH"}, {className(7), "CLASS7"},
		{rcodeName(2), "SERVFAIL"}, {rcodeName(23), "RCODE23"}, {opcodeName(5), "UPDATE"}, {opcodeName(9), "OPCODE9"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// FuzzParseDNS: no input makes the parser panic, loop or return more
// than its limits.
func FuzzParseDNS(f *testing.F) {
	f.Add(msg(7, 0x8180, 1, 1, question("www.example.com", 1), rr(ptr12, 1, 60, []byte{192, 0, 2, 1})))
	f.Add(msg(1, 0, 1, 0, []byte{0xc0, 12, 0, 1, 0, 1}))
	f.Add(msg(1, 0x8180, 1, 1, question("a.test", 16), rr(ptr12, 16, 1, []byte{5, 'x'})))
	f.Add(msg(1, 0x8180, 2, 2, question("a.b", 15), question("c", 33), rr(ptr12, 6, 1, []byte{0xc0})))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseDNS(b)
		if err != nil {
			if !errors.Is(err, errDNS) {
				t.Fatalf("error %v does not wrap errDNS", err)
			}
			return
		}
		if len(m.Questions) == 0 || len(m.Questions) > maxDNSQuestions || len(m.Answers) > maxDNSAnswers {
			t.Fatalf("%d questions, %d answers", len(m.Questions), len(m.Answers))
		}
		for _, a := range m.Answers {
			if len(a.Name) > 4*maxDNSNameLen || len(a.Data) > 4*maxDNSNameLen+32 {
				t.Fatalf("answer too large: %d, %d bytes", len(a.Name), len(a.Data))
			}
		}
	})
}
