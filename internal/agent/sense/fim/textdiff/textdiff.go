// Package textdiff makes short unified diffs of small text files for file
// integrity events, and decides which files are never diffed.
//
// Files never diffed (nor kept for diffing), by Sensitive:
//
//   - password and group shadow files: /etc/shadow, /etc/gshadow, their
//     backups (shadow-, gshadow-, *.shadow), /etc/security/opasswd;
//   - private keys: *.key, *.pem, *.p12, *.pfx, *.jks, *.keystore, SSH
//     private keys (id_* other than id_*.pub, ssh_host_*_key), anything
//     under a "private" directory of /etc/ssl or /etc/pki;
//   - credential stores: .netrc, .pgpass, .git-credentials, .my.cnf,
//     *.kdbx, .htpasswd (sudoers is diffed: it holds no secrets and its
//     changes matter);
//   - any file whose content holds a PEM private key block (ContainsSecret).
//
// In every other diff, the value of a line that looks like an assignment
// of a secret ("password = x", "token: x", "secret=x", "api_key x" ...) is
// replaced by "[REDACTED]".
package textdiff

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Context is the number of unchanged lines around each change.
const Context = 3

// maxEdits bounds the diff search: past it, the rest of the changed region
// is shown as removed and added whole, which is correct, only longer.
const maxEdits = 400

// Sensitive reports whether the file at host path p must never be diffed
// nor have its content kept.
func Sensitive(p string) bool {
	base := path.Base(p)
	switch p {
	case "/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/security/opasswd":
		return true
	}
	switch base {
	case ".netrc", ".pgpass", ".git-credentials", ".my.cnf", ".htpasswd", "shadow", "gshadow":
		return true
	}
	for _, ext := range []string{".key", ".pem", ".p12", ".pfx", ".jks", ".keystore", ".kdbx", ".shadow"} {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	if strings.HasPrefix(base, "id_") && !strings.HasSuffix(base, ".pub") {
		return true
	}
	if strings.HasPrefix(base, "ssh_host_") && strings.HasSuffix(base, "_key") {
		return true
	}
	for _, dir := range []string{"/etc/ssl/private/", "/etc/pki/tls/private/"} {
		if strings.HasPrefix(p, dir) {
			return true
		}
	}
	return false
}

// ContainsSecret reports whether content holds a PEM private key block.
func ContainsSecret(content []byte) bool {
	return bytes.Contains(content, []byte("PRIVATE KEY-----"))
}

// IsText reports whether b looks like text: no NUL byte, valid UTF-8 and
// few control characters other than tab, newline, carriage return and
// form feed.
func IsText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
		return false
	}
	ctl := 0
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
			ctl++
		}
	}
	return ctl*100 <= len(b)
}

var secretLine = regexp.MustCompile(`(?i)^(\s*["']?[\w.-]*(?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth[_-]?key)[\w.-]*["']?\s*(?:=|:|\s)\s*)(\S.*)$`)

// Redact hides the value of a line that assigns a secret.
func Redact(line string) string {
	if m := secretLine.FindStringSubmatchIndex(line); m != nil {
		return line[:m[3]] + "[REDACTED]"
	}
	return line
}

// Unified returns a unified diff from a to b (labelled with the two paths),
// with Context lines of context and secrets redacted, cut to at most
// maxBytes bytes (truncated then reports true). Equal inputs give "".
func Unified(oldPath, newPath string, a, b []byte, maxBytes int) (diff string, truncated bool) {
	if bytes.Equal(a, b) {
		return "", false
	}
	al, bl := splitLines(a), splitLines(b)
	ops := edits(al, bl)
	w := &boundedWriter{max: maxBytes}
	w.line("--- a" + oldPath)
	w.line("+++ b" + newPath)
	for _, h := range hunks(ops) {
		w.line(fmt.Sprintf("@@ -%s +%s @@", span(h.aStart, h.aLen), span(h.bStart, h.bLen)))
		for _, op := range ops[h.from:h.to] {
			var text string
			switch op.kind {
			case ' ':
				text = al[op.a]
			case '-':
				text = al[op.a]
			case '+':
				text = bl[op.b]
			}
			body, nl := strings.CutSuffix(text, "\n")
			w.line(string(op.kind) + Redact(body))
			if !nl {
				w.line(`\ No newline at end of file`)
			}
		}
		if w.full {
			break
		}
	}
	return w.String(), w.full
}

