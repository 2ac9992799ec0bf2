package intel

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/vigilsec/vigil/internal/store"
)

// ErrBadFile is returned (wrapped) by Parse and Service.Import for a file
// that cannot be read as any indicator format at all, or as the format
// asked for: bad JSON, a CSV without a value column, binary data, too many
// indicators. Bad entries in a readable file are Problems, not errors.
var ErrBadFile = errors.New("unreadable indicator file")

// valueError is the error of a value that is no indicator of the type
// asked for. Its message is plain ("domain \"a..b\": empty label"); it
// matches store.ErrInvalid with errors.Is, so callers can answer 400.
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }
func (e *valueError) Unwrap() error { return store.ErrInvalid }

func invalidf(format string, args ...any) error {
	return &valueError{msg: fmt.Sprintf(format, args...)}
}

// Limits of values.
const (
	maxValueLen  = 8192 // any value, URLs included
	maxDomainLen = 253
	maxLabelLen  = 63
)

// Normalize returns the canonical form of v as an indicator of type t,
// the form the store keeps and the matcher compares:
//
//   - ip: an address in its canonical text (IPv4-mapped IPv6 unmapped,
//     IPv6 compressed and lower case), or a network masked to its first
//     address ("203.0.113.7/24" -> "203.0.113.0/24"); a /32 (IPv4) or
//     /128 (IPv6) network is the plain address. A /0 network is refused
//     (it would match every address), as are zones ("fe80::1%eth0") and
//     IPv4 parts with leading zeros (ambiguous: octal to some parsers).
//   - domain: lower case, without the trailing dot or a leading "*."
//     (a domain matches its subdomains anyway); international names in
//     punycode (IDNA lookup profile). At least two labels, each 1 to 63
//     bytes of letters, digits, '-' and '_', not starting or ending with
//     '-'; at most 253 bytes; the last label not all digits.
//   - url: scheme and host lower case, the host in punycode, the default
//     port of http (80), https (443), ftp (21), ws (80) and wss (443)
//     dropped, the fragment dropped, an empty path written "/"; the
//     rest (user information, path, query) kept byte for byte. A URL
//     without a scheme ("example.com/a") is taken as http.
//   - md5, sha1, sha256: lower-case hex of 32, 40 or 64 digits.
//
// Defanged input is accepted: "hxxp://" and "hxxps://" (any case),
// "[.]", "(.)", "{.}", "[dot]", "(dot)", "[:]", "[://]" and "[@]".
// Surrounding white space is ignored. The error of a bad value matches
// store.ErrInvalid.
func Normalize(t store.IndicatorType, v string) (string, error) {
	v = refang(v)
	if v == "" {
		return "", invalidf("empty value")
	}
	if len(v) > maxValueLen {
		return "", invalidf("value longer than %d bytes", maxValueLen)
	}
	if !utf8.ValidString(v) {
		return "", invalidf("value %q is not UTF-8", v)
	}
	switch t {
	case store.IndicatorIP:
		return normalizeIP(v)
	case store.IndicatorDomain:
		return normalizeDomain(v)
	case store.IndicatorURL:
		return normalizeURL(v)
	case store.IndicatorMD5, store.IndicatorSHA1, store.IndicatorSHA256:
		return normalizeHash(t, v)
	}
	return "", invalidf("unknown indicator type %q", t)
}

// Detect finds the type of a bare value and normalizes it: a value with
// "://" is a URL; an address or network is an ip; 32, 40 or 64 hex digits
// are an md5, sha1 or sha256; a name followed by a path ("example.com/a")
// is a URL; else it must be a domain. A value made of digits and dots only
// is judged as an address (so "999.1.1.1" is a bad address, not a
// domain).
func Detect(v string) (store.IndicatorType, string, error) {
	v = refang(v)
	switch {
	case v == "":
		return "", "", invalidf("empty value")
	case len(v) > maxValueLen:
		return "", "", invalidf("value longer than %d bytes", maxValueLen)
	case !utf8.ValidString(v):
		return "", "", invalidf("value %q is not UTF-8", v)
	case strings.Contains(v, "://"):
		return detected(store.IndicatorURL, normalizeURL, v)
	}
	if looksLikeIP(v) {
		return detected(store.IndicatorIP, normalizeIP, v)
	}
	if t, ok := hashType(len(v)); ok && isHex(v) {
		return t, strings.ToLower(v), nil
	}
	if strings.ContainsAny(v, "/?") {
		return detected(store.IndicatorURL, normalizeURL, v)
	}
	n, err := normalizeDomain(v)
	if err != nil {
		return "", "", invalidf("%q is not an IP address, network, domain, URL or file hash (%v)", v, err)
	}
	return store.IndicatorDomain, n, nil
}

