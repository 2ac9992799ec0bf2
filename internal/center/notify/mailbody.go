package notify

import (
	"bytes"
	"html/template"
	"mime"
	"mime/quotedprintable"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// maxHeaderLine is where headers are folded when they can be (RFC 5322
// section 2.1.1 recommends 78 characters).
const maxHeaderLine = 78

// encodeHeaderText encodes unstructured header text (a subject) as RFC
// 2047 encoded words when it is not plain ASCII.
func encodeHeaderText(s string) string {
	return mime.BEncoding.Encode("UTF-8", s)
}

// foldHeader renders "Name: value" and CRLF, folding long values at
// spaces: a space becomes CRLF and a space, which unfolds back to the
// same value.
func foldHeader(name, value string) string {
	var b strings.Builder
	b.WriteString(name + ":")
	lineLen := len(name) + 1
	for _, w := range strings.Split(value, " ") {
		if lineLen+1+len(w) > maxHeaderLine && lineLen > len(name)+1 {
			b.WriteString("\r\n")
			lineLen = 0
		}
		b.WriteByte(' ')
		b.WriteString(w)
		lineLen += 1 + len(w)
	}
	b.WriteString("\r\n")
	return b.String()
}

// writeQuotedPrintable writes s encoded as quoted-printable with CRLF
// line breaks.
func writeQuotedPrintable(b *bytes.Buffer, s string) error {
	w := quotedprintable.NewWriter(b)
	if _, err := w.Write([]byte(s)); err != nil {
		return err
	}
	return w.Close()
}

// plainText renders the text part of a mail.
func (r renderer) plainText(m Message, l limits) string {
	t := r.t
	var b strings.Builder
	b.WriteString(r.heading(m) + "\n\n")
	for _, f := range r.fields(m) {
		b.WriteString(f.label + t.colon + f.value + "\n")
	}
	if d := r.description(m, l); d != "" {
		b.WriteString("\n" + t.lDesc + t.colon + "\n" + d + "\n")
	}
	if ev := r.evidence(m, l); len(ev) > 0 {
		b.WriteString("\n" + t.lEvidence + t.colon + "\n")
		for _, f := range ev {
			if f.label == "" {
				b.WriteString("  " + f.value + "\n")
				continue
			}
			b.WriteString("  " + f.label + t.colon + f.value + "\n")
		}
	}
	if m.Link != "" {
		b.WriteString("\n" + t.openConsole + t.colon + m.Link + "\n")
	}
	b.WriteString("\n-- \n" + r.footer(m) + "\n")
	return b.String()
}

// htmlColor is the color of a severity in mails.
func htmlColor(s store.Severity) template.CSS {
	switch s {
	case store.SeverityCritical:
		return "#b60205"
	case store.SeverityHigh:
		return "#d93f0b"
	case store.SeverityMedium:
		return "#b08800"
	default:
		return "#0366d6"
	}
}

var mailHTML = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><title>{{.Heading}}</title></head>
<body style="font-family:-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif;color:#1f2328;font-size:14px">
<h2 style="margin:0 0 12px"><span style="color:{{.Color}}">[{{.Severity}}]</span> {{.Title}}</h2>
<table style="border-collapse:collapse">
{{- range .Fields}}
<tr><th style="text-align:left;vertical-align:top;padding:2px 16px 2px 0;color:#57606a;font-weight:normal;white-space:nowrap">{{.Label}}</th><td style="padding:2px 0">{{.Value}}</td></tr>
{{- end}}
</table>
{{- if .Description}}
<h3 style="margin:16px 0 4px">{{.DescLabel}}</h3>
<p style="margin:0;white-space:pre-wrap">{{.Description}}</p>
{{- end}}
{{- if .Evidence}}
<h3 style="margin:16px 0 4px">{{.EvidenceLabel}}</h3>
<table style="border-collapse:collapse">
{{- range .Evidence}}
<tr><th style="text-align:left;vertical-align:top;padding:2px 16px 2px 0;color:#57606a;font-weight:normal">{{.Label}}</th><td style="padding:2px 0"><code style="word-break:break-all">{{.Value}}</code></td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Link}}
<p style="margin:16px 0"><a href="{{.Link}}">{{.OpenConsole}}</a></p>
{{- end}}
<p style="margin:16px 0 0;color:#57606a;font-size:12px">{{.Footer}}</p>
</body>
</html>
`))

type htmlField struct{ Label, Value string }

// html renders the HTML part of a mail; every value is escaped by
// html/template.
func (r renderer) html(m Message, l limits) (string, error) {
	t := r.t
	data := struct {
		Lang, Heading, Severity, Title   string
		Color                            template.CSS
		Fields, Evidence                 []htmlField
		DescLabel, Description           string
		EvidenceLabel, Link, OpenConsole string
		Footer                           string
	}{
		Lang: "en", Heading: r.heading(m), Severity: t.severityName(m.Severity), Title: oneLine(m.Title),
		Color: htmlColor(m.Severity), DescLabel: t.lDesc, Description: r.description(m, l),
		EvidenceLabel: t.lEvidence, Link: m.Link, OpenConsole: t.openConsole, Footer: r.footer(m),
	}
	if t == catalogs[Chinese] {
		data.Lang = "zh-CN"
	}
	for _, f := range r.fields(m) {
		data.Fields = append(data.Fields, htmlField{f.label, f.value})
	}
	for _, f := range r.evidence(m, l) {
		data.Evidence = append(data.Evidence, htmlField{f.label, f.value})
	}
	var b strings.Builder
	if err := mailHTML.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
