package notify

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidConfig is wrapped by every validation error.
var ErrInvalidConfig = errors.New("invalid notification config")

// FieldError is one invalid field. Path names it the way the
// configuration spells it: channels[2].dingtalk.url.
type FieldError struct {
	Path   string
	Reason string
	// Line is the line of the field in a YAML file, when known.
	Line int
}

// Error is "path: reason".
func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return e.Path + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidConfig) true.
func (e *FieldError) Unwrap() error { return ErrInvalidConfig }

// Limits of the configuration.
const (
	maxChannels      = 100
	maxQueueSize     = 100000
	maxAttempts      = 20
	minBackoff       = time.Millisecond
	maxBackoffLimit  = time.Hour
	minTimeout       = 10 * time.Millisecond
	maxTimeout       = 5 * time.Minute
	maxRatePerMinute = 600000
	maxBurst         = 10000
	maxSyslogMessage = 1 << 20
	maxUDPMessage    = 65000
	minSyslogMessage = 480
	maxRecipients    = 100
)

var (
	namePattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	techniquePattern = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
	mobilePattern    = regexp.MustCompile(`^\+?[0-9][0-9-]{3,19}$`)
	// headerTokenPattern is RFC 9110's token.
	headerTokenPattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// reservedHeaders are set by the webhook channel and cannot be configured.
var reservedHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Host": true,
	"Transfer-Encoding": true, "Connection": true, "User-Agent": true,
}

// problems collects field errors under a path prefix.
type problems struct {
	prefix string
	errs   *[]error
}

func newProblems(prefix string) *problems { return &problems{prefix: prefix, errs: new([]error)} }

func (p *problems) add(field, format string, args ...any) {
	full := p.prefix
	if field != "" {
		if full != "" {
			full += "."
		}
		full += field
	}
	*p.errs = append(*p.errs, &FieldError{Path: full, Reason: fmt.Sprintf(format, args...)})
}

// sub returns problems recording under prefix.field, sharing the list.
func (p *problems) sub(field string) *problems {
	s := &problems{prefix: field, errs: p.errs}
	if p.prefix != "" {
		s.prefix = p.prefix + "." + field
	}
	return s
}

// Validate checks the whole configuration: every channel, unique names
// and the console URL. It returns every problem found, joined.
func (c Config) Validate() error {
	p := newProblems("")
	if c.ConsoleURL != "" {
		if reason := checkHTTPURL(c.ConsoleURL); reason != "" {
			p.add("console_url", "%s", reason)
		} else if u, _ := url.Parse(c.ConsoleURL); u.RawQuery != "" || u.Fragment != "" {
			p.add("console_url", "must not have a query or fragment")
		}
	}
	if len(c.Channels) > maxChannels {
		p.add("channels", "%d channels (at most %d)", len(c.Channels), maxChannels)
	}
	names := map[string]int{}
	for i, ch := range c.Channels {
		prefix := fmt.Sprintf("channels[%d]", i)
		if first, dup := names[ch.Name]; dup && ch.Name != "" {
			p.sub(prefix).add("name", "%q is already the name of channels[%d]", ch.Name, first)
		} else {
			names[ch.Name] = i
		}
		ch.validate(p.sub(prefix))
	}
	return errors.Join(*p.errs...)
}

// Validate checks one channel. Paths in its errors are relative to the
// channel (dingtalk.url).
func (c ChannelConfig) Validate() error {
	p := newProblems("")
	c.validate(p)
	return errors.Join(*p.errs...)
}

