package notify

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/version"
)

// udpReceiver listens on loopback UDP and passes on each datagram.
func udpReceiver(t *testing.T) (string, <-chan []byte) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan []byte, 100)
	go func() {
		buf := make([]byte, 70000)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			out <- append([]byte(nil), buf[:n]...)
		}
	}()
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String(), out
}

// streamReceiver listens on loopback TCP (TLS when cfg is set), splits
// each connection into octet-counted frames and passes them on. With
// closeAfter > 0 it closes each connection after that many frames.
func streamReceiver(t *testing.T, cfg *tls.Config, closeAfter int) (string, <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	out := make(chan []byte, 100)
	var wg sync.WaitGroup
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				var pending []byte
				buf := make([]byte, 4096)
				count := 0
				for {
					n, err := conn.Read(buf)
					if err != nil {
						return
					}
					frames, rest, perr := parseOctetFrames(append(pending, buf[:n]...))
					if perr != nil {
						t.Errorf("framing: %v", perr)
						return
					}
					pending = append([]byte(nil), rest...)
					for _, f := range frames {
						out <- f
						count++
						if closeAfter > 0 && count >= closeAfter {
							return
						}
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), out
}

func TestSyslogTransportsAndFormats(t *testing.T) {
	cert := newTestCert(t)
	for _, network := range []string{NetworkUDP, NetworkTCP, NetworkTLS} {
		for _, format := range []string{FormatRFC5424, FormatCEF} {
			t.Run(network+"/"+format, func(t *testing.T) {
				var addr string
				var frames <-chan []byte
				cfg := &SyslogConfig{Network: network, Format: format, Hostname: "center-1"}
				switch network {
				case NetworkUDP:
					addr, frames = udpReceiver(t)
				case NetworkTCP:
					addr, frames = streamReceiver(t, nil, 0)
				case NetworkTLS:
					addr, frames = streamReceiver(t, cert.serverConfig(), 0)
					cfg.TLS = &TLSConfig{CAFile: cert.caFile}
				}
				cfg.Address = addr
				ch := mustChannel(t, ChannelConfig{Name: "sys", Type: TypeSyslog, Syslog: cfg})
				m := testMessage()
				for range 2 {
					if err := ch.Send(context.Background(), m); err != nil {
						t.Fatal(err)
					}
				}
				for range 2 {
					p, err := parseRFC5424(<-frames)
					if err != nil {
						t.Fatalf("not RFC 5424: %v", err)
					}
					checkSyslog(t, p, format, m)
				}
			})
		}
	}
}

// checkSyslog checks one received message against the message sent.
func checkSyslog(t *testing.T, p parsedSyslog, format string, m Message) {
	t.Helper()
	if p.pri != 16*8+2 || p.hostname != "center-1" || p.appName != "vigil-center" || p.msgID != "alert" {
		t.Errorf("header = pri %d host %q app %q msgid %q", p.pri, p.hostname, p.appName, p.msgID)
	}
	switch format {
	case FormatRFC5424:
		if len(p.sd) != 1 || p.sd[0].id != DefaultSDID {
			t.Fatalf("structured data = %+v", p.sd)
		}
		for name, want := range map[string][]string{
			"id": {"al-0001"}, "rule_id": {"vigil.web.exploit"}, "severity": {"critical"},
			"technique": {"T1190", "T1059.004"}, "hostname": {"oa-web-01"}, "count": {"3"},
			"link": {m.Link}, "notification_id": {m.NotificationID},
		} {
			if got := p.param(name); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("param %s = %q, want %q", name, got, want)
			}
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(p.param("evidence")[0]), &ev); err != nil || ev["process.command_line"] != `/bin/sh -c "whoami; id"` {
			t.Errorf("evidence = %v (%v)", ev, err)
		}
		if !p.bom || !strings.HasPrefix(p.msg, m.Title+": Web 进程") {
			t.Errorf("MSG = %q (bom %v)", p.msg, p.bom)
		}
	case FormatCEF:
		if len(p.sd) != 0 || p.bom {
			t.Errorf("CEF message has structured data %v or a BOM", p.sd)
		}
		c, err := parseCEF(p.msg)
		if err != nil {
			t.Fatalf("not CEF: %v\n%s", err, p.msg)
		}
		want := [6]string{"Vigil", "Vigil Center", version.Version, "vigil.web.exploit", m.Title, "10"}
		if c.version != "0" || c.header != want {
			t.Errorf("CEF header = %q %q, want %q", c.version, c.header, want)
		}
		for key, want := range map[string]string{
			"msg": m.Description, "externalId": "al-0001", "dhost": "oa-web-01", "cnt": "3",
			"cs1Label": "techniques", "cs1": "T1190,T1059.004", "cs4": m.Link, "cs6": "critical",
			"rt": fmt.Sprint(m.LastSeen.UnixMilli()),
		} {
			if got, _ := c.extValue(key); got != want {
				t.Errorf("extension %s = %q, want %q", key, got, want)
			}
		}
		ev, _ := c.extValue("cs5")
		var evidence map[string]any
		if err := json.Unmarshal([]byte(ev), &evidence); err != nil || evidence["note"] != "<at id=all></at> [click](http://evil.example)" {
			t.Errorf("evidence = %q (%v)", ev, err)
		}
	}
}

