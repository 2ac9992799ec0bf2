package notify

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"unicode"
)

// redactedMark replaces a secret wherever it would be shown.
const redactedMark = "[REDACTED]"

// Secret is a configured credential. It formats, logs and prints as
// [REDACTED] (whatever the verb); its value is used only where it is
// sent. It marshals as its value so that a configuration can be stored;
// show configurations with ChannelConfig.Redacted.
type Secret string

// Format writes [REDACTED] for a set secret and nothing for an empty one.
func (s Secret) Format(f fmt.State, _ rune) {
	if s != "" {
		_, _ = io.WriteString(f, redactedMark)
	}
}

// LogValue keeps the secret out of structured logs.
func (s Secret) LogValue() slog.Value {
	if s == "" {
		return slog.StringValue("")
	}
	return slog.StringValue(redactedMark)
}

// redactor scrubs a channel's secrets from text and errors.
type redactor struct {
	r *strings.Replacer
}

// newRedactor returns a redactor of the given secrets. Each is also
// scrubbed in the encodings it may take on the way (query and path
// escaping, JSON string escaping, base64).
func newRedactor(secrets ...string) *redactor {
	seen := map[string]bool{}
	var forms []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		if b, err := json.Marshal(s); err == nil {
			add(strings.Trim(string(b), `"`))
		}
		add(base64.StdEncoding.EncodeToString([]byte(s)))
		add(base64.RawStdEncoding.EncodeToString([]byte(s)))
	}
	// Longest first, so that a secret containing another is replaced
	// whole.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, redactedMark)
	}
	return &redactor{r: strings.NewReplacer(pairs...)}
}

// String returns s without the secrets.
func (r *redactor) String(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Error returns err with its text redacted, keeping whether it is
// permanent and which context error it carries. It returns nil for nil.
func (r *redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.String(err.Error()), permanent: IsPermanent(err), ctxErr: contextError(err)}
}

// urlSecrets returns the parts of a URL that may be credentials: the user
// information, every query value and the token-like path segments.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return []string{raw}
	}
	var out []string
	if u.User != nil {
		out = append(out, u.User.Username())
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
	}
	for _, vs := range u.Query() {
		out = append(out, vs...)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if tokenLike(seg) {
			out = append(out, seg)
		}
	}
	if u.Fragment != "" {
		out = append(out, u.Fragment)
	}
	return out
}

// tokenLike reports whether a path segment looks like a credential: long
// and made of letters mixed with digits (robot tokens, hook ids).
func tokenLike(seg string) bool {
	if len(seg) < 16 {
		return false
	}
	var letters, digits bool
	for _, c := range seg {
		switch {
		case unicode.IsLetter(c):
			letters = true
		case unicode.IsDigit(c):
			digits = true
		}
	}
	return letters && digits
}

// redactURL returns a URL fit for logs and errors: user information,
// query values, token-like path segments and the fragment are replaced.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redactedMark
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		q := u.Query()
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = url.QueryEscape(k) + "=REDACTED"
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	segs := strings.Split(u.Path, "/")
	for i, seg := range segs {
		if tokenLike(seg) {
			segs[i] = "REDACTED"
		}
	}
	u.Path, u.RawPath = strings.Join(segs, "/"), ""
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}
