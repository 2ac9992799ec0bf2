package authlog_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syslogReceiver stands in for rsyslog: it receives what programs send
// to /dev/log and appends the auth and authpriv messages to a file in
// the format of Debian 12's rsyslog (RSYSLOG_FileFormat): an RFC 3339
// timestamp with microseconds taken on receipt, the short host name,
// then the tag and message exactly as the program sent them, control
// characters escaped as #ooo.
type syslogReceiver struct {
	conn  *net.UnixConn
	file  *os.File
	host  string
	wg    sync.WaitGroup
	mu    sync.Mutex
	lines []string // the message bodies written, for checks
}

// Syslog facilities written to the auth log.
const (
	facilityAuth     = 4
	facilityAuthpriv = 10
)

func startSyslog(t *testing.T, socket, authLog string) *syslogReceiver {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(socket, 0o666); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(authLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	r := &syslogReceiver{conn: conn, file: f, host: host}
	r.wg.Add(1)
	go r.loop()
	t.Cleanup(func() {
		_ = conn.Close()
		r.wg.Wait()
		_ = f.Close()
	})
	return r
}

func (r *syslogReceiver) loop() {
	defer r.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := r.conn.Read(buf)
		if err != nil {
			return
		}
		r.handle(buf[:n], time.Now())
	}
}

// handle writes one datagram: "<PRI>Mmm dd hh:mm:ss TAG: MSG" as glibc's
// syslog(3) sends it.
func (r *syslogReceiver) handle(d []byte, at time.Time) {
	d = bytes.TrimRight(d, "\n\x00")
	if len(d) < 3 || d[0] != '<' {
		return
	}
	end := bytes.IndexByte(d, '>')
	if end < 0 {
		return
	}
	pri, err := strconv.Atoi(string(d[1:end]))
	if err != nil {
		return
	}
	rest := d[end+1:]
	if len(rest) > 16 && rest[3] == ' ' && rest[15] == ' ' {
		rest = rest[16:] // the sender's RFC 3164 timestamp; rsyslog stamps receipt time
	}
	if fac := pri >> 3; fac != facilityAuth && fac != facilityAuthpriv {
		return
	}
	var b strings.Builder
	b.WriteString(at.Format("2006-01-02T15:04:05.000000-07:00"))
	b.WriteByte(' ')
	b.WriteString(r.host)
	b.WriteByte(' ')
	for _, c := range rest {
		if c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "#%03o", c)
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.file.WriteString(b.String())
	r.lines = append(r.lines, string(rest))
}

// received returns the tag and message of every line written.
func (r *syslogReceiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}