func (c ChannelConfig) validate(p *problems) {
	if !namePattern.MatchString(c.Name) {
		p.add("name", "must be 1 to 63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
	}
	known := false
	for _, t := range channelTypes {
		known = known || c.Type == t
	}
	if !known {
		p.add("type", "must be one of %s", joinTypes())
	}
	switch c.Language {
	case "", English, Chinese:
	default:
		p.add("language", "must be en or zh")
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			p.add("time_zone", "unknown time zone %q", c.TimeZone)
		}
	}
	c.Filter.validate(p.sub("filter"))
	c.Delivery.validate(p.sub("delivery"), c.Type)

	sections := []struct {
		t   ChannelType
		set bool
	}{
		{TypeWebhook, c.Webhook != nil}, {TypeSyslog, c.Syslog != nil}, {TypeEmail, c.Email != nil},
		{TypeDingTalk, c.DingTalk != nil}, {TypeWeCom, c.WeCom != nil}, {TypeFeishu, c.Feishu != nil},
	}
	for _, s := range sections {
		switch {
		case s.t == c.Type && !s.set:
			p.add(string(s.t), "missing: a channel of type %s needs its %s section", c.Type, s.t)
		case s.t != c.Type && s.set && known:
			p.add(string(s.t), "does not belong to a channel of type %s", c.Type)
		}
	}
	switch c.Type {
	case TypeWebhook:
		if c.Webhook != nil {
			c.Webhook.validate(p.sub("webhook"))
		}
	case TypeSyslog:
		if c.Syslog != nil {
			c.Syslog.validate(p.sub("syslog"))
		}
	case TypeEmail:
		if c.Email != nil {
			c.Email.validate(p.sub("email"))
		}
	case TypeDingTalk:
		if c.DingTalk != nil {
			c.DingTalk.validate(p.sub("dingtalk"))
		}
	case TypeWeCom:
		if c.WeCom != nil {
			c.WeCom.validate(p.sub("wecom"))
		}
	case TypeFeishu:
		if c.Feishu != nil {
			c.Feishu.validate(p.sub("feishu"))
		}
	}
}

func joinTypes() string {
	s := make([]string, len(channelTypes))
	for i, t := range channelTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func (f Filter) validate(p *problems) {
	if f.MinSeverity != "" && severityRank(f.MinSeverity) == 0 {
		p.add("min_severity", "must be low, medium, high or critical")
	}
	for i, r := range f.RuleIDs {
		if _, err := path.Match(r, ""); err != nil || r == "" {
			p.add(fmt.Sprintf("rule_ids[%d]", i), "%q is not a valid pattern", r)
		}
	}
	for i, t := range f.Techniques {
		if !techniquePattern.MatchString(t) {
			p.add(fmt.Sprintf("techniques[%d]", i), "%q is not an ATT&CK technique id (T1234 or T1234.001)", t)
		}
	}
}

func (d Delivery) validate(p *problems, t ChannelType) {
	intRange := func(field string, v, lo, hi int) {
		if v != 0 && (v < lo || v > hi) {
			p.add(field, "%d is out of range %d to %d", v, lo, hi)
		}
	}
	durRange := func(field string, v Duration, lo, hi time.Duration) {
		if v != 0 && (v.D() < lo || v.D() > hi) {
			p.add(field, "%s is out of range %s to %s", v, lo, hi)
		}
	}
	intRange("queue_size", d.QueueSize, 1, maxQueueSize)
	intRange("max_attempts", d.MaxAttempts, 1, maxAttempts)
	durRange("initial_backoff", d.InitialBackoff, minBackoff, maxBackoffLimit)
	durRange("max_backoff", d.MaxBackoff, minBackoff, maxBackoffLimit)
	durRange("timeout", d.Timeout, minTimeout, maxTimeout)
	intRange("rate_per_minute", d.RatePerMinute, 1, maxRatePerMinute)
	intRange("burst", d.Burst, 1, maxBurst)
	if full := d.withDefaults(t); full.MaxBackoff < full.InitialBackoff {
		p.add("max_backoff", "%s is shorter than initial_backoff %s", full.MaxBackoff, full.InitialBackoff)
	}
}

// checkHTTPURL returns why raw is not an absolute http or https URL with
// a host, or "". The reason never repeats the URL, which may hold a
// credential.
func checkHTTPURL(raw string) string {
	if raw == "" {
		return "is required"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URL"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "must be an http or https URL"
	}
	if u.Host == "" || u.Hostname() == "" {
		return "must have a host"
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "has a bad port"
		}
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return "must not contain spaces or line breaks"
	}
	return ""
}

