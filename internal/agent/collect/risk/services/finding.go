package services

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
)

// Finding types (vigil.weak_password.type).
const (
	// TypeNoAuth: the service answers without any credentials.
	TypeNoAuth = "no_auth"
	// TypeEmptyPassword: an account's password is empty.
	TypeEmptyPassword = "empty"
	// TypeAnonymous: an anonymous account (MySQL's '' user) gets in
	// with an empty password.
	TypeAnonymous = "anonymous_access"
	// TypeDefaultPassword: an account's password is one of the
	// product's well-known defaults.
	TypeDefaultPassword = "default"
	// TypeDictionaryPassword: an account's password is a dictionary
	// word.
	TypeDictionaryPassword = "dictionary"
	// TypeTrustRemote, TypeTrustLocal: pg_hba.conf lets clients in
	// without a password (trust) from other hosts, or from this host.
	TypeTrustRemote = "trust_remote"
	TypeTrustLocal  = "trust_local"
	// TypeCleartextPassword: pg_hba.conf has clients from other hosts
	// send their password in clear text (password, without TLS).
	TypeCleartextPassword = "cleartext_password"
	// TypePermitRootLogin, TypePasswordAuthentication,
	// TypePermitEmptyPasswords: sshd's settings of these names.
	TypePermitRootLogin        = "permit_root_login"
	TypePasswordAuthentication = "password_authentication"
	TypePermitEmptyPasswords   = "permit_empty_passwords"
)

// Severities (vigil.weak_password.severity).
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
)

// finding is one weak credential or open door.
type finding struct {
	key string
	// target is the product (the item's Name).
	target                          string
	typ, severity, reason, evidence string
	// account is the account tried; anonymous marks MySQL's '' user.
	account   string
	anonymous bool
	// hint and length describe a guessed password without giving it;
	// source names the list it came from.
	hint, source string
	length       int
	hasPwd       bool
	// addr is the address the service was reached at (or listens on).
	addr netip.AddrPort
	// listen are the addresses it listens on.
	listen []string
	file   string
	pid    int
	exe    string
}

// setPassword records what may be told of a guessed password: its
// masked hint, its length and its list. The password itself is not
// kept.
func (f *finding) setPassword(c candidate) {
	f.hint, f.length, f.source, f.hasPwd = Mask(c.word), utf8.RuneCountInString(c.word), c.source, true
}

// onInstance fills in the process and the listening addresses.
func (f *finding) onInstance(in *instance) {
	if in == nil {
		return
	}
	f.pid, f.exe = in.pid, in.exe
	f.listen = append(addrStrings(in.tcp, "tcp"), addrStrings(in.udp, "udp")...)
}

// Mask returns a hint of a password that does not give it away: its
// first and last characters with a star for each one between
// ("p*****3"); only stars for a password of three characters or fewer;
// "" for an empty one.
func Mask(pw string) string {
	r := []rune(pw)
	switch n := len(r); {
	case n == 0:
		return ""
	case n <= 3:
		return strings.Repeat("*", n)
	default:
		return string(r[0]) + strings.Repeat("*", n-2) + string(r[n-1])
	}
}

// asset returns the finding's inventory item.
func (f *finding) asset() event.Asset {
	e := event.Event{}
	e.Set("vigil.weak_password.target", f.target)
	e.Set("vigil.weak_password.type", f.typ)
	e.Set("vigil.weak_password.severity", f.severity)
	e.Set("vigil.weak_password.reason", f.reason)
	e.Set("vigil.weak_password.evidence", clip(f.evidence, 1024))
	if f.account != "" {
		e.Set("vigil.weak_password.account", f.account)
	}
	if f.anonymous {
		e.Set("vigil.weak_password.anonymous", true)
	}
	if f.hasPwd {
		if f.hint != "" {
			e.Set("vigil.weak_password.hint", f.hint)
		}
		e.Set("vigil.weak_password.length", f.length)
		if f.source != "" {
			e.Set("vigil.weak_password.source", f.source)
		}
	}
	if len(f.listen) > 0 {
		l := make([]any, len(f.listen))
		for i, s := range f.listen {
			l[i] = s
		}
		e.Set("vigil.weak_password.listen", l)
	}
	if f.addr.IsValid() {
		e.Set("server.address", f.addr.Addr().String())
		e.Set("server.port", int(f.addr.Port()))
	}
	if f.file != "" {
		e.Set("file.path", f.file)
	}
	if f.exe != "" {
		e.Set("process.executable", f.exe)
	}
	if f.pid > 0 {
		e.Set("process.pid", f.pid)
	}
	return event.Asset{Kind: event.AssetWeakPassword, Key: clip(f.key, event.MaxAssetKey), Name: f.target, Fields: e}
}

// clip cuts s to at most n bytes on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
