// Package mysqlprobe is the client side of the connection phase of the
// MySQL and MariaDB protocol, enough to learn whether a user name and
// password are accepted: the server's HandshakeV10, the client's
// HandshakeResponse41, the mysql_native_password scramble, the
// caching_sha2_password scramble with its fast and full (RSA public
// key) authentication, auth switch requests to those two plugins, and
// the OK and ERR packets. A login that succeeds is ended at once with
// COM_QUIT; no query is ever sent.
package mysqlprobe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxPacket bounds the payload of a packet read: the connection phase
// has no large packets (the RSA public key is under 1 KiB).
const MaxPacket = 64 << 10

// ErrMalformed is wrapped by the errors of packets that break the
// protocol.
var ErrMalformed = errors.New("malformed MySQL packet")

// Capability flags of the protocol (include/mysql_com.h).
const (
	CapLongPassword         uint32 = 1 << 0 // CLIENT_MYSQL for MariaDB
	CapConnectWithDB        uint32 = 1 << 3
	CapProtocol41           uint32 = 1 << 9
	CapSSL                  uint32 = 1 << 11
	CapTransactions         uint32 = 1 << 13
	CapSecureConnection     uint32 = 1 << 15
	CapMultiResults         uint32 = 1 << 17
	CapPluginAuth           uint32 = 1 << 19
	CapPluginAuthLenencData uint32 = 1 << 21
)

// Packet headers of the connection phase.
const (
	hdrOK         = 0x00
	hdrAuthMore   = 0x01
	hdrAuthSwitch = 0xfe
	hdrErr        = 0xff
)

// ReadPacket reads one packet: a 3-byte little-endian length, a sequence
// number and the payload. Payloads of MaxPacket bytes or more (and the
// 16 MiB continuation form) are refused.
func ReadPacket(r io.Reader) (seq byte, payload []byte, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("%w: header cut short", ErrMalformed)
		}
		return 0, nil, err
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if n >= MaxPacket {
		return 0, nil, fmt.Errorf("%w: payload of %d bytes over the bound %d", ErrMalformed, n, MaxPacket)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, fmt.Errorf("%w: payload of %d bytes cut short: %w", ErrMalformed, n, err)
	}
	return hdr[3], payload, nil
}

// AppendPacket appends a packet of payload with sequence number seq.
func AppendPacket(dst []byte, seq byte, payload []byte) []byte {
	n := len(payload)
	dst = append(dst, byte(n), byte(n>>8), byte(n>>16), seq)
	return append(dst, payload...)
}

// Handshake is the server's initial packet (HandshakeV10).
type Handshake struct {
	ProtocolVersion byte
	ServerVersion   string
	ConnectionID    uint32
	Capabilities    uint32
	Charset         byte
	Status          uint16
	// Nonce is the scramble's salt: the two parts of
	// auth-plugin-data, without the trailing NUL (20 bytes from MySQL
	// and MariaDB).
	Nonce []byte
	// AuthPlugin is the server's default authentication plugin, ""
	// when the server does not name one (before 5.5).
	AuthPlugin string
}

// IsMariaDB reports whether the server says it is MariaDB.
func (h *Handshake) IsMariaDB() bool {
	return bytes.Contains([]byte(h.ServerVersion), []byte("MariaDB"))
}

// ParseHandshake parses a HandshakeV10 payload. A payload that is an ERR
// packet (the server refuses the connection before the handshake: too
// many connections, a blocked host) gives an *ServerError.
func ParseHandshake(p []byte) (Handshake, error) {
	var h Handshake
	if len(p) == 0 {
		return h, fmt.Errorf("%w: empty handshake", ErrMalformed)
	}
	if p[0] == hdrErr {
		e, err := ParseErr(p)
		if err != nil {
			return h, err
		}
		return h, e
	}
	if p[0] != 10 {
		return h, fmt.Errorf("%w: protocol version %d, not 10", ErrMalformed, p[0])
	}
	h.ProtocolVersion = p[0]
	rest := p[1:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return h, fmt.Errorf("%w: server version not terminated", ErrMalformed)
	}
	h.ServerVersion, rest = string(rest[:i]), rest[i+1:]
	// connection id 4, auth-plugin-data-part-1 8, filler 1,
	// capabilities (low) 2.
	if len(rest) < 15 {
		return h, fmt.Errorf("%w: handshake of %d bytes cut short", ErrMalformed, len(p))
	}
	h.ConnectionID = binary.LittleEndian.Uint32(rest)
	h.Nonce = append([]byte(nil), rest[4:12]...)
	h.Capabilities = uint32(binary.LittleEndian.Uint16(rest[13:15]))
	rest = rest[15:]
	if len(rest) == 0 {
		return h, nil // a pre-4.1 server
	}
	// charset 1, status 2, capabilities (high) 2, auth data length 1,
	// reserved 10.
	if len(rest) < 16 {
		return h, fmt.Errorf("%w: handshake of %d bytes cut short", ErrMalformed, len(p))
	}
	h.Charset = rest[0]
	h.Status = binary.LittleEndian.Uint16(rest[1:3])
	h.Capabilities |= uint32(binary.LittleEndian.Uint16(rest[3:5])) << 16
	authLen := int(rest[5])
	rest = rest[16:]
	if h.Capabilities&CapSecureConnection != 0 {
		n := max(13, authLen-8)
		if len(rest) < n {
			return h, fmt.Errorf("%w: auth-plugin-data-part-2 of %d bytes cut short", ErrMalformed, n)
		}
		part2 := rest[:n]
		rest = rest[n:]
		// The part ends in a NUL that is not part of the salt.
		if len(part2) > 0 && part2[len(part2)-1] == 0 {
			part2 = part2[:len(part2)-1]
		}
		h.Nonce = append(h.Nonce, part2...)
	}
	if h.Capabilities&CapPluginAuth != 0 {
		if i := bytes.IndexByte(rest, 0); i >= 0 {
			rest = rest[:i]
		}
		h.AuthPlugin = string(rest)
	}
	return h, nil
}

