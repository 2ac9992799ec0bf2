package mysqlprobe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

func FuzzParseHandshake(f *testing.F) {
	f.Add([]byte("\x0a5.5.5-10.11.19-MariaDB\x00\x03\x00\x00\x00abcdefgh\x00\xfe\xf7\x2d\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x00ijklmnopqrst\x00mysql_native_password\x00"))
	f.Add([]byte("\xff\x10\x04#08004Too many connections"))
	f.Add([]byte("\x0a8.0\x00"))
	f.Fuzz(func(t *testing.T, p []byte) {
		h, err := ParseHandshake(p)
		if err != nil {
			var se *ServerError
			if !errors.Is(err, ErrMalformed) && !errors.As(err, &se) {
				t.Fatalf("error %v is neither malformed nor a server error", err)
			}
			return
		}
		if h.ProtocolVersion != 10 {
			t.Fatalf("version %d accepted", h.ProtocolVersion)
		}
		ParseErr(p)
		ParseAuthSwitch(p)
	})
}

func FuzzReadPacket(f *testing.F) {
	f.Add([]byte("\x01\x00\x00\x00\x00"))
	f.Add([]byte("\xff\xff\xff\x00"))
	f.Add([]byte("\x05\x00\x00\x01\xfeabc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			_, p, err := ReadPacket(r)
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, io.EOF) {
					t.Fatalf("error %v", err)
				}
				return
			}
			if len(p) >= MaxPacket {
				t.Fatalf("payload of %d bytes", len(p))
			}
		}
	})
}

// script is a connection whose server side replays fixed bytes and
// swallows what the client writes.
type script struct {
	r *bytes.Reader
}

func (s *script) Read(b []byte) (int, error)       { return s.r.Read(b) }
func (s *script) Write(b []byte) (int, error)      { return len(b), nil }
func (s *script) Close() error                     { return nil }
func (s *script) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (s *script) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (s *script) SetDeadline(time.Time) error      { return nil }
func (s *script) SetReadDeadline(time.Time) error  { return nil }
func (s *script) SetWriteDeadline(time.Time) error { return nil }

// FuzzLogin runs the client's whole connection phase against server
// bytes: whatever they are, it ends with an outcome or an error.
func FuzzLogin(f *testing.F) {
	hs := "\x0a8.0.36\x00\x07\x00\x00\x00abcdefgh\x00\xff\xff\x21\x02\x00\xff\xff\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00ijklmnopqrst\x00caching_sha2_password\x00"
	pkt := func(seq byte, p string) string {
		return string(AppendPacket(nil, seq, []byte(p)))
	}
	f.Add([]byte(pkt(0, hs) + pkt(2, "\x00\x00\x00\x02\x00\x00\x00")))
	f.Add([]byte(pkt(0, hs) + pkt(2, "\x01\x03") + pkt(3, "\x00\x00\x00")))
	f.Add([]byte(pkt(0, hs) + pkt(2, "\x01\x04") + pkt(4, "\x01-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")))
	f.Add([]byte(pkt(0, hs) + pkt(2, "\xfemysql_native_password\x00abcdefghijklmnopqrst\x00") + pkt(4, "\xff\x15\x04#28000Access denied")))
	f.Add([]byte(pkt(0, hs) + pkt(2, "\xfe")))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Login(context.Background(), &script{r: bytes.NewReader(data)}, time.Second, "root", "pw")
		if err == nil && res.Outcome == Inconclusive && res.Reason == "" {
			t.Fatalf("inconclusive without a reason: %+v", res)
		}
	})
}
