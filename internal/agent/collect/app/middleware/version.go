package middleware

import (
	"strings"
)

// UpstreamVersion returns the upstream part of a Debian package version,
// the version as the product itself reports it: without the epoch
// ("1:"), the Debian revision (after the last '-') and a repackaging
// suffix ("+dfsg", "+ds", "+repack", "~dfsg"). "5:7.0.15-1~deb12u10"
// gives "7.0.15", "1:10.11.19-0+deb12u1" "10.11.19".
func UpstreamVersion(deb string) string {
	v := strings.TrimSpace(deb)
	if i := strings.IndexByte(v, ':'); i >= 0 && allDigits(v[:i]) {
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i > 0 {
		v = v[:i]
	}
	for _, suffix := range []string{"+dfsg", "~dfsg", "+ds", "~ds", "+repack", "~repack"} {
		if i := strings.Index(v, suffix); i > 0 {
			v = v[:i]
		}
	}
	return v
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isVersionByte reports whether c may be part of a dotted version number.
func isVersionByte(c byte) bool { return c >= '0' && c <= '9' || c == '.' }

// dottedVersion returns the dotted version number at the start of s
// ("10.1.60" of "10.1.60 (Debian)", "30.0.1" of "30.0.1.Final") and
// whether it has at least two numeric components and no empty one.
func dottedVersion(s string) (string, bool) {
	n := 0
	for n < len(s) && isVersionByte(s[n]) {
		n++
	}
	v := strings.TrimRight(s[:n], ".") // "30.0.1" of "30.0.1.Final"
	if v == "" || v[0] == '.' || !strings.Contains(v, ".") || strings.Contains(v, "..") {
		return "", false
	}
	return v, true
}
