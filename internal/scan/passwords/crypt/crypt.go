// Package crypt verifies a password against a crypt(3) hash of the kind
// Linux keeps in /etc/shadow: yescrypt ($y$), sha512crypt ($6$),
// sha256crypt ($5$), md5crypt ($1$), bcrypt ($2a$, $2b$, $2x$, $2y$),
// traditional DES (13 characters) and BSDi extended DES ("_").
//
// ParseField reads a whole password field and tells apart a usable hash,
// an empty field (no password needed), a hash locked with '!', a field
// no password matches ("*", "!", "!!"), a hash of a scheme this package
// does not verify, and a malformed hash of a scheme it knows. Parsing is
// strict: a hash that libxcrypt would never reproduce (a salt too long,
// rounds out of range, a digest of the wrong length or alphabet) is
// malformed, since no password matches it.
//
// A Hash holds the hash string for verification only: it prints, logs
// and marshals as its scheme name, never as the hash.
package crypt

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/GehirnInc/crypt/md5_crypt"
	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
	"github.com/openwall/yescrypt-go"
	"golang.org/x/crypto/bcrypt"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/shadow"
)

// Scheme names a hashing scheme as the os/users inventory names it.
type Scheme string

// The schemes this package verifies.
const (
	Yescrypt Scheme = "yescrypt"
	SHA512   Scheme = "sha512crypt"
	SHA256   Scheme = "sha256crypt"
	MD5      Scheme = "md5crypt"
	Bcrypt   Scheme = "bcrypt"
	DES      Scheme = "descrypt"
	BSDi     Scheme = "bsdicrypt"
)

// Schemes lists the schemes this package verifies, strongest first.
var Schemes = []Scheme{Yescrypt, Bcrypt, SHA512, SHA256, MD5, BSDi, DES}

// Weak reports whether the scheme falls to today's hardware whatever the
// password: the DES schemes (eight characters at most for descrypt, a
// 56-bit key, a 12-bit salt) and md5crypt (a fixed 1,000 iterations of
// MD5).
func (s Scheme) Weak() bool { return s == DES || s == BSDi || s == MD5 }

// Status says what a password field holds.
type Status string

// Statuses of a password field.
const (
	// StatusHash: a hash this package verifies.
	StatusHash Status = "hash"
	// StatusEmpty: an empty field; the account needs no password.
	StatusEmpty Status = "empty"
	// StatusLocked: a hash behind one or more '!' (usermod -L, passwd
	// -l): password logins fail until it is unlocked, and the old
	// password comes back then.
	StatusLocked Status = "locked"
	// StatusDisabled: no hash at all ("*", "!", "!!", "*LK*" ...); no
	// password matches.
	StatusDisabled Status = "disabled"
	// StatusUnknown: a hash of a scheme this package does not verify
	// (scrypt, gost-yescrypt, argon2, an unknown "$id$"), or of
	// parameters it does not support.
	StatusUnknown Status = "unknown"
	// StatusInvalid: a malformed hash of a scheme this package knows;
	// crypt(3) matches no password against it.
	StatusInvalid Status = "invalid"
)

// Errors of ParseHash and Verify.
var (
	// ErrUnknownScheme: not a hash of a scheme this package knows.
	ErrUnknownScheme = errors.New("unknown hashing scheme")
	// ErrMalformed: a hash of a known scheme that is not well formed.
	ErrMalformed = errors.New("malformed hash")
	// ErrUnsupported: a known scheme with parameters this package
	// cannot compute.
	ErrUnsupported = errors.New("unsupported hash parameters")
	// ErrTooCostly: verifying the hash costs more than the limits allow.
	ErrTooCostly = errors.New("hash too costly to verify")
	// ErrPassword: a password crypt(3) cannot take (it holds a NUL).
	ErrPassword = errors.New("password not accepted by crypt(3)")
)

// Field is a parsed password field.
type Field struct {
	// Status says what the field holds.
	Status Status
	// Locked is true when the field starts with '!'.
	Locked bool
	// Scheme names the hash's scheme, for a hash of any status (also
	// one this package does not verify, as os/users names it); "" when
	// there is no hash.
	Scheme string
	// Hash is the parsed hash when Status is StatusHash, or StatusLocked
	// and the locked hash is one this package verifies; zero otherwise.
	Hash Hash
	// Err says why the hash is unknown or invalid.
	Err error
}