func span(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// boundedWriter collects lines up to max bytes, then marks itself full
// and adds a last line saying so.
type boundedWriter struct {
	strings.Builder
	max  int
	full bool
}

const truncatedNote = "... (diff truncated)\n"

func (w *boundedWriter) line(s string) {
	if w.full {
		return
	}
	if w.Len()+len(s)+1+len(truncatedNote) > w.max {
		if room := w.max - w.Len() - len(truncatedNote) - 1; room > 0 && len(s) > room {
			// Keep the start of a long line, cut on a rune boundary.
			cut := room
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			w.WriteString(s[:cut])
			w.WriteByte('\n')
		}
		w.full = true
		if w.Len()+len(truncatedNote) <= w.max {
			w.WriteString(truncatedNote)
		}
		return
	}
	w.WriteString(s)
	w.WriteByte('\n')
}

// splitLines cuts b after each newline; the last line may lack one.
func splitLines(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, string(b))
			break
		}
		out = append(out, string(b[:i+1]))
		b = b[i+1:]
	}
	return out
}

// op is one line of the edit script: ' ' kept, '-' removed, '+' added,
// with its index in a and/or b.
type op struct {
	kind byte
	a, b int
}

// edits returns an edit script from a to b: shortest within maxEdits
// changes (Myers' algorithm), else correct but longer.
func edits(a, b []string) []op {
	ids := map[string]int{}
	id := func(s string) int {
		v, ok := ids[s]
		if !ok {
			v = len(ids)
			ids[s] = v
		}
		return v
	}
	ai, bi := make([]int, len(a)), make([]int, len(b))
	for i, s := range a {
		ai[i] = id(s)
	}
	for i, s := range b {
		bi[i] = id(s)
	}
	pre := 0
	for pre < len(ai) && pre < len(bi) && ai[pre] == bi[pre] {
		pre++
	}
	suf := 0
	for suf < len(ai)-pre && suf < len(bi)-pre && ai[len(ai)-1-suf] == bi[len(bi)-1-suf] {
		suf++
	}
	var out []op
	for i := range pre {
		out = append(out, op{' ', i, i})
	}
	out = append(out, myers(ai[pre:len(ai)-suf], bi[pre:len(bi)-suf], pre, pre)...)
	for i := range suf {
		out = append(out, op{' ', len(a) - suf + i, len(b) - suf + i})
	}
	return out
}

// myers diffs a and b (offsets ao and bo in the whole inputs).
func myers(a, b []int, ao, bo int) []op {
	n, m := len(a), len(b)
	whole := func() []op {
		out := make([]op, 0, n+m)
		for i := range n {
			out = append(out, op{'-', ao + i, 0})
		}
		for j := range m {
			out = append(out, op{'+', 0, bo + j})
		}
		return out
	}
	if n == 0 || m == 0 {
		return whole()
	}
	maxD := min(n+m, maxEdits)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	found := -1
	for d := 0; d <= maxD && found < 0; d++ {
		// Keep the frontier before this round, k in [-d-1, d+1].
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
	}
	if found < 0 {
		return whole()
	}
	// Walk back through the saved frontiers.
	var rev []op
	x, y := n, m
	for d := found; d > 0; d-- {
		pv := trace[d]
		at := func(k int) int { return pv[k+d+1] }
		k := x - y
		var pk int
		if k == -d || k != d && at(k-1) < at(k+1) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, op{' ', ao + x, bo + y})
		}
		if x == px {
			y--
			rev = append(rev, op{'+', 0, bo + y})
		} else {
			x--
			rev = append(rev, op{'-', ao + x, 0})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, op{' ', ao + x, bo + y})
	}
	out := make([]op, len(rev))
	for i, o := range rev {
		out[len(rev)-1-i] = o
	}
	return out
}

// hunk is a run of ops[from:to] with its line ranges.
type hunk struct {
	from, to     int
	aStart, aLen int
	bStart, bLen int
}

// hunks groups changes that are at most 2*Context kept lines apart, each
// with Context kept lines around it.
func hunks(ops []op) []hunk {
	var out []hunk
	i := 0
	for i < len(ops) {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		from := max(i-Context, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*Context {
				break
			}
			end = run
		}
		to := min(end+Context, len(ops))
		h := hunk{from: from, to: to}
		h.aStart, h.bStart = -1, -1
		// Line positions: count kept and removed lines before from in a,
		// kept and added in b.
		as, bs := 0, 0
		for _, o := range ops[:from] {
			if o.kind != '+' {
				as++
			}
			if o.kind != '-' {
				bs++
			}
		}
		h.aStart, h.bStart = as, bs
		for _, o := range ops[from:to] {
			if o.kind != '+' {
				h.aLen++
			}
			if o.kind != '-' {
				h.bLen++
			}
		}
		out = append(out, h)
		i = to
	}
	return out
}
