package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// feishuMaxBytes keeps a request under Feishu's 20 KB limit on bodies.
const feishuMaxBytes = 18000

// feishuRetryable are the Feishu codes worth a retry: the rate limit.
var feishuRetryable = map[int]bool{11232: true}

// feishuRequest is the body of a custom bot message. Timestamp and Sign
// are set when the bot verifies signatures.
type feishuRequest struct {
	Timestamp string          `json:"timestamp,omitempty"`
	Sign      string          `json:"sign,omitempty"`
	MsgType   string          `json:"msg_type"`
	Content   json.RawMessage `json:"content,omitempty"`
	Card      json.RawMessage `json:"card,omitempty"`
}

// feishuReply is a custom bot's answer; older deployments answer with
// StatusCode and StatusMessage, newer ones with code and msg.
type feishuReply struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

type feishuChannel struct {
	cfg    FeishuConfig
	target *httpTarget
	r      renderer
	now    func() time.Time
}

func newFeishu(c FeishuConfig, r renderer) (*feishuChannel, error) {
	t, err := newHTTPTarget(c.URL, nil)
	if err != nil {
		return nil, err
	}
	if c.Format == "" {
		c.Format = FeishuCard
	}
	return &feishuChannel{cfg: c, target: t, r: r, now: time.Now}, nil
}

