package mysqlprobe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// The tests below run the client against a server written here, which
// speaks the server side of the connection phase: MySQL 8's
// caching_sha2_password is not in Debian (MariaDB, which is, is tested
// against the real server in the collector's host test).

type account struct {
	plugin   string
	password string
	// cached makes caching_sha2_password take the fast path.
	cached bool
	// socketOnly answers 1698, as MariaDB's unix_socket over TCP.
	socketOnly bool
}

type fakeServer struct {
	t             *testing.T
	defaultPlugin string
	accounts      map[string]account
	key           *rsa.PrivateKey
	// refuse answers the connection with an ERR instead of a handshake.
	refuse bool

	mu    sync.Mutex
	quits int
	seen  []string // plugins used, in order
}

func (s *fakeServer) listen(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(nc)
		}
	}()
	return l.Addr().String()
}

func nonce() []byte {
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = b[i]%94 + 33 // printable, no NUL, as servers send
	}
	return b
}

func (s *fakeServer) serve(nc net.Conn) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(nc)
	send := func(seq byte, p []byte) { nc.Write(AppendPacket(nil, seq, p)) }
	if s.refuse {
		send(0, append([]byte{0xff, 0x10, 0x04}, "Too many connections"...))
		return
	}
	n := nonce()
	caps := CapLongPassword | CapProtocol41 | CapSecureConnection | CapPluginAuth | CapPluginAuthLenencData | CapTransactions
	hs := []byte{10}
	hs = append(hs, "8.0.36-test\x00"...)
	hs = binary.LittleEndian.AppendUint32(hs, 7)
	hs = append(hs, n[:8]...)
	hs = append(hs, 0)
	hs = binary.LittleEndian.AppendUint16(hs, uint16(caps))
	hs = append(hs, 255, 2, 0)
	hs = binary.LittleEndian.AppendUint16(hs, uint16(caps>>16))
	hs = append(hs, 21)
	hs = append(hs, make([]byte, 10)...)
	hs = append(hs, n[8:]...)
	hs = append(hs, 0)
	hs = append(hs, s.defaultPlugin...)
	hs = append(hs, 0)
	send(0, hs)
	seq, p, err := ReadPacket(r)
	if err != nil {
		return
	}
	user, auth, plugin := parseResponse(s.t, p)
	errPacket := func(code uint16, msg string) {
		e := []byte{0xff}
		e = binary.LittleEndian.AppendUint16(e, code)
		e = append(e, "#28000"...)
		e = append(e, msg...)
		send(seq+1, e)
	}
	acc, ok := s.accounts[user]
	if !ok {
		errPacket(1045, "Access denied")
		return
	}
	if acc.socketOnly {
		errPacket(1698, "Access denied")
		return
	}
	if plugin != acc.plugin {
		n = nonce()
		sw := append([]byte{0xfe}, acc.plugin...)
		sw = append(sw, 0)
		sw = append(sw, n...)
		sw = append(sw, 0)
		send(seq+1, sw)
		seq, p, err = ReadPacket(r)
		if err != nil {
			return // the client gave up on a plugin it does not speak
		}
		auth = p
	}
	s.mu.Lock()
	s.seen = append(s.seen, acc.plugin)
	s.mu.Unlock()
	ok = false
	switch acc.plugin {
	case PluginNative:
		ok = verifyNative(acc.password, n, auth)
	case PluginCachingSHA2:
		if acc.cached || acc.password == "" {
			ok = verifySHA2(acc.password, n, auth)
			if ok && acc.password != "" {
				send(seq+1, []byte{1, 3})
				seq++
			}
			break
		}
		send(seq+1, []byte{1, 4})
		seq, p, err = ReadPacket(r)
		if err != nil || !bytes.Equal(p, []byte{2}) {
			return
		}
		der, _ := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
		send(seq+1, append([]byte{1}, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})...))
		seq, p, err = ReadPacket(r)
		if err != nil {
			return
		}
		plain, err := rsa.DecryptOAEP(sha1.New(), nil, s.key, p, nil)
		if err != nil {
			break
		}
		for i := range plain {
			plain[i] ^= n[i%len(n)]
		}
		ok = string(plain) == acc.password+"\x00"
	}
	if !ok {
		errPacket(1045, "Access denied")
		return
	}
	send(seq+1, []byte{0, 0, 0, 2, 0, 0, 0})
	if _, p, err := ReadPacket(r); err == nil && bytes.Equal(p, []byte{1}) {
		s.mu.Lock()
		s.quits++
		s.mu.Unlock()
	}
}

func parseResponse(t *testing.T, p []byte) (user string, auth []byte, plugin string) {
	caps := binary.LittleEndian.Uint32(p)
	rest := p[32:]
	i := bytes.IndexByte(rest, 0)
	user, rest = string(rest[:i]), rest[i+1:]
	if caps&CapPluginAuthLenencData == 0 {
		t.Error("client did not announce length-encoded auth data")
	}
	n := int(rest[0])
	auth, rest = rest[1:1+n], rest[1+n:]
	i = bytes.IndexByte(rest, 0)
	return user, auth, string(rest[:i])
}

func verifyNative(pw string, n, auth []byte) bool {
	if pw == "" {
		return len(auth) == 0
	}
	h1 := sha1.Sum([]byte(pw))
	stored := sha1.Sum(h1[:])
	h := sha1.New()
	h.Write(n)
	h.Write(stored[:])
	x := h.Sum(nil)
	if len(auth) != len(x) {
		return false
	}
	cand := make([]byte, len(x))
	for i := range x {
		cand[i] = auth[i] ^ x[i]
	}
	return sha1.Sum(cand) == stored
}

