package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// dingTalkMaxBytes bounds the markdown text of a DingTalk message.
const dingTalkMaxBytes = 15000

// dingTalkRetryable are the DingTalk codes worth a retry: system busy and
// sending too fast.
var dingTalkRetryable = map[int]bool{-1: true, 130101: true}

// dingTalkMessage is the body of a DingTalk markdown message.
type dingTalkMessage struct {
	MsgType  string           `json:"msgtype"`
	Markdown dingTalkMarkdown `json:"markdown"`
	At       dingTalkAt       `json:"at"`
}

type dingTalkMarkdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

type dingTalkAt struct {
	AtMobiles []string `json:"atMobiles,omitempty"`
	IsAtAll   bool     `json:"isAtAll"`
}

type dingTalkChannel struct {
	cfg    DingTalkConfig
	target *httpTarget
	r      renderer
	now    func() time.Time
}

func newDingTalk(c DingTalkConfig, r renderer) (*dingTalkChannel, error) {
	t, err := newHTTPTarget(c.URL, nil)
	if err != nil {
		return nil, err
	}
	return &dingTalkChannel{cfg: c, target: t, r: r, now: time.Now}, nil
}

// DingTalkSign is the signature of a DingTalk robot request: the base64
// HMAC-SHA256 of "timestamp\nsecret" under the secret, with timestamp in
// milliseconds. It goes, URL-encoded, in the sign query parameter.
func DingTalkSign(secret string, timestampMillis int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d\n%s", timestampMillis, secret)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// markdown renders a message for DingTalk, whose markdown needs blank
// lines to break paragraphs.
func (d *dingTalkChannel) markdown(m Message, l limits) string {
	var b strings.Builder
	b.WriteString("### [" + d.r.t.severityName(m.Severity) + "] " + chatSafe.Replace(oneLine(m.Title)) + "\n\n")
	b.WriteString(d.r.markdownBody(m, l, "\n\n"))
	b.WriteString("\n" + d.r.footer(m))
	if len(d.cfg.AtMobiles) > 0 {
		b.WriteString("\n\n")
		for i, mob := range d.cfg.AtMobiles {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("@" + mob)
		}
	}
	return b.String()
}

// body is the JSON request of a message.
func (d *dingTalkChannel) body(m Message) ([]byte, error) {
	return json.Marshal(dingTalkMessage{
		MsgType: "markdown",
		Markdown: dingTalkMarkdown{
			Title: truncateRunes(d.r.heading(m), 100),
			Text:  fit(dingTalkMaxBytes, func(l limits) string { return d.markdown(m, l) }),
		},
		At: dingTalkAt{AtMobiles: d.cfg.AtMobiles, IsAtAll: d.cfg.AtAll},
	})
}

func (d *dingTalkChannel) Send(ctx context.Context, m Message) error {
	body, err := d.body(m)
	if err != nil {
		return permanent(fmt.Errorf("dingtalk: encoding the message: %w", err))
	}
	target := d.cfg.URL
	if d.cfg.Secret != "" {
		u, err := url.Parse(d.cfg.URL)
		if err != nil {
			return permanent(fmt.Errorf("dingtalk: url is not a valid URL"))
		}
		ts := d.now().UnixMilli()
		q := u.Query()
		q.Set("timestamp", strconv.FormatInt(ts, 10))
		q.Set("sign", DingTalkSign(string(d.cfg.Secret), ts))
		u.RawQuery = q.Encode()
		target = u.String()
	}
	reply, err := d.target.post(ctx, target, body, nil)
	if err != nil {
		return err
	}
	return checkErrcode("dingtalk", reply, dingTalkRetryable)
}

func (d *dingTalkChannel) Close() error {
	d.target.close()
	return nil
}
