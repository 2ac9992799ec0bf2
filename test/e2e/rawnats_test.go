//go:build e2e

package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/pki"
)

// rawNATS is a NATS client connection spoken by hand, for frames the
// client library refuses to send.
type rawNATS struct {
	conn *tls.Conn
	r    *bufio.Reader
}

// dialRawNATS connects to the agent's bus URL as the agent: plain INFO,
// TLS upgrade trusting the pinned CA, CONNECT with the user JWT and the
// server's nonce signed by the agent's key, and a PING answered by PONG.
func dialRawNATS(id bus.Identity) (*rawNATS, error) {
	u, err := url.Parse(id.NATSURLs[0])
	if err != nil {
		return nil, fmt.Errorf("bus URL: %w", err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "INFO ") {
		conn.Close()
		return nil, fmt.Errorf("server greeting %q: %v", line, err)
	}
	var info struct {
		Nonce       string `json:"nonce"`
		TLSRequired bool   `json:"tls_required"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "INFO ")), &info); err != nil || !info.TLSRequired || info.Nonce == "" {
		conn.Close()
		return nil, fmt.Errorf("INFO %q: want TLS required and a nonce (%v)", line, err)
	}
	cfg, err := pki.ClientTLSConfig([]byte(id.CAPEM))
	if err != nil {
		conn.Close()
		return nil, err
	}
	cfg.ServerName = u.Hostname()
	tc := tls.Client(conn, cfg)
	if err := tc.Handshake(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("TLS: %w", err)
	}
	kp, err := nkeys.FromSeed([]byte(id.UserSeed))
	if err != nil {
		tc.Close()
		return nil, fmt.Errorf("user seed: %w", err)
	}
	sig, err := kp.Sign([]byte(info.Nonce))
	if err != nil {
		tc.Close()
		return nil, fmt.Errorf("sign nonce: %w", err)
	}
	connect, _ := json.Marshal(map[string]any{
		"jwt": id.UserJWT, "sig": base64.RawURLEncoding.EncodeToString(sig), "name": id.AgentID,
		"verbose": false, "pedantic": false, "tls_required": true, "protocol": 1, "headers": true,
		"lang": "go", "version": "e2e",
	})
	rn := &rawNATS{conn: tc, r: bufio.NewReader(tc)}
	if _, err := fmt.Fprintf(tc, "CONNECT %s\r\nPING\r\n", connect); err != nil {
		tc.Close()
		return nil, fmt.Errorf("CONNECT: %w", err)
	}
	for {
		line, err := rn.line()
		switch {
		case err != nil:
			tc.Close()
			return nil, fmt.Errorf("CONNECT: %w", err)
		case line == "PONG":
			return rn, nil
		case strings.HasPrefix(line, "-ERR"):
			tc.Close()
			return nil, fmt.Errorf("CONNECT refused: %s", line)
		}
	}
}

// line reads one protocol line without its CRLF.
func (rn *rawNATS) line() (string, error) {
	s, err := rn.r.ReadString('\n')
	return strings.TrimRight(s, "\r\n"), err
}

// publishOversize sends a PUB frame of size bytes of payload on subject
// and returns the server's answer and whether the server then closed the
// connection. The server judges the frame by its PUB line, so the line
// goes first and is answered before the payload follows; the payload
// write may fail once the server closed the socket.
func (rn *rawNATS) publishOversize(subject string, size int) (string, bool) {
	if _, err := fmt.Fprintf(rn.conn, "PUB %s %d\r\n", subject, size); err != nil {
		return fmt.Sprintf("(PUB not sent: %v)", err), false
	}
	answer, err := rn.line()
	for err == nil && strings.HasPrefix(answer, "INFO ") { // the server's update after CONNECT
		answer, err = rn.line()
	}
	if err != nil {
		return fmt.Sprintf("(no answer: %v)", err), false
	}
	_, _ = rn.conn.Write(append(make([]byte, size), '\r', '\n'))
	_, err = io.Copy(io.Discard, rn.r)
	var ne net.Error
	timedOut := errors.As(err, &ne) && ne.Timeout()
	return answer, !timedOut
}

func (rn *rawNATS) close() { _ = rn.conn.Close() }