func (t *TLSConfig) validate(p *problems) {
	if t == nil {
		return
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		p.add("cert_file", "cert_file and key_file go together")
	}
}

func (w *WebhookConfig) validate(p *problems) {
	if reason := checkHTTPURL(w.URL); reason != "" {
		p.add("url", "%s", reason)
	}
	for name, v := range w.Headers {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		switch {
		case !headerTokenPattern.MatchString(name):
			p.add("headers", "%q is not a valid header name", name)
		case reservedHeaders[canon] || strings.HasPrefix(canon, "X-Vigil-"):
			p.add("headers", "%s is set by the channel and cannot be configured", canon)
		case strings.ContainsAny(string(v), "\r\n\x00"):
			p.add("headers", "the value of %s has a line break or NUL", canon)
		}
	}
	if w.TLS != nil {
		if u, err := url.Parse(w.URL); err == nil && u.Scheme == "http" {
			p.add("tls", "is set but the URL is http")
		}
		w.TLS.validate(p.sub("tls"))
	}
}

// syslogFacilities maps facility names to codes (RFC 5424 table 1).
var syslogFacilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
	"news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12,
	"security": 13, "console": 14, "solaris-cron": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

func (s *SyslogConfig) validate(p *problems) {
	switch s.Network {
	case NetworkUDP, NetworkTCP, NetworkTLS:
	default:
		p.add("network", "must be udp, tcp or tls")
	}
	if host, port, err := net.SplitHostPort(s.Address); err != nil || host == "" {
		p.add("address", "must be host:port")
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		p.add("address", "port %q is not 1 to 65535", port)
	}
	switch s.Format {
	case "", FormatRFC5424, FormatCEF:
	default:
		p.add("format", "must be rfc5424 or cef")
	}
	if _, ok := syslogFacilities[s.Facility]; s.Facility != "" && !ok {
		p.add("facility", "unknown facility %q (kern, user, mail, daemon, auth, syslog, authpriv, security, local0 to local7 ...)", s.Facility)
	}
	if s.Hostname != "" && !printASCII(s.Hostname, 255) {
		p.add("hostname", "must be 1 to 255 printable ASCII characters without spaces")
	}
	if s.AppName != "" && !printASCII(s.AppName, 48) {
		p.add("app_name", "must be 1 to 48 printable ASCII characters without spaces")
	}
	if s.SDID != "" && !validSDID(s.SDID) {
		p.add("sd_id", "must be NAME@ENTERPRISE-NUMBER (e.g. vigil@32473), at most 32 characters")
	}
	maxSize := maxSyslogMessage
	if s.Network == NetworkUDP {
		maxSize = maxUDPMessage
	}
	if s.MaxMessageBytes != 0 && (s.MaxMessageBytes < minSyslogMessage || s.MaxMessageBytes > maxSize) {
		p.add("max_message_bytes", "%d is out of range %d to %d", s.MaxMessageBytes, minSyslogMessage, maxSize)
	}
	if s.TLS != nil && s.Network != NetworkTLS {
		p.add("tls", "is set but network is %s", s.Network)
	}
	s.TLS.validate(p.sub("tls"))
}

// printASCII reports whether s is 1 to max characters of PRINTUSASCII
// (33 to 126).
func printASCII(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return false
		}
	}
	return true
}