// detected normalizes v as type t with normalize, and returns no type
// when it fails.
func detected(t store.IndicatorType, normalize func(string) (string, error), v string) (store.IndicatorType, string, error) {
	n, err := normalize(v)
	if err != nil {
		return "", "", err
	}
	return t, n, nil
}

// looksLikeIP reports whether v is to be judged as an address or network:
// digits and dots (with an optional /bits), or anything with a colon and
// no slash before it other than a network's.
func looksLikeIP(v string) bool {
	if strings.HasPrefix(v, "[") {
		return true
	}
	addr, _, _ := strings.Cut(v, "/")
	if strings.Contains(addr, ":") {
		// An IPv6 address, or host:port (refused as an address).
		return true
	}
	if addr == "" {
		return false
	}
	for i := 0; i < len(addr); i++ {
		if c := addr[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// refanged forms and their replacements.
var refangs = strings.NewReplacer(
	"[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".", "[DOT]", ".",
	"[://]", "://", "[:]", ":", "[@]", "@",
)

// refang trims v and undoes the usual defanging. It does not allocate
// when v holds none.
func refang(v string) string {
	v = strings.TrimSpace(v)
	if strings.ContainsAny(v, "[({") {
		v = refangs.Replace(v)
	}
	if len(v) >= 4 && (v[0] == 'h' || v[0] == 'H') && strings.EqualFold(v[1:3], "xx") && (v[3] == 'p' || v[3] == 'P') {
		v = "http" + v[4:]
	}
	return v
}

func normalizeIP(v string) (string, error) {
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = v[1 : len(v)-1]
	}
	if strings.Contains(v, "%") {
		return "", invalidf("address %q: zones are not allowed", v)
	}
	if !strings.Contains(v, "/") {
		a, err := netip.ParseAddr(v)
		if _, perr := netip.ParseAddrPort(v); err != nil && perr == nil {
			return "", invalidf("address %q: a port is no part of an address", v)
		}
		if err != nil {
			return "", invalidf("address %q: %v", v, errorText(err))
		}
		return a.Unmap().String(), nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return "", invalidf("network %q: %v", v, errorText(err))
	}
	p, err = canonicalPrefix(p)
	if err != nil {
		return "", invalidf("network %q: %v", v, err)
	}
	if p.IsSingleIP() {
		return p.Addr().String(), nil
	}
	return p.String(), nil
}

// canonicalPrefix masks p and turns an IPv4-mapped IPv6 network of at
// least 96 bits into the IPv4 network.
func canonicalPrefix(p netip.Prefix) (netip.Prefix, error) {
	a, bits := p.Addr(), p.Bits()
	if a.Is4In6() && bits >= 96 {
		p = netip.PrefixFrom(a.Unmap(), bits-96)
	}
	if p.Bits() == 0 {
		return netip.Prefix{}, errors.New("a /0 network matches every address")
	}
	return p.Masked(), nil
}

// errorText drops the "ParseAddr(...): " preamble of netip's errors,
// which repeats the value.
func errorText(err error) string {
	s := err.Error()
	if i := strings.Index(s, "): "); i >= 0 && strings.HasPrefix(s, "Parse") {
		return s[i+3:]
	}
	return s
}

// idnaDots are the full stops IDNA treats as label separators.
var idnaDots = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

func normalizeDomain(v string) (string, error) {
	orig := v
	v = strings.TrimPrefix(v, "*.")
	v = strings.TrimSuffix(v, ".")
	if v == "" {
		return "", invalidf("empty domain")
	}
	if !isASCII(v) {
		if !utf8.ValidString(v) {
			return "", invalidf("domain %q: not UTF-8", orig)
		}
		var err error
		if v, err = punycode(idnaDots.Replace(v)); err != nil {
			return "", invalidf("domain %q: %v", orig, err)
		}
	}
	v = strings.ToLower(v)
	if err := checkDomain(v, 2); err != nil {
		return "", invalidf("domain %q: %v", orig, err)
	}
	return v, nil
}

// punycode converts the non-ASCII labels of v to punycode, one by one,
// so that ASCII labels keep characters (such as '_') that the IDNA
// profile refuses.
func punycode(v string) (string, error) {
	labels := strings.Split(v, ".")
	for i, l := range labels {
		if isASCII(l) {
			continue
		}
		a, err := idna.Lookup.ToASCII(l)
		if err != nil {
			return "", fmt.Errorf("label %q: %w", l, err)
		}
		labels[i] = a
	}
	return strings.Join(labels, "."), nil
}

// checkDomain validates a lower-case ASCII name of at least minLabels
// labels.
func checkDomain(v string, minLabels int) error {
	if len(v) > maxDomainLen {
		return fmt.Errorf("longer than %d bytes", maxDomainLen)
	}
	n := 0
	last := ""
	for l := range strings.SplitSeq(v, ".") {
		n++
		last = l
		switch {
		case l == "":
			return errors.New("empty label")
		case len(l) > maxLabelLen:
			return fmt.Errorf("label %q longer than %d bytes", l, maxLabelLen)
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Errorf("label %q starts or ends with '-'", l)
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("label %q: character %q not allowed", l, rune(c))
			}
		}
		if strings.HasPrefix(l, "xn--") {
			if _, err := idna.Lookup.ToUnicode(l); err != nil {
				return fmt.Errorf("label %q: %w", l, err)
			}
		}
	}
	if n < minLabels {
		return fmt.Errorf("at least %d labels needed", minLabels)
	}
	allDigits := true
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			allDigits = false
			break
		}
	}
	if allDigits {
		return fmt.Errorf("last label %q is a number", last)
	}
	return nil
}

