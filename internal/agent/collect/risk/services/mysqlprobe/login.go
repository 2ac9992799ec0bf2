package mysqlprobe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Outcome is what one login attempt learned about a password.
type Outcome int

// Outcomes of Login.
const (
	// Inconclusive: the attempt says nothing about the password (the
	// server refused the connection, asked for a plugin the client does
	// not speak, demands TLS ...); Result.Reason says why.
	Inconclusive Outcome = iota
	// Accepted: the server let the user in.
	Accepted
	// Denied: the server refused the user name and password.
	Denied
)

// String implements fmt.Stringer.
func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Denied:
		return "denied"
	}
	return "inconclusive"
}

// Result is the outcome of Login with what the server said.
type Result struct {
	Outcome Outcome
	// ServerVersion is the handshake's server version.
	ServerVersion string
	// Plugin is the authentication plugin of the last exchange.
	Plugin string
	// Err is the ERR packet that ended the attempt, if one did.
	Err *ServerError
	// Reason says why an attempt is inconclusive.
	Reason string
}

// maxRounds bounds the packets of one authentication exchange.
const maxRounds = 8

// Login runs the connection phase on nc as user with password and, when
// the server accepts them, ends the session at once with COM_QUIT. Each
// packet must come within timeout. An error means the exchange broke
// (the connection closed, a packet broke the protocol, a timeout); the
// caller closes nc.
func Login(ctx context.Context, nc net.Conn, timeout time.Duration, user, password string) (Result, error) {
	s := &session{nc: nc, r: bufio.NewReaderSize(nc, 4096), timeout: timeout}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	res, err := s.login(user, password)
	if err != nil && ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, err
}

type session struct {
	nc      net.Conn
	r       *bufio.Reader
	timeout time.Duration
	seq     byte
	out     []byte
}

func (s *session) read() ([]byte, error) {
	if err := s.nc.SetReadDeadline(time.Now().Add(s.timeout)); err != nil {
		return nil, err
	}
	seq, p, err := ReadPacket(s.r)
	if err != nil {
		return nil, err
	}
	s.seq = seq
	return p, nil
}

func (s *session) write(payload []byte) error {
	if err := s.nc.SetWriteDeadline(time.Now().Add(s.timeout)); err != nil {
		return err
	}
	s.seq++
	s.out = AppendPacket(s.out[:0], s.seq, payload)
	_, err := s.nc.Write(s.out)
	return err
}

func (s *session) login(user, password string) (Result, error) {
	var res Result
	p, err := s.read()
	if err != nil {
		return res, fmt.Errorf("read handshake: %w", err)
	}
	h, err := ParseHandshake(p)
	var se *ServerError
	if errors.As(err, &se) {
		res.Err, res.Reason = se, "the server refused the connection before the handshake"
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.ServerVersion = h.ServerVersion
	if h.Capabilities&CapProtocol41 == 0 || h.Capabilities&CapSecureConnection == 0 {
		res.Reason = "the server is older than protocol 4.1"
		return res, nil
	}
	nonce := trimNonce(h.Nonce)
	plugin := h.AuthPlugin
	auth, ok := scramble(plugin, password, nonce)
	if !ok {
		// Answer as mysql_native_password: a server whose default
		// plugin the client does not speak switches to the account's.
		plugin = PluginNative
		auth = NativeScramble(password, nonce)
	}
	if plugin == "" {
		plugin = PluginNative
	}
	res.Plugin = plugin
	caps := ClientCapabilities(h.Capabilities)
	if err := s.write(AppendHandshakeResponse(nil, caps, user, auth, plugin)); err != nil {
		return res, fmt.Errorf("send handshake response: %w", err)
	}
	for range maxRounds {
		p, err := s.read()
		if err != nil {
			return res, fmt.Errorf("read authentication reply: %w", err)
		}
		if len(p) == 0 {
			return res, fmt.Errorf("%w: empty packet", ErrMalformed)
		}
		switch p[0] {
		case hdrOK:
			res.Outcome = Accepted
			s.quit()
			return res, nil
		case hdrErr:
			e, err := ParseErr(p)
			if err != nil {
				return res, err
			}
			res.Err = e
			switch e.Code {
			case ErAccessDenied, ErAccessDeniedNoPassword:
				res.Outcome = Denied
			default:
				res.Reason = "the server ended the login with an error that is not about the password"
			}
			return res, nil
		case hdrAuthSwitch:
			name, data, err := ParseAuthSwitch(p)
			if err != nil {
				return res, err
			}
			res.Plugin = name
			nonce = trimNonce(data)
			auth, ok := scramble(name, password, nonce)
			if !ok {
				res.Reason = fmt.Sprintf("the account uses authentication plugin %q, which the check does not speak", name)
				return res, nil
			}
			if err := s.write(auth); err != nil {
				return res, fmt.Errorf("send auth switch response: %w", err)
			}
		case hdrAuthMore:
			if res.Plugin != PluginCachingSHA2 || len(p) < 2 {
				return res, fmt.Errorf("%w: more authentication data for plugin %q", ErrMalformed, res.Plugin)
			}
			switch p[1] {
			case 3: // fast authentication succeeded: OK follows
			case 4: // full authentication: the password under the server's key
				done, err := s.fullAuth(password, nonce, &res)
				if err != nil || done {
					return res, err
				}
			default:
				return res, fmt.Errorf("%w: caching_sha2_password status %d", ErrMalformed, p[1])
			}
		default:
			return res, fmt.Errorf("%w: packet type 0x%02x in the connection phase", ErrMalformed, p[0])
		}
	}
	return res, fmt.Errorf("%w: no end after %d authentication packets", ErrMalformed, maxRounds)
}

// fullAuth asks for the server's RSA public key and sends the password
// encrypted with it (caching_sha2_password without TLS). done is true
// when the attempt ended here.
func (s *session) fullAuth(password string, nonce []byte, res *Result) (done bool, err error) {
	if err := s.write([]byte{2}); err != nil {
		return true, fmt.Errorf("request the server's public key: %w", err)
	}
	p, err := s.read()
	if err != nil {
		return true, fmt.Errorf("read the server's public key: %w", err)
	}
	if len(p) > 0 && p[0] == hdrErr {
		e, err := ParseErr(p)
		if err != nil {
			return true, err
		}
		res.Err, res.Reason = e, "the server would not give its public key"
		return true, nil
	}
	if len(p) < 2 || p[0] != hdrAuthMore {
		return true, fmt.Errorf("%w: public key packet", ErrMalformed)
	}
	enc, err := EncryptPassword(password, nonce, p[1:])
	if err != nil {
		return true, err
	}
	if err := s.write(enc); err != nil {
		return true, fmt.Errorf("send the encrypted password: %w", err)
	}
	return false, nil
}

// quit ends an accepted session politely (COM_QUIT); the server closes.
func (s *session) quit() {
	_ = s.nc.SetWriteDeadline(time.Now().Add(s.timeout))
	_, _ = s.nc.Write(AppendPacket(nil, 0, []byte{0x01}))
}

// trimNonce keeps the 20 bytes of salt the scrambles use.
func trimNonce(n []byte) []byte {
	if len(n) > 20 {
		return n[:20]
	}
	return n
}