// ParseField parses a password field of shadow(5) or passwd(5).
func ParseField(field string) Field {
	if field == "" {
		return Field{Status: StatusEmpty}
	}
	rest := strings.TrimLeft(field, "!")
	f := Field{Locked: len(rest) < len(field)}
	name := shadow.Scheme(rest)
	if rest == "" || strings.HasPrefix(rest, "*") || name == "" {
		f.Status = StatusDisabled
		return f
	}
	h, err := ParseHash(rest)
	switch {
	case err == nil:
		f.Hash, f.Scheme = h, string(h.scheme)
		f.Status = StatusHash
		if f.Locked {
			f.Status = StatusLocked
		}
		return f
	case errors.Is(err, ErrMalformed):
		f.Status = StatusInvalid
	default:
		f.Status = StatusUnknown
	}
	f.Scheme, f.Err = name, err
	return f
}

// Hash is a parsed crypt(3) hash. Its zero value is no hash.
type Hash struct {
	s      string // the whole hash: never printed
	scheme Scheme
	cost   Cost
}

// Cost is what one verification of a hash costs.
type Cost struct {
	// Rounds is the scheme's iteration count: sha-crypt's rounds,
	// bcrypt's 2^cost, the DES schemes' count of encryptions, md5crypt's
	// fixed 1,000; yescrypt's time factor is 1.
	Rounds int
	// Memory is the memory one verification needs, in bytes
	// (yescrypt's 128·r·N, bcrypt's 4 KiB state).
	Memory int64
}

// Limits bound the cost of the hashes a caller verifies.
type Limits struct {
	// MaxSHARounds bounds sha-crypt's rounds.
	MaxSHARounds int
	// MaxBcryptCost bounds bcrypt's cost (log2 of its rounds).
	MaxBcryptCost int
	// MaxYescryptMemory bounds yescrypt's memory, in bytes.
	MaxYescryptMemory int64
	// MaxDESCount bounds bsdicrypt's count of encryptions.
	MaxDESCount int
}

// DefaultLimits let through every hash the distributions' tools make with
// their default and raised costs: sha-crypt up to a million rounds,
// bcrypt up to cost 14, yescrypt up to 256 MiB.
var DefaultLimits = Limits{
	MaxSHARounds:      1_000_000,
	MaxBcryptCost:     14,
	MaxYescryptMemory: 256 << 20,
	MaxDESCount:       1 << 20,
}

// ParseHash parses one hash (without lock marks). The error wraps
// ErrUnknownScheme, ErrMalformed or ErrUnsupported and says what is
// wrong without quoting the hash.
func ParseHash(s string) (Hash, error) {
	var (
		h   Hash
		err error
	)
	switch {
	case strings.HasPrefix(s, "$y$"):
		h, err = parseYescrypt(s)
	case strings.HasPrefix(s, "$6$"):
		h, err = parseSHA(s, SHA512, 86)
	case strings.HasPrefix(s, "$5$"):
		h, err = parseSHA(s, SHA256, 43)
	case strings.HasPrefix(s, "$1$"):
		h, err = parseMD5(s)
	case strings.HasPrefix(s, "$2"):
		h, err = parseBcrypt(s)
	case strings.HasPrefix(s, "_"):
		h, err = parseBSDi(s)
	case strings.HasPrefix(s, "$"):
		return Hash{}, fmt.Errorf("%w: %s", ErrUnknownScheme, describe(s))
	default:
		h, err = parseDES(s)
	}
	if err != nil {
		return Hash{}, err
	}
	h.s = s
	return h, nil
}

// describe names what a hash looks like, for an error: its scheme as
// os/users names it, or its length.
func describe(s string) string {
	if name := shadow.Scheme(s); name != "" && name != "unknown" {
		return name
	}
	if i := strings.IndexByte(s[min(1, len(s)):], '$'); strings.HasPrefix(s, "$") && i > 0 && i <= 8 && printable(s[1:1+i]) {
		return "identifier $" + s[1:1+i] + "$"
	}
	return strconv.Itoa(len(s)) + " characters"
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func malformed(scheme Scheme, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, scheme, fmt.Sprintf(format, args...))
}