func normalizeURL(v string) (string, error) {
	orig := v
	if !strings.Contains(v, "://") {
		v = "http://" + v
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c == 0x7f {
			return "", invalidf("url %q: white space or control character", orig)
		}
	}
	parts, ok := splitURL(v)
	if !ok {
		return "", invalidf("url %q: not of the form scheme://host/path", orig)
	}
	if !isASCII(parts.host) {
		if !utf8.ValidString(parts.host) {
			return "", invalidf("url %q: host not UTF-8", orig)
		}
		h, err := punycode(idnaDots.Replace(parts.host))
		if err != nil {
			return "", invalidf("url %q: host: %v", orig, err)
		}
		v = v[:parts.hostAt] + h + v[parts.hostAt+len(parts.host):]
		if parts, ok = splitURL(v); !ok {
			return "", invalidf("url %q: host: not ASCII after IDNA", orig)
		}
	}
	u, err := url.Parse(v)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", invalidf("url %q: %v", orig, err)
	}
	if u.Opaque != "" || u.Host == "" {
		return "", invalidf("url %q: no host", orig)
	}
	host := strings.ToLower(parts.host)
	if strings.HasPrefix(host, "[") {
		if _, err := netip.ParseAddr(host[1 : len(host)-1]); err != nil {
			return "", invalidf("url %q: host: %v", orig, errorText(err))
		}
	} else if _, err := netip.ParseAddr(host); err != nil {
		if err := checkDomain(host, 1); err != nil {
			return "", invalidf("url %q: host: %v", orig, err)
		}
	}
	if p := parts.port; p != "" {
		n := 0
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return "", invalidf("url %q: port %q not a number", orig, p)
			}
			if n = n*10 + int(p[i]-'0'); n > 65535 {
				break
			}
		}
		if n == 0 || n > 65535 {
			return "", invalidf("url %q: port %s out of range", orig, p)
		}
	}
	out, _ := appendCanonicalURL(nil, v)
	return string(out), nil
}

