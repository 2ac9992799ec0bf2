package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/version"
)

// Syslog defaults.
const (
	// DefaultSDID is the structured data id of format rfc5424. 32473 is
	// the enterprise number RFC 5612 reserves for examples; set sd_id to
	// an assigned number where a collector needs one.
	DefaultSDID        = "vigil@32473"
	defaultAppName     = "vigil-center"
	defaultSyslogBytes = 8192
	defaultFacility    = "local0"
	// maxSDValueBytes bounds one structured data value or CEF extension
	// value (before escaping).
	maxSDValueBytes = 1024
	// maxEvidenceBytes bounds the evidence, as JSON, in one message.
	maxEvidenceBytes = 2048
)

// CEF header values.
const (
	cefVendor  = "Vigil"
	cefProduct = "Vigil Center"
)

// syslogSeverity maps a severity onto syslog's: critical is crit (2),
// high err (3), medium warning (4), low notice (5), others info (6).
func syslogSeverity(s store.Severity) int {
	switch s {
	case store.SeverityCritical:
		return 2
	case store.SeverityHigh:
		return 3
	case store.SeverityMedium:
		return 4
	case store.SeverityLow:
		return 5
	default:
		return 6
	}
}

type syslogChannel struct {
	cfg      SyslogConfig
	facility int
	procID   string
	// productVersion is the Device Version of CEF records.
	productVersion string
	max            int
	dial           func(ctx context.Context) (net.Conn, error)
	now            func() time.Time

	mu   sync.Mutex
	conn net.Conn
	// dead is closed when the collector closes a stream connection.
	dead chan struct{}
}

