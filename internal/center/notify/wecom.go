package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// weComMaxBytes is WeCom's limit on markdown content.
const weComMaxBytes = 4096

// weComRetryable are the WeCom codes worth a retry: system busy and the
// frequency limits.
var weComRetryable = map[int]bool{-1: true, 45009: true, 45033: true}

type weComMessage struct {
	MsgType  string        `json:"msgtype"`
	Markdown weComMarkdown `json:"markdown"`
}

type weComMarkdown struct {
	Content string `json:"content"`
}

type weComChannel struct {
	target *httpTarget
	r      renderer
}

func newWeCom(c WeComConfig, r renderer) (*weComChannel, error) {
	t, err := newHTTPTarget(c.URL, nil)
	if err != nil {
		return nil, err
	}
	return &weComChannel{target: t, r: r}, nil
}

// weComColor is the font color WeCom markdown shows a severity in: its
// three colors are info (green), comment (grey) and warning (orange).
func weComColor(s store.Severity) string {
	switch s {
	case store.SeverityHigh, store.SeverityCritical:
		return "warning"
	case store.SeverityMedium:
		return "info"
	default:
		return "comment"
	}
}

// markdown renders a message for WeCom: the severity in color, then the
// common body.
func (w *weComChannel) markdown(m Message, l limits) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### <font color=\"%s\">[%s]</font> %s\n", weComColor(m.Severity),
		w.r.t.severityName(m.Severity), chatSafe.Replace(oneLine(m.Title)))
	b.WriteString(w.r.markdownBody(m, l, "\n"))
	fmt.Fprintf(&b, "\n<font color=\"comment\">%s</font>", w.r.footer(m))
	return b.String()
}

// body is the JSON request of a message.
func (w *weComChannel) body(m Message) ([]byte, error) {
	return json.Marshal(weComMessage{
		MsgType:  "markdown",
		Markdown: weComMarkdown{Content: fit(weComMaxBytes, func(l limits) string { return w.markdown(m, l) })},
	})
}

func (w *weComChannel) Send(ctx context.Context, m Message) error {
	body, err := w.body(m)
	if err != nil {
		return permanent(fmt.Errorf("wecom: encoding the message: %w", err))
	}
	reply, err := w.target.post(ctx, w.target.url, body, nil)
	if err != nil {
		return err
	}
	return checkErrcode("wecom", reply, weComRetryable)
}

func (w *weComChannel) Close() error {
	w.target.close()
	return nil
}
