package notify

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"testing"
)

// parsedMail is a received message decoded as a mail client would.
type parsedMail struct {
	header mail.Header
	parts  map[string]string // content type -> decoded body
}

func parseMail(t *testing.T, data string) parsedMail {
	t.Helper()
	// The server's reader turned CRLF into LF.
	for i, line := range strings.Split(data, "\n") {
		if line == "" {
			break
		}
		if len(line) > 998 {
			t.Errorf("header line %d is %d characters", i, len(line))
		}
	}
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	p := parsedMail{header: msg.Header, parts: map[string]string{}}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, cp, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if cp["charset"] != "UTF-8" {
			t.Errorf("%s charset %q", ct, cp["charset"])
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		p.parts[ct] = string(body)
	}
	return p
}

func emailConfig(t *testing.T, port int, security string) ChannelConfig {
	cert := newTestCert(t)
	return ChannelConfig{Name: "mail", Type: TypeEmail, Language: Chinese, Email: &EmailConfig{
		Host: "127.0.0.1", Port: port, Security: security,
		Username: "vigil", Password: "smtp-pass-0123",
		From: "Vigil 告警 <vigil@example.com>", To: []string{"soc@example.com", "张三 <zhangsan@example.com>"},
		TLS: &TLSConfig{CAFile: cert.caFile},
	}}
}

func TestEmailSTARTTLS(t *testing.T) {
	cert := newTestCert(t)
	srv := startSMTP(t, &smtpServer{tlsCfg: cert.serverConfig(), starttls: true, user: "vigil", pass: "smtp-pass-0123"})
	ch := mustChannel(t, emailConfig(t, srv.port(), SecuritySTARTTLS))
	m := testMessage()
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	r := got[0]
	if !r.tls || r.authUser != "vigil" || r.from != "vigil@example.com" || strings.Join(r.to, ",") != "soc@example.com,zhangsan@example.com" {
		t.Errorf("envelope = %+v", r)
	}
	p := parseMail(t, r.data)
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(p.header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "[Vigil] [严重] OA 系统 Web 进程异常执行命令 | cmd=whoami"; subject != want {
		t.Errorf("Subject = %q, want %q", subject, want)
	}
	if raw := p.header.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?b?") {
		t.Errorf("raw Subject %q is not RFC 2047 encoded", raw)
	}
	from, err := p.header.AddressList("From")
	if err != nil || from[0].Name != "Vigil 告警" || from[0].Address != "vigil@example.com" {
		t.Errorf("From = %v, %v", from, err)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 2 || to[1].Name != "张三" {
		t.Errorf("To = %v, %v", to, err)
	}
	if _, err := p.header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	for h, want := range map[string]string{"MIME-Version": "1.0", "Auto-Submitted": "auto-generated", HeaderNotificationID: m.NotificationID} {
		if v := p.header.Get(h); v != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
	if id := p.header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID = %q", id)
	}
	text, html := p.parts["text/plain"], p.parts["text/html"]
	for _, want := range []string{"级别：严重", "主机：oa-web-01", "疑似 N-day 漏洞利用 [CVE-2023-0001] \\ 50% = 高", m.Link} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{`<html lang="zh-CN">`, "<td style=\"padding:2px 0\">oa-web-01</td>", "&lt;at id=all&gt;", `<a href="` + m.Link + `">在控制台中查看</a>`} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<at id=all>") {
		t.Error("HTML part carries raw markup from the alert")
	}
}

func TestEmailImplicitTLS(t *testing.T) {
	cert := newTestCert(t)
	srv := startSMTP(t, &smtpServer{tlsCfg: cert.serverConfig(), implicit: true, user: "vigil", pass: "smtp-pass-0123"})
	ch := mustChannel(t, emailConfig(t, srv.port(), SecurityTLS))
	if err := ch.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	if got := srv.received(); len(got) != 1 || !got[0].tls {
		t.Errorf("received %+v", got)
	}
}

func TestEmailPlainWithoutCredentials(t *testing.T) {
	srv := startSMTP(t, &smtpServer{})
	c := emailConfig(t, srv.port(), SecurityNone)
	c.Email.Username, c.Email.Password, c.Email.TLS = "", "", nil
	c.Language = English
	if err := mustChannel(t, c).Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 || got[0].tls {
		t.Fatalf("received %+v", got)
	}
	p := parseMail(t, got[0].data)
	if s := p.header.Get("Subject"); !strings.HasPrefix(s, "=?UTF-8?b?") {
		t.Errorf("Subject %q", s)
	}
}

func TestEmailFailures(t *testing.T) {
	cert := newTestCert(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	tests := []struct {
		name      string
		server    *smtpServer
		security  string
		noCA      bool
		permanent bool
		want      string
	}{
		{"wrong password", &smtpServer{tlsCfg: cert.serverConfig(), starttls: true, user: "vigil", pass: "other"}, SecuritySTARTTLS, false, true, "AUTH PLAIN: 535"},
		{"no STARTTLS", &smtpServer{user: "vigil", pass: "smtp-pass-0123"}, SecuritySTARTTLS, false, true, "does not offer STARTTLS"},
		{"recipient deferred", &smtpServer{tlsCfg: cert.serverConfig(), starttls: true, user: "vigil", pass: "smtp-pass-0123", rcptReply: "451 4.3.0 try again later"}, SecuritySTARTTLS, false, false, "RCPT TO <soc@example.com>: 451"},
		{"recipient refused", &smtpServer{tlsCfg: cert.serverConfig(), starttls: true, user: "vigil", pass: "smtp-pass-0123", rcptReply: "550 5.1.1 no such user"}, SecuritySTARTTLS, false, true, "550"},
		{"untrusted certificate", &smtpServer{tlsCfg: cert.serverConfig(), starttls: true, user: "vigil", pass: "smtp-pass-0123"}, SecuritySTARTTLS, true, true, "certificate"},
		{"connection refused", nil, SecuritySTARTTLS, false, false, "dial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := closedPort
			if tt.server != nil {
				port = startSMTP(t, tt.server).port()
			}
			c := emailConfig(t, port, tt.security)
			if tt.noCA {
				c.Email.TLS = nil
			}
			err := mustChannel(t, c).Send(context.Background(), testMessage())
			if err == nil {
				t.Fatal("no error")
			}
			if IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q (permanent %v), want %q (permanent %v)", err, IsPermanent(err), tt.want, tt.permanent)
			}
			if strings.Contains(err.Error(), "smtp-pass-0123") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestFoldHeader(t *testing.T) {
	long := encodeHeaderText(strings.Repeat("告警标题很长", 20))
	folded := foldHeader("Subject", long)
	// An encoded word may take 75 characters: the first line holds the
	// name and one word; the others stay within 78.
	for i, line := range strings.Split(strings.TrimSuffix(folded, "\r\n"), "\r\n") {
		if i > 0 && len(line) > maxHeaderLine || len(line) > 998 {
			t.Errorf("line %d of %d characters: %q", i, len(line), line)
		}
	}
	// Unfolding gives the value back.
	unfolded := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(folded, "Subject: "), "\r\n"), "\r\n", "")
	if unfolded != long {
		t.Errorf("unfolded %q, want %q", unfolded, long)
	}
	dec := new(mime.WordDecoder)
	if got, err := dec.DecodeHeader(unfolded); err != nil || got != strings.Repeat("告警标题很长", 20) {
		t.Errorf("decoded %q, %v", got, err)
	}
	if got := foldHeader("To", "a@b.c"); got != "To: a@b.c\r\n" {
		t.Errorf("short header = %q", got)
	}
}