// urlParts are the pieces of scheme://userinfo@host:port/path?query#fragment
// that the canonical form treats apart. hostAt is where host starts.
type urlParts struct {
	scheme, userinfo, host, port, tail string
	hostAt                             int
}

// splitURL cuts s as url.Parse does (the authority ends at the first
// '/', '?' or '#'; user information ends at its last '@'), without
// allocating. The host keeps its brackets and loses a trailing dot; the
// tail loses its fragment.
func splitURL(s string) (urlParts, bool) {
	var p urlParts
	i := strings.Index(s, "://")
	if i <= 0 {
		return p, false
	}
	p.scheme = s[:i]
	for j := 0; j < len(p.scheme); j++ {
		c := p.scheme[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return p, false
		}
	}
	rest := s[i+3:]
	p.hostAt = i + 3
	end := 0
	for end < len(rest) && rest[end] != '/' && rest[end] != '?' && rest[end] != '#' {
		end++
	}
	auth, tail := rest[:end], rest[end:]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		p.userinfo, auth = auth[:at+1], auth[at+1:]
		p.hostAt += at + 1
	}
	p.host = auth
	if strings.HasPrefix(auth, "[") {
		j := strings.IndexByte(auth, ']')
		if j < 0 {
			return p, false
		}
		p.host = auth[:j+1]
		switch r := auth[j+1:]; {
		case r == "":
		case r[0] == ':':
			p.port = r[1:]
		default:
			return p, false
		}
	} else if j := strings.LastIndexByte(auth, ':'); j >= 0 {
		p.host, p.port = auth[:j], auth[j+1:]
	}
	p.host = strings.TrimSuffix(p.host, ".")
	if p.host == "" {
		return p, false
	}
	if f := strings.IndexByte(tail, '#'); f >= 0 {
		tail = tail[:f]
	}
	p.tail = tail
	return p, true
}

// appendCanonicalURL appends the canonical form of the URL s to dst
// (Normalize's rules, byte for byte, without validation beyond the shape
// scheme://host) and reports whether s has that shape with an ASCII
// host. It allocates only when dst is too small: the enricher passes a
// buffer on its stack.
func appendCanonicalURL(dst []byte, s string) ([]byte, bool) {
	p, ok := splitURL(s)
	if !ok || !isASCII(p.host) {
		return dst, false
	}
	dst = appendLower(dst, p.scheme)
	dst = append(dst, "://"...)
	dst = append(dst, p.userinfo...)
	dst = appendLower(dst, p.host)
	if p.port != "" && !isDefaultPort(p.scheme, p.port) {
		dst = append(dst, ':')
		dst = append(dst, p.port...)
	}
	if p.tail == "" || p.tail[0] == '?' {
		dst = append(dst, '/')
	}
	dst = append(dst, p.tail...)
	return dst, true
}

// isDefaultPort reports whether port is the default port of scheme
// (http 80, https 443, ftp 21, ws 80, wss 443), case-insensitively and
// without allocating.
func isDefaultPort(scheme, port string) bool {
	switch port {
	case "80":
		return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "ws")
	case "443":
		return strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "wss")
	case "21":
		return strings.EqualFold(scheme, "ftp")
	}
	return false
}

func appendLower(dst []byte, s string) []byte {
	start := len(dst)
	dst = append(dst, s...)
	for i := start; i < len(dst); i++ {
		if c := dst[i]; c >= 'A' && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	return dst
}

func normalizeHash(t store.IndicatorType, v string) (string, error) {
	want := map[store.IndicatorType]int{store.IndicatorMD5: 32, store.IndicatorSHA1: 40, store.IndicatorSHA256: 64}[t]
	if len(v) != want {
		return "", invalidf("%s %q: want %d hex digits, not %d characters", t, v, want, len(v))
	}
	if !isHex(v) {
		return "", invalidf("%s %q: not hex", t, v)
	}
	return strings.ToLower(v), nil
}

// hashType is the hash type of n hex digits.
func hashType(n int) (store.IndicatorType, bool) {
	switch n {
	case 32:
		return store.IndicatorMD5, true
	case 40:
		return store.IndicatorSHA1, true
	case 64:
		return store.IndicatorSHA256, true
	}
	return "", false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if hexVal(s[i]) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
