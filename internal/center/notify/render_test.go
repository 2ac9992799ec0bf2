package notify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/store"
)

// rendering holds the channels whose output the golden files show.
type rendering struct {
	r        renderer
	ding     *dingTalkChannel
	wecom    *weComChannel
	card     *feishuChannel
	post     *feishuChannel
	rfc5424  *syslogChannel
	cef      *syslogChannel
	fixedNow func() time.Time
}

func newRendering(t *testing.T, lang Language, tz string) rendering {
	t.Helper()
	r, err := newRenderer(lang, tz)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return fixedTime.Add(2 * time.Minute) }
	ding, err := newDingTalk(DingTalkConfig{URL: "https://oapi.dingtalk.com/robot/send?access_token=t", AtMobiles: []string{"13800000000"}}, r)
	if err != nil {
		t.Fatal(err)
	}
	wecom, err := newWeCom(WeComConfig{URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}, r)
	if err != nil {
		t.Fatal(err)
	}
	card, err := newFeishu(FeishuConfig{URL: "https://open.feishu.cn/open-apis/bot/v2/hook/h", Secret: "fs"}, r)
	if err != nil {
		t.Fatal(err)
	}
	post, err := newFeishu(FeishuConfig{URL: "https://open.feishu.cn/open-apis/bot/v2/hook/h", Format: FeishuPost}, r)
	if err != nil {
		t.Fatal(err)
	}
	card.now, post.now = now, now
	sys := func(format string) *syslogChannel {
		s, err := newSyslog(SyslogConfig{Network: NetworkUDP, Address: "127.0.0.1:514", Format: format, Hostname: "vigil-center-1"})
		if err != nil {
			t.Fatal(err)
		}
		s.now, s.procID, s.productVersion = now, "4242", "1.0.0"
		return s
	}
	return rendering{r: r, ding: ding, wecom: wecom, card: card, post: post, rfc5424: sys(FormatRFC5424), cef: sys(FormatCEF), fixedNow: now}
}

func indentJSON(t *testing.T, b []byte, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range []struct {
		lang Language
		tz   string
	}{{English, ""}, {Chinese, "Asia/Shanghai"}} {
		t.Run(string(tc.lang), func(t *testing.T) {
			rd := newRendering(t, tc.lang, tc.tz)
			m := testMessage()
			suffix := "_" + string(tc.lang)
			b, err := rd.ding.body(m)
			golden(t, "dingtalk"+suffix+".json", indentJSON(t, b, err))
			golden(t, "dingtalk"+suffix+".md", []byte(rd.ding.markdown(m, renderLimits[0])))
			b, err = rd.wecom.body(m)
			golden(t, "wecom"+suffix+".json", indentJSON(t, b, err))
			b, err = rd.card.body(m)
			golden(t, "feishu_card"+suffix+".json", indentJSON(t, b, err))
			b, err = rd.post.body(m)
			golden(t, "feishu_post"+suffix+".json", indentJSON(t, b, err))
			golden(t, "email"+suffix+".txt", []byte(rd.r.plainText(m, renderLimits[0])))
			html, err := rd.r.html(m, renderLimits[0])
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "email"+suffix+".html", []byte(html))
		})
	}
	rd := newRendering(t, English, "")
	golden(t, "syslog_rfc5424.txt", append(rd.rfc5424.format(testMessage()), '\n'))
	golden(t, "syslog_cef.txt", append(rd.cef.format(testMessage()), '\n'))
}

// TestChatMarkupNeutralized checks that text from the alert cannot
// mention everyone or plant a link in a chat message.
func TestChatMarkupNeutralized(t *testing.T) {
	rd := newRendering(t, Chinese, "")
	m := testMessage()
	m.Hostname = "<at user_id=\"all\">所有人</at>"
	outs := map[string]string{
		"dingtalk": rd.ding.markdown(m, renderLimits[0]),
		"wecom":    rd.wecom.markdown(m, renderLimits[0]),
	}
	card, err := rd.card.body(m)
	if err != nil {
		t.Fatal(err)
	}
	outs["feishu"] = string(card)
	for name, out := range outs {
		for _, bad := range []string{"<at", "](http://evil", `\u003cat`} {
			if strings.Contains(out, bad) {
				t.Errorf("%s output contains %q:\n%s", name, bad, out)
			}
		}
		if !strings.Contains(out, "＜at id=all＞") {
			t.Errorf("%s output lost the neutralized text:\n%s", name, out)
		}
	}
}