// FeishuSign is the signature of a Feishu custom bot request: the base64
// HMAC-SHA256 of an empty message under the key "timestamp\nsecret",
// with timestamp in seconds.
func FeishuSign(secret string, timestampSeconds int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(timestampSeconds, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// feishuTemplate is the card header color of a severity.
func feishuTemplate(s store.Severity) string {
	switch s {
	case store.SeverityCritical:
		return "red"
	case store.SeverityHigh:
		return "orange"
	case store.SeverityMedium:
		return "yellow"
	default:
		return "blue"
	}
}

// Card elements, in the message card layout of custom bots.
type (
	feishuText struct {
		Tag     string `json:"tag"`
		Content string `json:"content"`
	}
	feishuField struct {
		IsShort bool       `json:"is_short"`
		Text    feishuText `json:"text"`
	}
	feishuElement struct {
		Tag      string         `json:"tag"`
		Text     *feishuText    `json:"text,omitempty"`
		Fields   []feishuField  `json:"fields,omitempty"`
		Actions  []feishuButton `json:"actions,omitempty"`
		Elements []feishuText   `json:"elements,omitempty"`
	}
	feishuButton struct {
		Tag  string     `json:"tag"`
		Text feishuText `json:"text"`
		Type string     `json:"type"`
		URL  string     `json:"url"`
	}
	feishuCard struct {
		Config   map[string]bool `json:"config"`
		Header   feishuHeader    `json:"header"`
		Elements []feishuElement `json:"elements"`
	}
	feishuHeader struct {
		Template string     `json:"template"`
		Title    feishuText `json:"title"`
	}
)

// card renders a message as an interactive card.
func (f *feishuChannel) card(m Message, l limits) feishuCard {
	t := f.r.t
	md := func(s string) *feishuText { return &feishuText{Tag: "lark_md", Content: s} }
	var fields []feishuField
	for _, fl := range f.r.fields(m) {
		fields = append(fields, feishuField{IsShort: true, Text: *md("**" + fl.label + "**\n" + chatSafe.Replace(fl.value))})
	}
	elems := []feishuElement{{Tag: "div", Fields: fields}}
	if d := f.r.description(m, l); d != "" {
		elems = append(elems, feishuElement{Tag: "div", Text: md("**" + t.lDesc + "**\n" + chatSafe.Replace(d))})
	}
	if ev := f.r.evidence(m, l); len(ev) > 0 {
		var b strings.Builder
		b.WriteString("**" + t.lEvidence + "**")
		for _, e := range ev {
			if e.label == "" {
				b.WriteString("\n- " + e.value)
				continue
			}
			b.WriteString("\n- " + chatSafe.Replace(e.label) + t.colon + chatSafe.Replace(e.value))
		}
		elems = append(elems, feishuElement{Tag: "div", Text: md(b.String())})
	}
	if m.Link != "" {
		elems = append(elems, feishuElement{Tag: "action", Actions: []feishuButton{{
			Tag: "button", Type: "primary", URL: m.Link,
			Text: feishuText{Tag: "plain_text", Content: t.openConsole},
		}}})
	}
	elems = append(elems, feishuElement{Tag: "note", Elements: []feishuText{{Tag: "plain_text", Content: f.r.footer(m)}}})
	return feishuCard{
		Config:   map[string]bool{"wide_screen_mode": true},
		Header:   feishuHeader{Template: feishuTemplate(m.Severity), Title: feishuText{Tag: "plain_text", Content: truncateRunes(f.r.heading(m), 200)}},
		Elements: elems,
	}
}

// Rich-text (post) elements.
type feishuPostItem struct {
	Tag  string `json:"tag"`
	Text string `json:"text"`
	Href string `json:"href,omitempty"`
}

// post renders a message as rich text in the channel's language. Its
// text elements are plain text, not markdown.
func (f *feishuChannel) post(m Message, l limits) map[string]any {
	t := f.r.t
	text := func(s string) []feishuPostItem { return []feishuPostItem{{Tag: "text", Text: s}} }
	var lines [][]feishuPostItem
	for _, fl := range f.r.fields(m) {
		lines = append(lines, text(fl.label+t.colon+fl.value))
	}
	if d := f.r.description(m, l); d != "" {
		lines = append(lines, text(""), text(t.lDesc+t.colon), text(d))
	}
	if ev := f.r.evidence(m, l); len(ev) > 0 {
		lines = append(lines, text(""), text(t.lEvidence+t.colon))
		for _, e := range ev {
			if e.label == "" {
				lines = append(lines, text("  "+e.value))
				continue
			}
			lines = append(lines, text("  "+e.label+t.colon+e.value))
		}
	}
	if m.Link != "" {
		lines = append(lines, []feishuPostItem{{Tag: "a", Text: t.openConsole, Href: m.Link}})
	}
	lines = append(lines, text(f.r.footer(m)))
	locale := "en_us"
	if t == catalogs[Chinese] {
		locale = "zh_cn"
	}
	return map[string]any{"post": map[string]any{locale: map[string]any{
		"title": truncateRunes(f.r.heading(m), 200), "content": lines,
	}}}
}

// body renders the request of a message, signed when a secret is set.
func (f *feishuChannel) body(m Message) ([]byte, error) {
	var ts, sign string
	if f.cfg.Secret != "" {
		now := f.now().Unix()
		ts, sign = strconv.FormatInt(now, 10), FeishuSign(string(f.cfg.Secret), now)
	}
	var encodeErr error
	out := fit(feishuMaxBytes, func(l limits) string {
		req := feishuRequest{Timestamp: ts, Sign: sign}
		var part []byte
		var err error
		if f.cfg.Format == FeishuPost {
			req.MsgType = "post"
			part, err = json.Marshal(f.post(m, l))
			req.Content = part
		} else {
			req.MsgType = "interactive"
			part, err = json.Marshal(f.card(m, l))
			req.Card = part
		}
		if err != nil {
			encodeErr = err
			return ""
		}
		b, err := json.Marshal(req)
		if err != nil {
			encodeErr = err
		}
		return string(b)
	})
	if encodeErr != nil {
		return nil, encodeErr
	}
	if !json.Valid([]byte(out)) {
		return nil, fmt.Errorf("message does not fit in %d bytes", feishuMaxBytes)
	}
	return []byte(out), nil
}

func (f *feishuChannel) Send(ctx context.Context, m Message) error {
	body, err := f.body(m)
	if err != nil {
		return permanent(fmt.Errorf("feishu: encoding the message: %w", err))
	}
	reply, err := f.target.post(ctx, f.target.url, body, nil)
	if err != nil {
		return err
	}
	return checkFeishuReply(reply)
}

// checkFeishuReply turns a custom bot's answer into an error.
func checkFeishuReply(reply []byte) error {
	var r feishuReply
	if err := json.Unmarshal(reply, &r); err != nil || (r.Code == nil && r.StatusCode == nil) {
		return fmt.Errorf("feishu: unexpected answer%s", replySnippet(reply))
	}
	if r.Code != nil && *r.Code != 0 {
		return vendorCode("feishu", *r.Code, r.Msg, feishuRetryable)
	}
	if r.StatusCode != nil && *r.StatusCode != 0 {
		return vendorCode("feishu", *r.StatusCode, r.StatusMessage, feishuRetryable)
	}
	return nil
}

func (f *feishuChannel) Close() error {
	f.target.close()
	return nil
}
