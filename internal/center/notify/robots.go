package notify

import (
	"encoding/json"
	"fmt"
	"strings"
)

// errcodeReply is the answer of the DingTalk and WeCom robots:
// {"errcode":0,"errmsg":"ok"}.
type errcodeReply struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// checkErrcode turns a robot's answer into an error: nil for errcode 0,
// retryable for the codes in retryable (rate limits, busy), permanent for
// the others. An answer without errcode is a retryable error (a proxy's
// page, say).
func checkErrcode(vendor string, reply []byte, retryable map[int]bool) error {
	var r errcodeReply
	if err := json.Unmarshal(reply, &r); err != nil || r.ErrCode == nil {
		return fmt.Errorf("%s: unexpected answer%s", vendor, replySnippet(reply))
	}
	return vendorCode(vendor, *r.ErrCode, r.ErrMsg, retryable)
}

// vendorCode is the error of a vendor's result code.
func vendorCode(vendor string, code int, msg string, retryable map[int]bool) error {
	if code == 0 {
		return nil
	}
	err := fmt.Errorf("%s: error %d: %s", vendor, code, oneLine(truncateBytes(msg, 200)))
	if retryable[code] {
		return err
	}
	return permanent(err)
}

// markdownBody renders the common body of the robots' markdown: one
// list item per fact, the description, the evidence and the link. br
// breaks lines of the description and separates the parts: "\n" where a
// line break shows, "\n\n" where only paragraphs do.
func (r renderer) markdownBody(m Message, l limits, br string) string {
	var b []byte
	t := r.t
	for _, f := range r.fields(m) {
		b = fmt.Appendf(b, "- **%s**%s%s\n", f.label, t.colon, chatSafe.Replace(f.value))
	}
	if d := r.description(m, l); d != "" {
		b = fmt.Appendf(b, "\n**%s**%s", t.lDesc, br)
		b = append(b, chatSafe.Replace(strings.ReplaceAll(d, "\n", br))+"\n"...)
	}
	if ev := r.evidence(m, l); len(ev) > 0 {
		b = fmt.Appendf(b, "\n**%s**%s", t.lEvidence, br)
		for _, f := range ev {
			if f.label == "" {
				b = fmt.Appendf(b, "- %s\n", f.value)
				continue
			}
			b = fmt.Appendf(b, "- %s%s%s\n", chatSafe.Replace(f.label), t.colon, chatSafe.Replace(f.value))
		}
	}
	if m.Link != "" {
		b = fmt.Appendf(b, "\n[%s](%s)\n", t.openConsole, m.Link)
	}
	return string(b)
}