func newSyslog(c SyslogConfig) (*syslogChannel, error) {
	if c.Format == "" {
		c.Format = FormatRFC5424
	}
	if c.Facility == "" {
		c.Facility = defaultFacility
	}
	if c.AppName == "" {
		c.AppName = defaultAppName
	}
	if c.SDID == "" {
		c.SDID = DefaultSDID
	}
	if c.Hostname == "" {
		c.Hostname, _ = os.Hostname()
	}
	s := &syslogChannel{
		cfg: c, facility: syslogFacilities[c.Facility], procID: strconv.Itoa(os.Getpid()),
		productVersion: version.Version, max: c.MaxMessageBytes, now: time.Now,
	}
	if s.max == 0 {
		s.max = defaultSyslogBytes
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	switch c.Network {
	case NetworkUDP, NetworkTCP:
		s.dial = func(ctx context.Context) (net.Conn, error) { return dialer.DialContext(ctx, c.Network, c.Address) }
	case NetworkTLS:
		host, _, _ := net.SplitHostPort(c.Address)
		cfg, err := clientTLS(c.TLS, host)
		if err != nil {
			return nil, err
		}
		td := &tls.Dialer{NetDialer: dialer, Config: cfg}
		s.dial = func(ctx context.Context) (net.Conn, error) { return td.DialContext(ctx, "tcp", c.Address) }
	default:
		return nil, fmt.Errorf("syslog: unknown network %q", c.Network)
	}
	return s, nil
}

// Send writes one message: a datagram over UDP, an octet-counted frame
// (RFC 6587 section 3.4.1, as RFC 5425 uses over TLS) over TCP and TLS.
// A broken connection is dropped and the next attempt dials again.
func (s *syslogChannel) Send(ctx context.Context, m Message) error {
	msg := s.format(m)
	frame := msg
	if s.cfg.Network != NetworkUDP {
		frame = append(strconv.AppendInt(nil, int64(len(msg)), 10), ' ')
		frame = append(frame, msg...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, err := s.connect(ctx)
	if err != nil {
		return fmt.Errorf("syslog %s %s: %w", s.cfg.Network, s.cfg.Address, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetWriteDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetWriteDeadline(time.Unix(1, 0)) })
	_, err = conn.Write(frame)
	stop()
	if err != nil {
		s.dropConn()
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return fmt.Errorf("syslog %s %s: write: %w", s.cfg.Network, s.cfg.Address, err)
	}
	return nil
}

// connect returns the open connection, dialing when there is none or the
// collector closed it.
func (s *syslogChannel) connect(ctx context.Context) (net.Conn, error) {
	if s.conn != nil {
		select {
		case <-s.dead:
			s.dropConn()
		default:
			return s.conn, nil
		}
	}
	conn, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	s.conn, s.dead = conn, make(chan struct{})
	if s.cfg.Network != NetworkUDP {
		// A collector sends nothing: reading only notices the close.
		dead := s.dead
		go func() {
			_, _ = io.Copy(io.Discard, conn)
			close(dead)
		}()
	}
	return conn, nil
}

func (s *syslogChannel) dropConn() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

func (s *syslogChannel) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// detail is how much of a message a syslog rendering carries.
type detail int

const (
	detailFull       detail = iota // everything
	detailNoEvidence               // without the evidence
	detailMinimal                  // the fields that identify the alert, cut short
	detailBare                     // the id and the texts only
)

// clipMinimal bounds the values of detailMinimal and detailBare.
const clipMinimal = 64

// format renders a message within the size limit: whole, then without
// the evidence, then with its texts cut, then with only the identifying
// fields and cut texts.
func (s *syslogChannel) format(m Message) []byte {
	build := s.rfc5424
	if s.cfg.Format == FormatCEF {
		build = s.cef
	}
	b := build(m, detailFull, -1)
	if len(b) <= s.max {
		return b
	}
	for _, d := range []detail{detailNoEvidence, detailMinimal, detailBare} {
		// Values are clipped to maxSDValueBytes; each round cuts at
		// least a quarter, so that escaping cannot keep it from ending.
		textMax := min(len(m.Title), maxSDValueBytes) + min(len(m.Description), maxSDValueBytes)
		for range 24 {
			b = build(m, d, textMax)
			if len(b) <= s.max || textMax == 0 {
				break
			}
			textMax = max(0, min(textMax-(len(b)-s.max), textMax*3/4))
		}
		if len(b) <= s.max {
			return b
		}
	}
	return []byte(truncateBytes(string(b), s.max))
}

// splitText cuts a title and a description to textMax bytes together
// (no limit when textMax < 0): the title keeps up to half unless the
// description needs less.
func splitText(title, desc string, textMax int) (string, string) {
	if textMax < 0 {
		return title, desc
	}
	titleMax := max(textMax/2, textMax-len(desc))
	title = truncateBytes(title, titleMax)
	return title, truncateBytes(desc, textMax-len(title))
}

// clip bounds a structured value.
func clip(s string) string { return truncateBytes(s, maxSDValueBytes) }

// clipFor bounds a structured value for a level of detail.
func clipFor(d detail, s string) string {
	if d >= detailMinimal {
		return truncateBytes(s, clipMinimal)
	}
	return clip(s)
}

// evidenceJSON is the evidence as compact JSON, or "" when there is none
// or it is too large.
func evidenceJSON(m Message) string {
	if len(m.Evidence) == 0 {
		return ""
	}
	s, err := compactJSON(m.Evidence)
	if err != nil || len(s) > maxEvidenceBytes {
		return ""
	}
	return s
}

// rfc5424 renders an RFC 5424 message: the alert in structured data, its
// title and description as MSG. textMax >= 0 bounds the texts in bytes.
func (s *syslogChannel) rfc5424(m Message, d detail, textMax int) []byte {
	if d == detailBare {
		return s.rfc5424Record(m, nil, textMax)
	}
	params := []sdParam{{"kind", string(m.Kind)}, {"id", clipFor(d, m.ID)}}
	add := func(name, value string) {
		if value != "" {
			params = append(params, sdParam{name, clipFor(d, value)})
		}
	}
	add("rule_id", m.RuleID)
	add("severity", string(m.Severity))
	if d == detailMinimal {
		add("hostname", m.Hostname)
		return s.rfc5424Record(m, params, textMax)
	}
	add("state", m.State)
	if m.Count > 0 {
		add("count", strconv.Itoa(m.Count))
	}
	add("agent_id", m.AgentID)
	add("hostname", m.Hostname)
	for _, t := range m.Techniques {
		add("technique", t)
	}
	if !m.FirstSeen.IsZero() {
		add("first_seen", m.FirstSeen.UTC().Format(time.RFC3339Nano))
	}
	if !m.LastSeen.IsZero() {
		add("last_seen", m.LastSeen.UTC().Format(time.RFC3339Nano))
	}
	add("link", m.Link)
	add("notification_id", m.NotificationID)
	if d == detailFull {
		add("evidence", evidenceJSON(m))
	}
	return s.rfc5424Record(m, params, textMax)
}

// rfc5424Record renders the structured data params and the texts of m.
func (s *syslogChannel) rfc5424Record(m Message, params []sdParam, textMax int) []byte {
	title, desc := splitText(oneLine(m.Title), oneLine(m.Description), textMax)
	text := title
	if desc != "" {
		text += ": " + desc
	}
	rec := syslogRecord{
		facility: s.facility, severity: syslogSeverity(m.Severity), timestamp: s.now(),
		hostname: s.cfg.Hostname, appName: s.cfg.AppName, procID: s.procID, msgID: string(m.Kind),
		msg: text, bom: true,
	}
	if params != nil {
		rec.sd = []sdElement{{id: s.cfg.SDID, params: params}}
	}
	return rec.appendTo(nil)
}

// cef renders an RFC 5424 message whose MSG is a CEF record (without
// structured data or BOM, so that the record starts with "CEF:").
// textMax >= 0 bounds the name and the msg extension in bytes.
func (s *syslogChannel) cef(m Message, d detail, textMax int) []byte {
	var ext []sdParam
	add := func(name, value string) {
		if value != "" {
			ext = append(ext, sdParam{name, clipFor(d, value)})
		}
	}
	title, desc := splitText(oneLine(m.Title), strings.TrimSpace(m.Description), textMax)
	if d == detailBare {
		add("externalId", m.ID)
		add("msg", desc)
		return s.cefRecord(m, d, title, ext)
	}
	add("rt", cefMillis(m.LastSeen))
	if d != detailMinimal {
		add("start", cefMillis(m.FirstSeen))
		if m.Count > 0 {
			add("cnt", strconv.Itoa(m.Count))
		}
	}
	add("dhost", m.Hostname)
	add("externalId", m.ID)
	add("cat", string(m.Kind))
	add("msg", desc)
	// The custom strings keep fixed numbers, so that collectors can map
	// them once.
	ev := ""
	if d == detailFull {
		ev = evidenceJSON(m)
	}
	if d == detailMinimal {
		return s.cefRecord(m, d, title, ext)
	}
	custom := []struct{ label, value string }{
		{"techniques", strings.Join(m.Techniques, ",")},
		{"agentId", m.AgentID},
		{"state", m.State},
		{"link", m.Link},
		{"evidence", ev},
		{"severity", string(m.Severity)},
	}
	for i, c := range custom {
		if c.value != "" {
			n := strconv.Itoa(i + 1)
			add("cs"+n+"Label", c.label)
			add("cs"+n, c.value)
		}
	}
	return s.cefRecord(m, d, title, ext)
}

// cefRecord renders the CEF record of m with the given name and
// extension, inside an RFC 5424 message.
func (s *syslogChannel) cefRecord(m Message, d detail, name string, ext []sdParam) []byte {
	rec := cefRecord{
		vendor: cefVendor, product: cefProduct, version: s.productVersion,
		classID: clipFor(d, m.RuleID), name: clip(name),
		severity: cefSeverity(string(m.Severity)), ext: ext,
	}
	line := rec.String()
	sr := syslogRecord{
		facility: s.facility, severity: syslogSeverity(m.Severity), timestamp: s.now(),
		hostname: s.cfg.Hostname, appName: s.cfg.AppName, procID: s.procID, msgID: string(m.Kind),
		msg: line,
	}
	return sr.appendTo(nil)
}