// ServerError is an ERR packet.
type ServerError struct {
	Code     uint16
	SQLState string
	Message  string
}

// Error implements error.
func (e *ServerError) Error() string {
	if e.SQLState != "" {
		return fmt.Sprintf("ERROR %d (%s): %s", e.Code, e.SQLState, e.Message)
	}
	return fmt.Sprintf("ERROR %d: %s", e.Code, e.Message)
}

// Server error codes the checks tell apart.
const (
	// ErAccessDenied: wrong user name or password.
	ErAccessDenied uint16 = 1045
	// ErAccessDeniedNoPassword: the account's plugin refused (MariaDB's
	// unix_socket over TCP, among others).
	ErAccessDeniedNoPassword uint16 = 1698
)

// ParseErr parses an ERR packet (0xff, code, '#' and SQL state when the
// protocol is 4.1, message).
func ParseErr(p []byte) (*ServerError, error) {
	if len(p) < 3 || p[0] != hdrErr {
		return nil, fmt.Errorf("%w: not an ERR packet", ErrMalformed)
	}
	e := &ServerError{Code: binary.LittleEndian.Uint16(p[1:3])}
	rest := p[3:]
	if len(rest) >= 6 && rest[0] == '#' {
		e.SQLState, rest = string(rest[1:6]), rest[6:]
	}
	e.Message = string(bytes.ToValidUTF8(rest, []byte("?")))
	if len(e.Message) > 256 {
		e.Message = e.Message[:256]
	}
	return e, nil
}

// appendLenenc appends a length-encoded integer.
func appendLenenc(dst []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(dst, byte(n))
	case n < 1<<16:
		return append(dst, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(dst, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	dst = append(dst, 0xfe)
	return binary.LittleEndian.AppendUint64(dst, n)
}

// ClientCapabilities are the capabilities the client announces, those
// the server lacks removed: 4.1 protocol, secure connection, pluggable
// authentication with length-encoded data.
func ClientCapabilities(server uint32) uint32 {
	c := CapLongPassword | CapProtocol41 | CapTransactions | CapSecureConnection | CapMultiResults |
		CapPluginAuth | CapPluginAuthLenencData
	return c & (server | CapLongPassword)
}

// AppendHandshakeResponse appends the payload of a HandshakeResponse41
// for user with authentication data auth made by plugin.
func AppendHandshakeResponse(dst []byte, caps uint32, user string, auth []byte, plugin string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, caps)
	dst = binary.LittleEndian.AppendUint32(dst, MaxPacket)
	dst = append(dst, 33) // utf8_general_ci
	dst = append(dst, make([]byte, 23)...)
	dst = append(dst, user...)
	dst = append(dst, 0)
	switch {
	case caps&CapPluginAuthLenencData != 0:
		dst = appendLenenc(dst, uint64(len(auth)))
		dst = append(dst, auth...)
	case caps&CapSecureConnection != 0:
		dst = append(dst, byte(len(auth)))
		dst = append(dst, auth...)
	default:
		dst = append(dst, auth...)
		dst = append(dst, 0)
	}
	if caps&CapPluginAuth != 0 {
		dst = append(dst, plugin...)
		dst = append(dst, 0)
	}
	return dst
}

// ParseAuthSwitch parses an auth switch request (0xfe, plugin name,
// plugin data). The old form (0xfe alone, mysql_old_password) gives
// plugin "mysql_old_password".
func ParseAuthSwitch(p []byte) (plugin string, data []byte, err error) {
	if len(p) == 0 || p[0] != hdrAuthSwitch {
		return "", nil, fmt.Errorf("%w: not an auth switch request", ErrMalformed)
	}
	if len(p) == 1 {
		return "mysql_old_password", nil, nil
	}
	rest := p[1:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return "", nil, fmt.Errorf("%w: auth switch plugin name not terminated", ErrMalformed)
	}
	data = rest[i+1:]
	if len(data) > 0 && data[len(data)-1] == 0 {
		data = data[:len(data)-1]
	}
	return string(rest[:i]), append([]byte(nil), data...), nil
}
