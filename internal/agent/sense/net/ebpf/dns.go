package ebpf

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Limits of the DNS parser: a message is read from a copy of at most
// maxDNSPayload bytes, and only this much of it is reported.
const (
	maxDNSQuestions = 4
	maxDNSAnswers   = 32
	maxDNSNameLen   = 255
	maxDNSPointers  = 16
	maxDNSDataLen   = 256
)

// errDNS is the cause of every DNS parse error.
var errDNS = errors.New("malformed DNS message")

// dnsMessage is what the sensor reports of one DNS message.
type dnsMessage struct {
	ID       uint16
	Response bool
	OpCode   uint8
	RCode    uint8
	Flags    []string
	// Questions and Answers are capped at maxDNSQuestions and
	// maxDNSAnswers.
	Questions []dnsQuestion
	Answers   []dnsRecord
	// Partial is set when the message ended before all the records its
	// header announced (a truncated copy); what came before is kept.
	Partial bool
}

// dnsQuestion is one entry of the question section.
type dnsQuestion struct {
	Name  string
	Type  string
	Class string
}

// dnsRecord is one resource record of the answer section.
type dnsRecord struct {
	Name  string
	Type  string
	Class string
	TTL   uint32
	// Data is the record's data in presentation form ("93.184.216.34",
	// "mail.example.com", "10 mx.example.com" ...).
	Data string
	// IP is set for A and AAAA records.
	IP netip.Addr
}

// parseDNS decodes a DNS message (RFC 1035 wire format). It reads the
// header, the questions and the answers; authority and additional
// sections are not reported. A message cut short after its first question
// is returned with Partial set; one that cannot even give a header and a
// question is an error.
func parseDNS(b []byte) (dnsMessage, error) {
	var m dnsMessage
	if len(b) < 12 {
		return m, fmt.Errorf("%w: %d bytes, shorter than a header", errDNS, len(b))
	}
	m.ID = binary.BigEndian.Uint16(b[0:2])
	flags := binary.BigEndian.Uint16(b[2:4])
	m.Response = flags&0x8000 != 0
	m.OpCode = uint8(flags>>11) & 0xf
	m.RCode = uint8(flags & 0xf)
	for _, f := range []struct {
		bit  uint16
		name string
	}{{0x0400, "AA"}, {0x0200, "TC"}, {0x0100, "RD"}, {0x0080, "RA"}, {0x0020, "AD"}, {0x0010, "CD"}} {
		if flags&f.bit != 0 {
			m.Flags = append(m.Flags, f.name)
		}
	}
	qd := int(binary.BigEndian.Uint16(b[4:6]))
	an := int(binary.BigEndian.Uint16(b[6:8]))
	if qd == 0 {
		return m, fmt.Errorf("%w: no question", errDNS)
	}
	off := 12
	for i := 0; i < qd; i++ {
		name, next, err := readName(b, off)
		if err == nil && next+4 > len(b) {
			err = fmt.Errorf("%w: question %d cut short", errDNS, i)
		}
		if err != nil {
			if i == 0 {
				return m, err
			}
			m.Partial = true
			return m, nil
		}
		if i < maxDNSQuestions {
			m.Questions = append(m.Questions, dnsQuestion{
				Name:  name,
				Type:  typeName(binary.BigEndian.Uint16(b[next:])),
				Class: className(binary.BigEndian.Uint16(b[next+2:])),
			})
		}
		off = next + 4
	}
	for i := 0; i < an && i < maxDNSAnswers; i++ {
		rr, next, err := readRecord(b, off)
		if err != nil {
			m.Partial = true
			return m, nil
		}
		m.Answers = append(m.Answers, rr)
		off = next
	}
	return m, nil
}

// readRecord reads one resource record at off.
func readRecord(b []byte, off int) (dnsRecord, int, error) {
	var rr dnsRecord
	name, next, err := readName(b, off)
	if err != nil {
		return rr, 0, err
	}
	if next+10 > len(b) {
		return rr, 0, fmt.Errorf("%w: record header cut short", errDNS)
	}
	typ := binary.BigEndian.Uint16(b[next:])
	class := binary.BigEndian.Uint16(b[next+2:])
	rr.TTL = binary.BigEndian.Uint32(b[next+4:])
	rdlen := int(binary.BigEndian.Uint16(b[next+8:]))
	start := next + 10
	end := start + rdlen
	if end > len(b) {
		return rr, 0, fmt.Errorf("%w: record data cut short", errDNS)
	}
	rr.Name, rr.Type, rr.Class = name, typeName(typ), className(class)
	rr.Data, rr.IP = recordData(b, typ, start, end)
	return rr, end, nil
}