func TestRenderFitsVendorLimits(t *testing.T) {
	rd := newRendering(t, Chinese, "")
	m := testMessage()
	m.Description = strings.Repeat("很长的描述，", 5000)
	m.Title = strings.Repeat("标题", 300)
	ev := map[string]any{}
	for i := range 100 {
		ev[strings.Repeat("k", i+1)] = strings.Repeat("值", 500)
	}
	m.Evidence = ev
	tests := []struct {
		name string
		max  int
		body func() ([]byte, error)
		text func(b []byte) string
	}{
		{"wecom", weComMaxBytes, func() ([]byte, error) { return rd.wecom.body(m) }, func(b []byte) string {
			var w weComMessage
			if err := json.Unmarshal(b, &w); err != nil {
				t.Fatal(err)
			}
			return w.Markdown.Content
		}},
		{"dingtalk", dingTalkMaxBytes, func() ([]byte, error) { return rd.ding.body(m) }, func(b []byte) string {
			var d dingTalkMessage
			if err := json.Unmarshal(b, &d); err != nil {
				t.Fatal(err)
			}
			return d.Markdown.Text
		}},
		{"feishu", feishuMaxBytes, func() ([]byte, error) { return rd.card.body(m) }, func(b []byte) string { return string(b) }},
	}
	for _, tt := range tests {
		b, err := tt.body()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		text := tt.text(b)
		if len(text) > tt.max || !utf8.ValidString(text) {
			t.Errorf("%s: %d bytes (limit %d), valid UTF-8 %v", tt.name, len(text), tt.max, utf8.ValidString(text))
		}
		if !strings.Contains(text, "严重") {
			t.Errorf("%s: the severity was cut off", tt.name)
		}
	}
}

func TestFields(t *testing.T) {
	r, err := newRenderer(English, "")
	if err != nil {
		t.Fatal(err)
	}
	m := Message{Kind: KindAlert, Severity: store.SeverityMedium, Title: "x", FirstSeen: fixedTime, LastSeen: fixedTime}
	got := r.fields(m)
	want := []field{{"Severity", "Medium"}, {"First seen", "2025-03-14 02:38:05 UTC"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("fields = %v, want %v (empty fields skipped, last seen equal to first not repeated)", got, want)
	}
	m.Severity = "bogus"
	if got := r.fields(m)[0].value; got != "bogus" {
		t.Errorf("unknown severity shows %q", got)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s     string
		runes int
		wantR string
		bytes int
		wantB string
	}{
		{"hello", 10, "hello", 10, "hello"},
		{"hello", 3, "he…", 3, "hel"},
		{"告警标题", 3, "告警…", 7, "告警"},
		{"告警标题", 0, "", 2, ""},
		{"", 5, "", 5, ""},
	}
	for _, tt := range tests {
		if got := truncateRunes(tt.s, tt.runes); got != tt.wantR {
			t.Errorf("truncateRunes(%q, %d) = %q, want %q", tt.s, tt.runes, got, tt.wantR)
		}
		if got := truncateBytes(tt.s, tt.bytes); got != tt.wantB {
			t.Errorf("truncateBytes(%q, %d) = %q, want %q", tt.s, tt.bytes, got, tt.wantB)
		}
	}
}

func TestLinkFor(t *testing.T) {
	m := Message{Kind: KindAlert, ID: "a/b c"}
	if got := m.linkFor("https://v.example:8443/"); got != "https://v.example:8443/alerts/a%2Fb%20c" {
		t.Errorf("linkFor = %q", got)
	}
	if got := m.linkFor(""); got != "" {
		t.Errorf("linkFor without console = %q", got)
	}
}
