package notify

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// renderer turns messages into the texts people read, in one language
// and time zone.
type renderer struct {
	t   *catalog
	loc *time.Location
}

// newRenderer returns the renderer of a channel; lang "" is English and
// tz "" is UTC.
func newRenderer(lang Language, tz string) (renderer, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return renderer{}, fmt.Errorf("time zone %q: %w", tz, err)
		}
		loc = l
	}
	return renderer{t: texts(lang), loc: loc}, nil
}

// field is one labeled fact of a message.
type field struct {
	label, value string
}

// limits bound the long parts of a rendering.
type limits struct {
	desc     int // runes of the description; 0 drops it
	evidence int // evidence entries; 0 drops them
	value    int // runes of one evidence value
}

// renderLimits are tried in order until a rendering fits its channel.
var renderLimits = []limits{
	{desc: 4000, evidence: 20, value: 300},
	{desc: 2000, evidence: 10, value: 160},
	{desc: 800, evidence: 5, value: 80},
	{desc: 300, evidence: 0},
	{desc: 100, evidence: 0},
	{desc: 0, evidence: 0},
}

// fit returns the first rendering of build, over renderLimits, that is at
// most max bytes, else the last one cut to max bytes.
func fit(max int, build func(limits) string) string {
	var s string
	for _, l := range renderLimits {
		s = build(l)
		if len(s) <= max {
			return s
		}
	}
	return truncateBytes(s, max)
}

// heading is "[severity] title".
func (r renderer) heading(m Message) string {
	return "[" + r.t.severityName(m.Severity) + "] " + oneLine(m.Title)
}

// time formats a time in the renderer's zone, "" for the zero time.
func (r renderer) time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(r.loc)
	if r.loc == time.UTC {
		return t.Format("2006-01-02 15:04:05 UTC")
	}
	return t.Format("2006-01-02 15:04:05 -07:00")
}

// fields returns the facts of m in display order, skipping empty ones.
func (r renderer) fields(m Message) []field {
	t := r.t
	out := []field{{t.lSeverity, t.severityName(m.Severity)}}
	add := func(label, value string) {
		if value = oneLine(value); value != "" {
			out = append(out, field{label, value})
		}
	}
	add(t.lHost, m.Hostname)
	add(t.lAgent, m.AgentID)
	add(t.lRule, m.RuleID)
	add(t.lTechniques, strings.Join(m.Techniques, ", "))
	if m.Count > 0 {
		add(t.lCount, fmt.Sprint(m.Count))
	}
	add(t.lFirstSeen, r.time(m.FirstSeen))
	if !m.LastSeen.Equal(m.FirstSeen) {
		add(t.lLastSeen, r.time(m.LastSeen))
	}
	if m.State != "" {
		add(t.lState, t.stateName(m.State))
	}
	add(t.lID, m.ID)
	return out
}

// description returns the description cut to at most l.desc runes.
func (r renderer) description(m Message, l limits) string {
	d := strings.TrimSpace(strings.ReplaceAll(m.Description, "\r\n", "\n"))
	if l.desc <= 0 || d == "" {
		return ""
	}
	if cut := truncateRunes(d, l.desc); cut != d {
		return cut + " " + r.t.truncated
	}
	return d
}

// evidence returns up to l.evidence entries of the evidence, sorted by
// key, and a last entry counting the ones left out.
func (r renderer) evidence(m Message, l limits) []field {
	if l.evidence <= 0 || len(m.Evidence) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m.Evidence))
	for k := range m.Evidence {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []field
	for i, k := range keys {
		if i == l.evidence {
			out = append(out, field{"", fmt.Sprintf(r.t.more, len(keys)-i)})
			break
		}
		out = append(out, field{oneLine(k), truncateRunes(oneLine(evidenceValue(m.Evidence[k])), l.value)})
	}
	return out
}

// evidenceValue shows a string as is and anything else as compact JSON.
func evidenceValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	s, err := compactJSON(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

// compactJSON marshals v on one line, leaving <, > and & as they are.
func compactJSON(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// footer names the product and the kind: "Vigil alert", "Vigil 告警".
func (r renderer) footer(m Message) string {
	switch m.Kind {
	case KindAlert:
		return r.t.footerAlert
	default:
		return r.t.product + " " + string(m.Kind)
	}
}

// oneLine folds line breaks and tabs into spaces and trims.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t\v\f") {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', '\t', '\v', '\f':
			return ' '
		}
		return r
	}, s))
}

// chatSafe neutralizes what chat markdown would turn into markup from
// text an attacker may influence (host names, command lines): angle
// brackets (HTML-like tags such as mentions) and square brackets (links)
// become their full-width forms.
var chatSafe = strings.NewReplacer("<", "＜", ">", "＞", "[", "［", "]", "］")

// truncateRunes cuts s to at most n runes, adding "…" when it cuts.
func truncateRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n-1 {
			break
		}
		count++
	}
	return s[:i] + "…"
}

// truncateBytes cuts s to at most n bytes on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
