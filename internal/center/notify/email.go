package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults of e-mail.
const (
	defaultSubjectPrefix = "[Vigil]"
	// maxSubjectRunes bounds the subject before encoding.
	maxSubjectRunes = 200
)

type emailChannel struct {
	cfg    EmailConfig
	from   *mail.Address
	to     []*mail.Address
	r      renderer
	tlsCfg *tls.Config
	now    func() time.Time
}

func newEmail(c EmailConfig, r renderer) (*emailChannel, error) {
	if c.Security == "" {
		c.Security = SecuritySTARTTLS
	}
	if c.Port == 0 {
		c.Port = map[string]int{SecuritySTARTTLS: 587, SecurityTLS: 465, SecurityNone: 25}[c.Security]
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = defaultSubjectPrefix
	}
	if c.Hello == "" {
		if h, err := os.Hostname(); err == nil && printASCII(h, 255) {
			c.Hello = h
		} else {
			c.Hello = "localhost"
		}
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, errors.New("email from: not an e-mail address")
	}
	e := &emailChannel{cfg: c, from: from, r: r, now: time.Now}
	for _, s := range c.To {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("email to: %q is not an e-mail address", s)
		}
		e.to = append(e.to, a)
	}
	if c.Security != SecurityNone {
		if e.tlsCfg, err = clientTLS(c.TLS, c.Host); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Send delivers the message in one SMTP session. SMTP replies 5xx and
// certificate failures are permanent; 4xx replies and network failures
// are retryable.
func (e *emailChannel) Send(ctx context.Context, m Message) error {
	body, err := e.compose(m)
	if err != nil {
		return permanent(fmt.Errorf("email: composing the message: %w", err))
	}
	addr := net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port))
	if err := e.deliver(ctx, addr, body); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return classifySMTP(fmt.Errorf("smtp %s: %w", addr, err))
	}
	return nil
}

func (e *emailChannel) deliver(ctx context.Context, addr string, body []byte) error {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	var err error
	if e.cfg.Security == SecurityTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: e.tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := smtp.NewClient(conn, e.cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(e.cfg.Hello); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if e.cfg.Security == SecuritySTARTTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return permanent(errors.New("the server does not offer STARTTLS (set security to tls or none)"))
		}
		if err := c.StartTLS(e.tlsCfg); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if e.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return permanent(errors.New("the server does not offer AUTH"))
		}
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, string(e.cfg.Password), e.cfg.Host)); err != nil {
			return fmt.Errorf("AUTH PLAIN: %w", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to.Address); err != nil {
			return fmt.Errorf("RCPT TO <%s>: %w", to.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	// The server took the message; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// classifySMTP marks permanent the errors a retry cannot fix: 5xx
// replies and certificates that do not verify.
func classifySMTP(err error) error {
	var tpErr *textproto.Error
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &tpErr) && tpErr.Code >= 500:
		return permanent(err)
	case errors.As(err, &certErr):
		return permanent(err)
	default:
		return err
	}
}

// compose renders the whole RFC 5322 message: headers, then a
// multipart/alternative body of text and HTML.
func (e *emailChannel) compose(m Message) ([]byte, error) {
	text := e.r.plainText(m, renderLimits[0])
	html, err := e.r.html(m, renderLimits[0])
	if err != nil {
		return nil, err
	}
	boundary, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	id, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	subject := truncateRunes(oneLine(e.cfg.SubjectPrefix+" "+e.r.heading(m)), maxSubjectRunes)

	var b bytes.Buffer
	b.WriteString(foldHeader("Date", e.now().Format(time.RFC1123Z)))
	b.WriteString(foldHeader("From", e.from.String()))
	b.WriteString(foldHeader("To", strings.Join(to, ", ")))
	b.WriteString(foldHeader("Subject", encodeHeaderText(subject)))
	b.WriteString(foldHeader("Message-ID", "<"+id+"@"+domainOf(e.from.Address)+">"))
	b.WriteString(foldHeader("MIME-Version", "1.0"))
	b.WriteString(foldHeader("Auto-Submitted", "auto-generated"))
	if m.NotificationID != "" {
		b.WriteString(foldHeader(HeaderNotificationID, m.NotificationID))
	}
	b.WriteString(foldHeader("Content-Type", `multipart/alternative; boundary="`+boundary+`"`))
	b.WriteString("\r\n")
	for _, part := range []struct{ ctype, body string }{{"text/plain", text}, {"text/html", html}} {
		b.WriteString("--" + boundary + "\r\n")
		b.WriteString("Content-Type: " + part.ctype + "; charset=UTF-8\r\n")
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		if err := writeQuotedPrintable(&b, part.body); err != nil {
			return nil, err
		}
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes(), nil
}

func randomHex(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(buf), nil
}

// domainOf is the domain of an address, for Message-ID.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i+1 < len(addr) {
		return addr[i+1:]
	}
	return "localhost"
}

func (e *emailChannel) Close() error { return nil }
