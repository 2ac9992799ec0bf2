package notify

import (
	"strings"
	"testing"
	"time"
)

// FuzzSDParamValue checks that any string survives escaping as an RFC
// 5424 PARAM-VALUE: the message parses under the grammar and the value
// reads back (invalid UTF-8 replaced).
func FuzzSDParamValue(f *testing.F) {
	for _, s := range []string{"", "plain", `a"b\c]d`, `\\\]"`, "告警 \"引号\" ]", "\xff\xfe", "line\nbreak", `]]]`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rec := syslogRecord{
			facility: 16, severity: 2, timestamp: time.Unix(1700000000, 0), hostname: "h", appName: "a", procID: "1", msgID: "alert",
			sd:  []sdElement{{id: DefaultSDID, params: []sdParam{{"v", s}, {"w", "after"}}}},
			msg: "m", bom: true,
		}
		p, err := parseRFC5424(rec.appendTo(nil))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if got := p.param("v"); len(got) != 1 || got[0] != want {
			t.Fatalf("value %q read back as %q", want, got)
		}
		if got := p.param("w"); len(got) != 1 || got[0] != "after" {
			t.Fatalf("next param read back as %q", got)
		}
	})
}

// FuzzRFC5424Message checks that whatever a message holds, the rendered
// syslog line follows the grammar, in both formats.
func FuzzRFC5424Message(f *testing.F) {
	f.Add("Agent lost: web-01", "desc", "web-01", "vigil.agent.lost", "T1562.001", "center", 8192)
	f.Add("告警|标题", "描述\n第二行 ] \" \\ =", "主机 名", "r|u=le", "T1059", "center one", 480)
	f.Add("", "", "", "", "", "", 600)
	f.Fuzz(func(t *testing.T, title, desc, host, rule, technique, hostname string, max int) {
		if max < minSyslogMessage || max > maxSyslogMessage {
			max = defaultSyslogBytes
		}
		m := testMessage()
		m.Title, m.Description, m.Hostname, m.RuleID, m.Techniques = title, desc, host, rule, []string{technique}
		for _, format := range []string{FormatRFC5424, FormatCEF} {
			s := &syslogChannel{
				cfg:      SyslogConfig{Format: format, Hostname: hostname, AppName: "vigil-center", SDID: DefaultSDID},
				facility: 16, procID: "1", productVersion: "1.0.0", max: max, now: func() time.Time { return fixedTime },
			}
			b := s.format(m)
			if len(b) > max {
				t.Fatalf("%s: %d bytes over %d", format, len(b), max)
			}
			p, err := parseRFC5424(b)
			if err != nil {
				t.Fatalf("%s: %v\n%q", format, err, b)
			}
			// A CEF record fits whole unless the configured HOSTNAME alone
			// takes most of the smallest limit.
			if format == FormatCEF && len(headerField(hostname, maxHostname)) <= 64 {
				if _, err := parseCEF(p.msg); err != nil {
					t.Fatalf("CEF: %v\n%q", err, p.msg)
				}
			}
		}
	})
}

// FuzzCEFEscaping checks that header fields and extension values survive
// escaping: header line breaks become spaces, everything else reads back.
func FuzzCEFEscaping(f *testing.F) {
	for _, s := range []string{"", "plain", `a|b\c=d`, "x\r\ny\nz\r", `\|\=\\`, "告警 | 标题 = 值", "\xff", " lead and trail ", "k=v j=w"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, header, value string) {
		rec := cefRecord{vendor: "V", product: "P|x", version: "1", classID: header, name: header, severity: 5,
			ext: []sdParam{{"msg", value}, {"cs1", value}, {"cs1Label", "end"}}}
		c, err := parseCEF(rec.String())
		if err != nil {
			t.Fatalf("%v\n%q", err, rec.String())
		}
		wantHeader := strings.ToValidUTF8(header, "\uFFFD")
		wantHeader = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(wantHeader)
		if c.header[3] != wantHeader || c.header[4] != wantHeader || c.header[1] != "P|x" || c.header[5] != "5" {
			t.Fatalf("header %q read back as %q", wantHeader, c.header)
		}
		wantValue := strings.ToValidUTF8(value, "\uFFFD")
		for _, key := range []string{"msg", "cs1"} {
			if got, ok := c.extValue(key); !ok || got != wantValue {
				t.Fatalf("%s %q read back as %q", key, wantValue, got)
			}
		}
		if got, _ := c.extValue("cs1Label"); got != "end" {
			t.Fatalf("last value read back as %q", got)
		}
	})
}

// FuzzParseYAML checks that no configuration document panics the parser
// and that an accepted one is valid.
func FuzzParseYAML(f *testing.F) {
	f.Add([]byte("channels: []\n"))
	f.Add([]byte("channels:\n  - name: a\n    type: wecom\n    wecom: {url: 'https://q.example/s?key=k'}\n"))
	f.Add([]byte("channels:\n  - name: a\n    type: syslog\n    delivery: {timeout: 5s}\n    syslog: {network: udp, address: '127.0.0.1:514'}\n"))
	f.Add([]byte("console_url: [\n"))
	f.Add([]byte("channels:\n  - name: b\n    type: dingtalk\n    filter: {techniques: [T1]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseYAML(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted config does not validate: %v", err)
		}
	})
}

// FuzzParseChannelJSON does the same for a channel from the API.
func FuzzParseChannelJSON(f *testing.F) {
	f.Add([]byte(`{"name":"a","type":"feishu","feishu":{"url":"https://open.feishu.cn/open-apis/bot/v2/hook/x"}}`))
	f.Add([]byte(`{"name":"a","type":"email","email":{"host":"h","from":"a@b.c","to":["d@e.f"]}}`))
	f.Add([]byte(`{"name":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ch, err := ParseChannelJSON(data)
		if err != nil {
			return
		}
		if err := ch.Validate(); err != nil {
			t.Fatalf("accepted channel does not validate: %v", err)
		}
		// Whatever was accepted shows without credentials.
		_ = ch.Redacted().String()
	})
}