// validSDID reports whether s is an SD-ID of private use: an SD-NAME with
// "@" and a dotted enterprise number.
func validSDID(s string) bool {
	if !printASCII(s, 32) || strings.ContainsAny(s, "= ]\"") {
		return false
	}
	name, num, ok := strings.Cut(s, "@")
	if !ok || name == "" || num == "" || strings.Contains(num, "@") {
		return false
	}
	for _, part := range strings.Split(num, ".") {
		if part == "" || strings.Trim(part, "0123456789") != "" {
			return false
		}
	}
	return true
}

func (e *EmailConfig) validate(p *problems) {
	if e.Host == "" || strings.ContainsAny(e.Host, " /:@") {
		p.add("host", "must be a host name or address")
	}
	if e.Port < 0 || e.Port > 65535 {
		p.add("port", "%d is out of range 1 to 65535", e.Port)
	}
	switch e.Security {
	case "", SecuritySTARTTLS, SecurityTLS, SecurityNone:
	default:
		p.add("security", "must be starttls, tls or none")
	}
	if (e.Username == "") != (e.Password == "") {
		p.add("username", "username and password go together")
	}
	if e.Username != "" && e.Security == SecurityNone {
		p.add("security", "none would send the password in clear: use starttls or tls with credentials")
	}
	if _, err := mail.ParseAddress(e.From); err != nil {
		p.add("from", "is not an e-mail address")
	}
	if len(e.To) == 0 {
		p.add("to", "needs at least one address")
	}
	if len(e.To) > maxRecipients {
		p.add("to", "%d addresses (at most %d)", len(e.To), maxRecipients)
	}
	for i, to := range e.To {
		if _, err := mail.ParseAddress(to); err != nil {
			p.add(fmt.Sprintf("to[%d]", i), "%q is not an e-mail address", to)
		}
	}
	if strings.ContainsAny(e.SubjectPrefix, "\r\n") {
		p.add("subject_prefix", "must be one line")
	}
	if e.Hello != "" && !printASCII(e.Hello, 255) {
		p.add("hello", "must be a host name")
	}
	if e.TLS != nil && e.Security == SecurityNone {
		p.add("tls", "is set but security is none")
	}
	e.TLS.validate(p.sub("tls"))
}

// checkRobotURL checks a robot webhook URL and that it carries the query
// parameter holding the robot's credential.
func checkRobotURL(p *problems, raw, param, example string) {
	if reason := checkHTTPURL(raw); reason != "" {
		p.add("url", "%s", reason)
		return
	}
	u, _ := url.Parse(raw)
	if u.Query().Get(param) == "" {
		p.add("url", "must carry the robot's %s (%s)", param, example)
	}
}

func (d *DingTalkConfig) validate(p *problems) {
	checkRobotURL(p, d.URL, "access_token", "https://oapi.dingtalk.com/robot/send?access_token=...")
	if d.Secret != "" && strings.ContainsAny(string(d.Secret), " \r\n") {
		p.add("secret", "must not contain spaces or line breaks")
	}
	for i, m := range d.AtMobiles {
		if !mobilePattern.MatchString(m) {
			p.add(fmt.Sprintf("at_mobiles[%d]", i), "is not a mobile number")
		}
	}
}

func (w *WeComConfig) validate(p *problems) {
	checkRobotURL(p, w.URL, "key", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...")
}

func (f *FeishuConfig) validate(p *problems) {
	if reason := checkHTTPURL(f.URL); reason != "" {
		p.add("url", "%s", reason)
	} else {
		u, _ := url.Parse(f.URL)
		_, token, ok := strings.Cut(u.Path, "/hook/")
		if !ok || token == "" || strings.Contains(token, "/") {
			p.add("url", "must be the bot's webhook (https://open.feishu.cn/open-apis/bot/v2/hook/...)")
		}
	}
	if f.Secret != "" && strings.ContainsAny(string(f.Secret), " \r\n") {
		p.add("secret", "must not contain spaces or line breaks")
	}
	switch f.Format {
	case "", FeishuCard, FeishuPost:
	default:
		p.add("format", "must be card or post")
	}
}