// recordData renders the data of a record of type typ at b[start:end].
func recordData(b []byte, typ uint16, start, end int) (string, netip.Addr) {
	data := b[start:end]
	nameAt := func(off int) (string, int, bool) {
		n, next, err := readName(b, off)
		return n, next, err == nil && next <= end
	}
	switch typ {
	case 1: // A
		if len(data) == 4 {
			ip := netip.AddrFrom4([4]byte(data))
			return ip.String(), ip
		}
	case 28: // AAAA
		if len(data) == 16 {
			ip := netip.AddrFrom16([16]byte(data))
			return ip.String(), ip
		}
	case 2, 5, 12: // NS, CNAME, PTR
		if n, _, ok := nameAt(start); ok {
			return n, netip.Addr{}
		}
	case 15: // MX
		if len(data) >= 3 {
			if n, _, ok := nameAt(start + 2); ok {
				return strconv.Itoa(int(binary.BigEndian.Uint16(data))) + " " + n, netip.Addr{}
			}
		}
	case 33: // SRV
		if len(data) >= 7 {
			if n, _, ok := nameAt(start + 6); ok {
				return fmt.Sprintf("%d %d %d %s", binary.BigEndian.Uint16(data), binary.BigEndian.Uint16(data[2:]),
					binary.BigEndian.Uint16(data[4:]), n), netip.Addr{}
			}
		}
	case 6: // SOA: the primary server and the responsible mailbox
		if mname, next, ok := nameAt(start); ok {
			if rname, _, ok := nameAt(next); ok {
				return mname + " " + rname, netip.Addr{}
			}
		}
	case 16: // TXT: character strings
		var parts []string
		for i := 0; i < len(data); {
			l := int(data[i])
			if i+1+l > len(data) {
				break
			}
			parts = append(parts, strconv.Quote(string(data[i+1:i+1+l])))
			i += 1 + l
		}
		return bound(strings.Join(parts, " ")), netip.Addr{}
	}
	// Anything else in RFC 3597 generic form.
	if len(data) > maxDNSDataLen/2 {
		data = data[:maxDNSDataLen/2]
	}
	return `\# ` + strconv.Itoa(end-start) + " " + hex.EncodeToString(data), netip.Addr{}
}

// bound cuts a string to maxDNSDataLen bytes.
func bound(s string) string {
	if len(s) > maxDNSDataLen {
		return s[:maxDNSDataLen]
	}
	return s
}

// readName reads a (possibly compressed) domain name at off and returns
// it without the final dot ("" for the root) and the offset after it in
// the message.
func readName(b []byte, off int) (string, int, error) {
	var sb strings.Builder
	next := -1 // offset after the name where it started, once a pointer is followed
	jumps := 0
	for {
		if off >= len(b) {
			return "", 0, fmt.Errorf("%w: name runs past the end", errDNS)
		}
		l := int(b[off])
		switch l & 0xc0 {
		case 0x00:
			if l == 0 {
				if next < 0 {
					next = off + 1
				}
				return sb.String(), next, nil
			}
			if off+1+l > len(b) {
				return "", 0, fmt.Errorf("%w: label runs past the end", errDNS)
			}
			if sb.Len()+l+1 > maxDNSNameLen {
				return "", 0, fmt.Errorf("%w: name longer than %d bytes", errDNS, maxDNSNameLen)
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			writeLabel(&sb, b[off+1:off+1+l])
			off += 1 + l
		case 0xc0:
			if off+2 > len(b) {
				return "", 0, fmt.Errorf("%w: pointer runs past the end", errDNS)
			}
			if jumps++; jumps > maxDNSPointers {
				return "", 0, fmt.Errorf("%w: too many compression pointers", errDNS)
			}
			if next < 0 {
				next = off + 2
			}
			off = int(binary.BigEndian.Uint16(b[off:]) & 0x3fff)
		default:
			return "", 0, fmt.Errorf("%w: unknown label type %#x", errDNS, l&0xc0)
		}
	}
}

// writeLabel writes a label, escaping dots, backslashes and bytes that are
// not printable ASCII as \DDD (RFC 4343).
func writeLabel(sb *strings.Builder, label []byte) {
	for _, c := range label {
		switch {
		case c == '.' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c < 0x21 || c > 0x7e:
			fmt.Fprintf(sb, "\\%03d", c)
		default:
			sb.WriteByte(c)
		}
	}
}

// dnsTypes names the record types by number.
var dnsTypes = map[uint16]string{
	1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT",
	17: "RP", 18: "AFSDB", 24: "SIG", 25: "KEY", 28: "AAAA", 29: "LOC", 33: "SRV", 35: "NAPTR",
	36: "KX", 37: "CERT", 39: "DNAME", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP",
	45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID", 50: "NSEC3",
	51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP", 59: "CDS", 60: "CDNSKEY",
	61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD", 64: "SVCB", 65: "HTTPS", 99: "SPF",
	249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR", 255: "ANY", 256: "URI", 257: "CAA",
}

// typeName returns the mnemonic of a record type, or TYPEnnn (RFC 3597).
func typeName(t uint16) string {
	if n, ok := dnsTypes[t]; ok {
		return n
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// className returns the mnemonic of a class, or CLASSnnn (RFC 3597).
func className(c uint16) string {
	switch c {
	case 1:
		return "IN"
	case 3:
		return "CH"
	case 4:
		return "HS"
	case 255:
		return "ANY"
	}
	return "CLASS" + strconv.Itoa(int(c))
}

// rcodeName names the response codes of RFC 1035 and RFC 2136.
func rcodeName(rc uint8) string {
	names := [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"}
	if int(rc) < len(names) {
		return names[rc]
	}
	return "RCODE" + strconv.Itoa(int(rc))
}

// opcodeName names the DNS opcodes.
func opcodeName(op uint8) string {
	switch op {
	case 0:
		return "QUERY"
	case 1:
		return "IQUERY"
	case 2:
		return "STATUS"
	case 4:
		return "NOTIFY"
	case 5:
		return "UPDATE"
	}
	return "OPCODE" + strconv.Itoa(int(op))
}
