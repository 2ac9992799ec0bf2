package ebpf

import (
	"encoding/binary"
	"net/netip"
)

// DNS over TCP (RFC 7766) frames each message with a two-byte length.
// The kernel copies the start of every TCP segment to or from a DNS port
// (at most maxDNSPayload bytes) with its sequence number; tcpStreams
// finds the messages in them. A segment usually holds whole messages,
// one or several (pipelined queries); a message that continues in the
// next segment is skipped and counted, since the programs copy segments,
// not streams. Only the framing is followed across segments: a length
// prefix alone at the end of a segment (written apart from its message)
// is kept, so that the message in the next segment is still read.

// Bounds of the stream table.
const (
	// maxTCPStreams bounds the streams followed at once; the oldest are
	// dropped first (a stream ends at its FIN or RST otherwise).
	maxTCPStreams = 4096
	// tcpStreamIdleNS is how long a stream without segments is kept.
	tcpStreamIdleNS = 120e9
)

// TCP flags that end a stream.
const (
	tcpFIN = 0x01
	tcpRST = 0x04
)

// streamKey names one direction of one TCP connection.
type streamKey struct {
	local, remote netip.AddrPort
	dir           uint8
}

// stream is what is known of a stream between two segments.
type stream struct {
	// next is the sequence number of the first byte not yet read.
	next uint32
	// prefix holds the bytes of a length prefix that ended the last
	// segment (nprefix of them); a message begins at next when nprefix
	// is 0.
	prefix  [2]byte
	nprefix int
	// ktime is the time of the last segment (bpf_ktime_get_ns).
	ktime uint64
}

// tcpStreams follows the framing of the DNS over TCP streams.
type tcpStreams struct {
	m map[streamKey]*stream
}

func newTCPStreams() *tcpStreams {
	return &tcpStreams{m: map[streamKey]*stream{}}
}

// tcpMessage is one DNS message found in a segment.
type tcpMessage struct {
	// Data is the message, or its start when the copy ended first.
	Data []byte
	// Cut: the copy of the segment ended before the message did.
	Cut bool
}

// segment reads the DNS messages that a TCP segment holds: seq is its
// sequence number, total its payload length, data the copied start of
// its payload. It returns the messages, and how many messages it had to
// skip because they continue past the segment's end (or began in bytes
// that were never seen).
func (t *tcpStreams) segment(key streamKey, seq uint32, total int, data []byte, flags uint8, ktime uint64) (msgs []tcpMessage, split int) {
	if len(data) > total {
		data = data[:total]
	}
	st := t.m[key]
	end := flags&(tcpFIN|tcpRST) != 0
	if st == nil {
		if total == 0 {
			return nil, 0
		}
		st = t.add(key, ktime)
		st.next = seq
	}
	st.ktime = ktime
	pos := 0
	if d := int32(st.next - seq); d < 0 {
		// Bytes before this segment were never seen (a record the ring
		// buffer had no room for): a message is taken to begin here,
		// and one that was waiting for its body is lost.
		if st.nprefix > 0 {
			split++
		}
		st.nprefix = 0
	} else if int(d) >= total {
		// A retransmission, or the rest of a message skipped before.
		if end {
			delete(t.m, key)
		}
		return nil, split
	} else {
		pos = int(d)
	}

	// A length prefix the last segment ended with, whole or in part.
	length := -1
	if st.nprefix > 0 {
		for st.nprefix < 2 && pos < total {
			if pos >= len(data) {
				break
			}
			st.prefix[st.nprefix] = data[pos]
			st.nprefix++
			pos++
		}
		if st.nprefix < 2 {
			// The byte that completes it was not copied: lost track.
			st.nprefix = 0
			split++
			pos = total
		} else {
			length = int(binary.BigEndian.Uint16(st.prefix[:]))
			st.nprefix = 0
		}
	}
	for pos < total || length >= 0 {
		if length < 0 {
			if pos >= len(data) {
				break // past the copy: the next segment is taken to begin a message
			}
			if pos+1 == total {
				// One byte of a prefix ends the segment.
				st.prefix[0], st.nprefix = data[pos], 1
				pos = total
				break
			}
			if pos+2 > len(data) {
				break
			}
			length = int(binary.BigEndian.Uint16(data[pos:]))
			pos += 2
		}
		if pos == total && length > 0 {
			// The prefix alone ends the segment: its message comes next.
			binary.BigEndian.PutUint16(st.prefix[:], uint16(length))
			st.nprefix = 2
			break
		}
		if pos+length > total {
			// The message continues in later segments: skip it.
			split++
			st.next = seq + uint32(pos+length)
			if end {
				delete(t.m, key)
			}
			return msgs, split
		}
		m := tcpMessage{Cut: pos+length > len(data)}
		if pos < len(data) {
			m.Data = data[pos:min(pos+length, len(data))]
		}
		msgs = append(msgs, m)
		pos += length
		length = -1
	}
	st.next = seq + uint32(total)
	if end {
		delete(t.m, key)
	}
	return msgs, split
}

// add makes room for a new stream and adds it.
func (t *tcpStreams) add(key streamKey, ktime uint64) *stream {
	if len(t.m) >= maxTCPStreams {
		for k, s := range t.m {
			if ktime-s.ktime > tcpStreamIdleNS || ktime < s.ktime {
				delete(t.m, k)
			}
		}
		for k := range t.m {
			if len(t.m) < maxTCPStreams {
				break
			}
			delete(t.m, k) // any one: all are active
		}
	}
	st := &stream{}
	t.m[key] = st
	return st
}

// len returns the number of streams followed.
func (t *tcpStreams) len() int { return len(t.m) }