// parseYescrypt parses "$y$PARAMS$SALT$HASH". yescrypt-go computes the
// parameters libxcrypt writes by default: flags "j", then N and r, one
// character each.
func parseYescrypt(s string) (Hash, error) {
	parts := strings.Split(s[len("$y$"):], "$")
	if len(parts) != 3 {
		return Hash{}, malformed(Yescrypt, "want $y$params$salt$hash, have %d fields", len(parts)+2)
	}
	params, salt, digest := parts[0], parts[1], parts[2]
	if params == "" || !inAlphabet(params) {
		return Hash{}, malformed(Yescrypt, "parameters empty or outside crypt's alphabet")
	}
	if !inAlphabet(salt) {
		return Hash{}, malformed(Yescrypt, "salt outside crypt's alphabet")
	}
	if len(digest) != 43 || !inAlphabet(digest) {
		return Hash{}, malformed(Yescrypt, "digest of %d characters, want 43 of crypt's alphabet", len(digest))
	}
	if len(params) != 3 || params[0] != 'j' {
		return Hash{}, fmt.Errorf("%w: yescrypt parameters of %d characters with flags %q (only \"j\" with N and r is computed)",
			ErrUnsupported, len(params), params[:1])
	}
	nLog2 := alphabetValue(params[1]) + 1
	r := alphabetValue(params[2]) + 1
	if nLog2 < 10 || nLog2 > 18 || r > 32 {
		return Hash{}, fmt.Errorf("%w: yescrypt N=2^%d, r=%d (computed: N from 2^10 to 2^18, r up to 32)", ErrUnsupported, nLog2, r)
	}
	if len(salt)*6%8 >= 6 || !zeroTail(salt) {
		return Hash{}, malformed(Yescrypt, "salt of %d characters does not decode to whole bytes", len(salt))
	}
	return Hash{scheme: Yescrypt, cost: Cost{Rounds: 1, Memory: 128 * int64(r) << nLog2}}, nil
}

// zeroTail reports whether the bits of the last character of a
// yescrypt-encoded string (least significant bits first) that do not
// make a whole byte are zero, as yescrypt's decoder demands.
func zeroTail(s string) bool {
	if len(s) == 0 {
		return true
	}
	used := (len(s) * 6) % 24 // bits in the last group
	if used == 0 {
		return true
	}
	extra := used % 8
	last := alphabetValue(s[len(s)-1])
	return last>>(6-extra) == 0
}

// parseSHA parses "$5$[rounds=N$]SALT$HASH" or "$6$...": a salt of at
// most 16 characters other than '$', rounds from 1,000 to 999,999,999
// written without leading zeros (libxcrypt writes back any other value
// clamped, so a hash with it matches nothing).
func parseSHA(s string, scheme Scheme, digestLen int) (Hash, error) {
	rest := s[3:]
	rounds := 5000
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		num, after, found := strings.Cut(r, "$")
		if !found {
			return Hash{}, malformed(scheme, "rounds without a salt")
		}
		n, err := strconv.Atoi(num)
		if err != nil || num == "" || num[0] < '1' || num[0] > '9' || n < 1000 || n > 999_999_999 {
			return Hash{}, malformed(scheme, "rounds %q are not a number from 1000 to 999999999", clip(num))
		}
		rounds, rest = n, after
	}
	salt, digest, found := strings.Cut(rest, "$")
	switch {
	case !found:
		return Hash{}, malformed(scheme, "no digest after the salt")
	case len(salt) > 16:
		return Hash{}, malformed(scheme, "salt of %d characters, at most 16", len(salt))
	case strings.ContainsAny(salt, ":\n\x00"):
		return Hash{}, malformed(scheme, "salt holds ':', a newline or NUL")
	case len(digest) != digestLen || !inAlphabet(digest):
		return Hash{}, malformed(scheme, "digest of %d characters, want %d of crypt's alphabet", len(digest), digestLen)
	case strings.HasPrefix(salt, "rounds="):
		return Hash{}, malformed(scheme, "rounds given twice")
	}
	return Hash{scheme: scheme, cost: Cost{Rounds: rounds}}, nil
}