func verifySHA2(pw string, n, auth []byte) bool {
	if pw == "" {
		return len(auth) == 0
	}
	m1 := sha256.Sum256([]byte(pw))
	stored := sha256.Sum256(m1[:])
	h := sha256.New()
	h.Write(stored[:])
	h.Write(n)
	x := h.Sum(nil)
	if len(auth) != len(x) {
		return false
	}
	cand := make([]byte, len(x))
	for i := range x {
		cand[i] = auth[i] ^ x[i]
	}
	return sha256.Sum256(cand) == stored
}

func TestLogin(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	accounts := map[string]account{
		"native":  {plugin: PluginNative, password: "s3cret"},
		"empty":   {plugin: PluginNative},
		"fast":    {plugin: PluginCachingSHA2, password: "dragon", cached: true},
		"full":    {plugin: PluginCachingSHA2, password: "monkey"},
		"sha2nil": {plugin: PluginCachingSHA2},
		"socket":  {plugin: PluginNative, socketOnly: true},
		"ed":      {plugin: "client_ed25519", password: "x"},
	}
	tests := []struct {
		name, server, user, password string
		want                         Outcome
		wantPlugin                   string
	}{
		{"native right", PluginNative, "native", "s3cret", Accepted, PluginNative},
		{"native wrong", PluginNative, "native", "s3cre", Denied, PluginNative},
		{"native empty", PluginNative, "empty", "", Accepted, PluginNative},
		{"native empty wrong", PluginNative, "empty", "x", Denied, PluginNative},
		{"switch to native", PluginCachingSHA2, "native", "s3cret", Accepted, PluginNative},
		{"sha2 fast", PluginCachingSHA2, "fast", "dragon", Accepted, PluginCachingSHA2},
		{"sha2 fast wrong", PluginCachingSHA2, "fast", "dragoon", Denied, PluginCachingSHA2},
		{"switch to sha2 fast", PluginNative, "fast", "dragon", Accepted, PluginCachingSHA2},
		{"sha2 full RSA", PluginCachingSHA2, "full", "monkey", Accepted, PluginCachingSHA2},
		{"sha2 full RSA wrong", PluginCachingSHA2, "full", "monkeys", Denied, PluginCachingSHA2},
		{"sha2 empty", PluginCachingSHA2, "sha2nil", "", Accepted, PluginCachingSHA2},
		{"socket only", PluginNative, "socket", "", Denied, PluginNative},
		{"unknown user", PluginNative, "nobody", "", Denied, PluginNative},
		{"unsupported plugin", PluginNative, "ed", "x", Inconclusive, "client_ed25519"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &fakeServer{t: t, defaultPlugin: tc.server, accounts: accounts, key: key}
			addr := s.listen(t)
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			res, err := Login(context.Background(), nc, 5*time.Second, tc.user, tc.password)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.want || res.Plugin != tc.wantPlugin {
				t.Fatalf("outcome %v with %s (%+v), want %v with %s", res.Outcome, res.Plugin, res, tc.want, tc.wantPlugin)
			}
			if res.ServerVersion != "8.0.36-test" {
				t.Errorf("server version %q", res.ServerVersion)
			}
			if tc.want == Accepted {
				nc.Close()
				deadline := time.Now().Add(2 * time.Second)
				for {
					s.mu.Lock()
					q := s.quits
					s.mu.Unlock()
					if q == 1 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("no COM_QUIT after an accepted login")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

func TestLoginRefused(t *testing.T) {
	s := &fakeServer{t: t, refuse: true}
	nc, err := net.Dial("tcp", s.listen(t))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	res, err := Login(context.Background(), nc, 5*time.Second, "root", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Inconclusive || res.Err == nil || res.Err.Code != 1040 {
		t.Fatalf("%+v", res)
	}
}

func TestLoginTimeoutAndCancel(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			defer nc.Close() // silent: never sends a handshake
		}
	}()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := Login(context.Background(), nc, 200*time.Millisecond, "root", ""); err == nil {
		t.Fatal("no error from a silent server")
	}
	nc2, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	if _, err := Login(ctx, nc2, time.Minute, "root", ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestParseHandshakeMariaDB(t *testing.T) {
	// A handshake as MariaDB 10.11 sends it (the 5.5.5- prefix, MariaDB
	// capabilities in the reserved bytes).
	p := []byte{10}
	p = append(p, "5.5.5-10.11.19-MariaDB-0+deb12u1\x00"...)
	p = append(p, 3, 0, 0, 0)
	p = append(p, "abcdefgh"...)
	p = append(p, 0, 0xfe, 0xf7, 45, 2, 0, 0xff, 0x81, 21)
	p = append(p, 0, 0, 0, 0, 0, 0, 0x1d, 0, 0, 0)
	p = append(p, "ijklmnopqrst\x00"...)
	p = append(p, "mysql_native_password\x00"...)
	h, err := ParseHandshake(p)
	if err != nil {
		t.Fatal(err)
	}
	if !h.IsMariaDB() || string(h.Nonce) != "abcdefghijklmnopqrst" || h.AuthPlugin != PluginNative ||
		h.Capabilities&CapPluginAuth == 0 || h.Capabilities&CapProtocol41 == 0 {
		t.Fatalf("%+v", h)
	}
}
