package notify

import (
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// smtpServer is a small SMTP server on loopback: EHLO, STARTTLS, AUTH
// PLAIN, MAIL, RCPT, DATA, RSET, NOOP and QUIT, enough for net/smtp.
type smtpServer struct {
	ln       net.Listener
	tlsCfg   *tls.Config
	implicit bool // the listener speaks TLS from the start
	starttls bool // offer STARTTLS on plain connections
	user     string
	pass     string
	// rcptReply, when set, answers every RCPT (e.g. "451 4.3.0 try later").
	rcptReply string
	// echoAuth makes the 535 reply repeat what the client sent, as a
	// careless server might.
	echoAuth bool

	mu    sync.Mutex
	mails []receivedMail
	wg    sync.WaitGroup
}

// receivedMail is one message the server accepted.
type receivedMail struct {
	from     string
	to       []string
	data     string
	tls      bool
	authUser string
}

func startSMTP(t *testing.T, s *smtpServer) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.implicit {
		ln = tls.NewListener(ln, s.tlsCfg)
	}
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				s.serve(conn)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) received() []receivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedMail(nil), s.mails...)
}

func (s *smtpServer) serve(conn net.Conn) {
	_, isTLS := conn.(*tls.Conn)
	tp := textproto.NewConn(conn)
	reply := func(format string, args ...any) bool { return tp.PrintfLine(format, args...) == nil }
	if !reply("220 127.0.0.1 ESMTP notify test") {
		return
	}
	var cur receivedMail
	authed := ""
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			lines := []string{"127.0.0.1 greets " + arg}
			if !isTLS && s.starttls {
				lines = append(lines, "STARTTLS")
			}
			if isTLS && s.user != "" {
				lines = append(lines, "AUTH PLAIN")
			}
			lines = append(lines, "8BITMIME")
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				reply("250%s%s", sep, l)
			}
		case "STARTTLS":
			if isTLS || !s.starttls {
				reply("503 5.5.1 no STARTTLS here")
				continue
			}
			reply("220 2.0.0 ready to start TLS")
			tc := tls.Server(conn, s.tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, isTLS = tc, true
			tp = textproto.NewConn(tc)
			cur, authed = receivedMail{}, ""
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") || s.user == "" {
				reply("504 5.5.4 unknown mechanism")
				continue
			}
			if initial == "" {
				reply("334 ")
				if initial, err = tp.ReadLine(); err != nil {
					return
				}
			}
			raw, err := base64.StdEncoding.DecodeString(initial)
			parts := strings.Split(string(raw), "\x00")
			if err != nil || len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
				if s.echoAuth {
					reply("535 5.7.8 bad credentials %s (%s)", initial, raw)
				} else {
					reply("535 5.7.8 authentication failed")
				}
				continue
			}
			authed = parts[1]
			reply("235 2.7.0 authenticated")
		case "MAIL":
			if s.user != "" && authed == "" {
				reply("530 5.7.0 authentication required")
				continue
			}
			cur = receivedMail{from: addrArg(arg, "FROM:"), tls: isTLS, authUser: authed}
			reply("250 2.1.0 ok")
		case "RCPT":
			if s.rcptReply != "" {
				reply("%s", s.rcptReply)
				continue
			}
			cur.to = append(cur.to, addrArg(arg, "TO:"))
			reply("250 2.1.5 ok")
		case "DATA":
			if cur.from == "" || len(cur.to) == 0 {
				reply("503 5.5.1 need MAIL and RCPT")
				continue
			}
			reply("354 go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.data = string(data)
			s.mu.Lock()
			s.mails = append(s.mails, cur)
			s.mu.Unlock()
			cur = receivedMail{}
			reply("250 2.0.0 queued")
		case "RSET":
			cur = receivedMail{}
			reply("250 2.0.0 ok")
		case "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 unknown command %s", verb)
		}
	}
}

// addrArg extracts the address of "FROM:<a@b> BODY=8BITMIME".
func addrArg(arg, prefix string) string {
	arg = strings.TrimSpace(arg)
	if len(arg) >= len(prefix) && strings.EqualFold(arg[:len(prefix)], prefix) {
		arg = arg[len(prefix):]
	}
	if i := strings.IndexByte(arg, '>'); strings.HasPrefix(arg, "<") && i > 0 {
		return arg[1:i]
	}
	return arg
}