// parseMD5 parses "$1$SALT$HASH": a salt of at most 8 characters.
func parseMD5(s string) (Hash, error) {
	salt, digest, found := strings.Cut(s[3:], "$")
	switch {
	case !found:
		return Hash{}, malformed(MD5, "no digest after the salt")
	case len(salt) > 8:
		return Hash{}, malformed(MD5, "salt of %d characters, at most 8", len(salt))
	case strings.ContainsAny(salt, ":\n\x00"):
		return Hash{}, malformed(MD5, "salt holds ':', a newline or NUL")
	case len(digest) != 22 || !inAlphabet(digest):
		return Hash{}, malformed(MD5, "digest of %d characters, want 22 of crypt's alphabet", len(digest))
	case strings.HasPrefix(salt, "rounds="):
		// The library would read it as sha-crypt's rounds.
		return Hash{}, fmt.Errorf("%w: md5crypt salt starting with \"rounds=\"", ErrUnsupported)
	}
	return Hash{scheme: MD5, cost: Cost{Rounds: 1000}}, nil
}

// bcryptAlphabet is bcrypt's own base 64.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// parseBcrypt parses "$2?$CC$" and 53 characters: 22 of salt, 31 of
// digest.
func parseBcrypt(s string) (Hash, error) {
	if len(s) < 4 || s[3] != '$' || !strings.ContainsRune("abxy", rune(s[2])) {
		return Hash{}, fmt.Errorf("%w: %s (bcrypt is $2a$, $2b$, $2x$ or $2y$)", ErrUnknownScheme, describe(s))
	}
	if len(s) != 60 {
		return Hash{}, malformed(Bcrypt, "%d characters, want 60", len(s))
	}
	if s[6] != '$' || s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return Hash{}, malformed(Bcrypt, "cost is not two digits")
	}
	cost := int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < 4 || cost > 31 {
		return Hash{}, malformed(Bcrypt, "cost %d outside 4 to 31", cost)
	}
	for i := 7; i < len(s); i++ {
		if strings.IndexByte(bcryptAlphabet, s[i]) < 0 {
			return Hash{}, malformed(Bcrypt, "salt or digest outside bcrypt's alphabet")
		}
	}
	return Hash{scheme: Bcrypt, cost: Cost{Rounds: 1 << cost, Memory: 4 << 10}}, nil
}

// parseBSDi parses "_CCCCSSSS" and 11 characters: count and salt, four
// characters each. A count of zero is taken as one, as libxcrypt does.
func parseBSDi(s string) (Hash, error) {
	if len(s) != bsdiLen || !inAlphabet(s[1:]) {
		return Hash{}, malformed(BSDi, "%d characters, want \"_\" and %d of crypt's alphabet", len(s), bsdiLen-1)
	}
	if !canonical64(s[len(s)-1]) {
		return Hash{}, malformed(BSDi, "last digest character holds bits past the 64th")
	}
	return Hash{scheme: BSDi, cost: Cost{Rounds: bsdiCount(s)}}, nil
}

// parseDES parses two salt characters and 11 of digest.
func parseDES(s string) (Hash, error) {
	if len(s) != desLen || !inAlphabet(s) {
		return Hash{}, fmt.Errorf("%w: %s", ErrUnknownScheme, describe(s))
	}
	if !canonical64(s[len(s)-1]) {
		return Hash{}, malformed(DES, "last digest character holds bits past the 64th")
	}
	return Hash{scheme: DES, cost: Cost{Rounds: desIterations}}, nil
}

// canonical64 reports whether the last character of a DES digest leaves
// its two padding bits zero, as every hash crypt(3) writes does.
func canonical64(c byte) bool { return alphabetValue(c)&3 == 0 }

func clip(s string) string {
	if len(s) > 12 {
		return s[:12] + "..."
	}
	return s
}

// IsZero reports whether h is no hash.
func (h Hash) IsZero() bool { return h.s == "" }