func TestSyslogReconnectsAfterClose(t *testing.T) {
	addr, frames := streamReceiver(t, nil, 1)
	ch, err := newSyslog(SyslogConfig{Network: NetworkTCP, Address: addr, Format: FormatRFC5424})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	for i := range 3 {
		if err := ch.Send(context.Background(), testMessage()); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if _, err := parseRFC5424(<-frames); err != nil {
			t.Fatal(err)
		}
		// The collector closed the connection; the channel notices.
		waitFor(t, "the close to be noticed", func() bool {
			ch.mu.Lock()
			defer ch.mu.Unlock()
			select {
			case <-ch.dead:
				return true
			default:
				return false
			}
		})
	}
}

func TestSyslogTLSRejectsUntrustedServer(t *testing.T) {
	cert := newTestCert(t)
	addr, _ := streamReceiver(t, cert.serverConfig(), 0)
	ch := mustChannel(t, ChannelConfig{Name: "sys", Type: TypeSyslog, Syslog: &SyslogConfig{Network: NetworkTLS, Address: addr}})
	err := ch.Send(context.Background(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("error = %v, want a certificate error", err)
	}
}

func TestSyslogSizeLimit(t *testing.T) {
	m := testMessage()
	m.Title = strings.Repeat("很长的标题|", 100)
	m.Description = strings.Repeat("描述=\\\"]\n", 2000)
	ev := map[string]any{}
	for i := range 50 {
		ev[fmt.Sprint("k", i)] = strings.Repeat("v", 100)
	}
	m.Evidence = ev
	for _, format := range []string{FormatRFC5424, FormatCEF} {
		for _, max := range []int{480, 1000, 8192} {
			s, err := newSyslog(SyslogConfig{Network: NetworkUDP, Address: "127.0.0.1:9", Format: format, MaxMessageBytes: max})
			if err != nil {
				t.Fatal(err)
			}
			b := s.format(m)
			if len(b) > max {
				t.Errorf("%s max %d: %d bytes", format, max, len(b))
			}
			p, err := parseRFC5424(b)
			if err != nil {
				t.Errorf("%s max %d: %v\n%s", format, max, err, b)
				continue
			}
			if format == FormatCEF {
				if _, err := parseCEF(p.msg); err != nil {
					t.Errorf("%s max %d: CEF: %v\n%s", format, max, err, p.msg)
				}
			}
		}
	}
}

func TestSyslogSeverityAndFacility(t *testing.T) {
	tests := []struct {
		sev      store.Severity
		facility string
		wantPRI  int
		wantCEF  int
	}{
		{store.SeverityCritical, "local0", 16*8 + 2, 10},
		{store.SeverityHigh, "authpriv", 10*8 + 3, 8},
		{store.SeverityMedium, "security", 13*8 + 4, 5},
		{store.SeverityLow, "kern", 0*8 + 5, 3},
		{"unknown", "local7", 23*8 + 6, 0},
	}
	for _, tt := range tests {
		s, err := newSyslog(SyslogConfig{Network: NetworkUDP, Address: "127.0.0.1:9", Facility: tt.facility})
		if err != nil {
			t.Fatal(err)
		}
		m := testMessage()
		m.Severity = tt.sev
		p, err := parseRFC5424(s.format(m))
		if err != nil {
			t.Fatal(err)
		}
		if p.pri != tt.wantPRI {
			t.Errorf("%s/%s: PRI %d, want %d", tt.sev, tt.facility, p.pri, tt.wantPRI)
		}
		if got := cefSeverity(string(tt.sev)); got != tt.wantCEF {
			t.Errorf("cefSeverity(%s) = %d, want %d", tt.sev, got, tt.wantCEF)
		}
	}
}

func TestSyslogHeaderFieldsSanitized(t *testing.T) {
	rec := syslogRecord{facility: 1, severity: 5, hostname: "主机 a", appName: strings.Repeat("x", 60), msgID: "", procID: "1"}
	p, err := parseRFC5424(rec.appendTo(nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.timestamp != "-" || p.msgID != "-" || len(p.appName) != 48 || strings.ContainsAny(p.hostname, " ") {
		t.Errorf("parsed = %+v", p)
	}
}