// Scheme returns the hash's scheme.
func (h Hash) Scheme() Scheme { return h.scheme }

// Cost returns what one verification costs.
func (h Hash) Cost() Cost { return h.cost }

// Within returns an error wrapping ErrTooCostly when verifying h costs
// more than l allows (a zero limit allows anything).
func (h Hash) Within(l Limits) error {
	var over bool
	switch h.scheme {
	case SHA512, SHA256:
		over = l.MaxSHARounds > 0 && h.cost.Rounds > l.MaxSHARounds
	case Bcrypt:
		over = l.MaxBcryptCost > 0 && h.cost.Rounds > 1<<l.MaxBcryptCost
	case Yescrypt:
		over = l.MaxYescryptMemory > 0 && h.cost.Memory > l.MaxYescryptMemory
	case BSDi:
		over = l.MaxDESCount > 0 && h.cost.Rounds > l.MaxDESCount
	}
	if over {
		return fmt.Errorf("%w: %s with %d rounds and %d bytes of memory", ErrTooCostly, h.scheme, h.cost.Rounds, h.cost.Memory)
	}
	return nil
}

// maxBcryptPassword is the most bytes of a password bcrypt uses.
const maxBcryptPassword = 72

// Verify reports whether password matches the hash, as crypt(3) would
// tell. The error says why the password could not be tried (a NUL in
// it, parameters the library refuses, a zero Hash).
func (h Hash) Verify(password string) (bool, error) {
	if h.s == "" {
		return false, errors.New("crypt: verify against no hash")
	}
	if strings.IndexByte(password, 0) >= 0 {
		return false, ErrPassword
	}
	var got string
	switch h.scheme {
	case Yescrypt:
		b, err := yescrypt.Hash([]byte(password), []byte(h.s))
		if err != nil {
			return false, fmt.Errorf("crypt: yescrypt: %w", err)
		}
		got = string(b)
	case SHA512, SHA256, MD5:
		// The library is given the setting without the digest: with
		// "rounds=" it would take the digest for part of the salt.
		setting := h.s[:strings.LastIndexByte(h.s, '$')]
		var err error
		switch h.scheme {
		case SHA512:
			got, err = sha512_crypt.New().Generate([]byte(password), []byte(setting))
		case SHA256:
			got, err = sha256_crypt.New().Generate([]byte(password), []byte(setting))
		default:
			got, err = md5_crypt.New().Generate([]byte(password), []byte(setting))
		}
		if err != nil {
			return false, fmt.Errorf("crypt: %s: %w", h.scheme, err)
		}
	case Bcrypt:
		if h.s[2] == 'x' && !ascii(password) {
			// $2x$ keeps the sign-extension bug of old bcrypt for
			// 8-bit characters; x/crypto computes the correct form.
			return false, fmt.Errorf("%w: $2x$ with non-ASCII characters", ErrUnsupported)
		}
		if len(password) > maxBcryptPassword {
			password = password[:maxBcryptPassword]
		}
		err := bcrypt.CompareHashAndPassword([]byte(h.s), []byte(password))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, nil
		}
		return false, fmt.Errorf("crypt: bcrypt: %w", err)
	case DES:
		got = desCrypt(password, h.s)
	case BSDi:
		got = bsdiCrypt(password, h.s)
	default:
		return false, fmt.Errorf("crypt: %w: %s", ErrUnknownScheme, h.scheme)
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(h.s)) == 1, nil
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// String returns the scheme's name in place of the hash.
func (h Hash) String() string {
	if h.s == "" {
		return "crypt.Hash(none)"
	}
	return "crypt.Hash(" + string(h.scheme) + ")"
}

// GoString implements fmt.GoStringer like String: %#v shows no hash.
func (h Hash) GoString() string { return h.String() }

// Format implements fmt.Formatter: every verb prints String.
func (h Hash) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(h.String())) }

// LogValue implements slog.LogValuer: a logged Hash is its scheme.
func (h Hash) LogValue() slog.Value { return slog.StringValue(h.String()) }

// MarshalText implements encoding.TextMarshaler: JSON and text forms are
// String, never the hash.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }
