// Package jointoken makes and parses the join tokens that enroll agents.
//
// A token reads vgl1.<id>.<secret>.<ca-hash>: the version, an 8-character
// id that names the token in the center's store and in the audit log, a
// 32-character secret (160 random bits) of which the center keeps only the
// SHA-256, and the hex SHA-256 of the center CA's SubjectPublicKeyInfo, with
// which the agent checks that it talks to the right center before it sends
// the secret. Id and secret use lowercase base32 (a-z, 2-7) and the hash
// lowercase hex: no character a shell, URL, YAML file or e-mail client
// treats specially, no 0/O or 1/l confusion. Parse trims surrounding white
// space and ignores case, so a token survives being pasted or retyped.
package jointoken

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Version is the first field of every token.
const Version = "vgl1"

// Field lengths.
const (
	IDLen     = 8
	SecretLen = 32
	HashLen   = 64
)

// Errors Parse and Generate wrap.
var (
	ErrMalformed = errors.New("malformed join token")
	ErrVersion   = errors.New("unsupported join token version")
	ErrHash      = errors.New("bad CA hash in join token")
)

// encoding is unpadded lowercase base32.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Token is a parsed join token.
type Token struct {
	ID     string
	Secret string
	// CAHash is the lowercase hex SHA-256 of the center CA's public key
	// (without a "sha256:" prefix).
	CAHash string
}

// Generate returns a new token for the CA with the given hash, given as
// hex or as "sha256:" and hex.
func Generate(caHash string) (Token, error) {
	h, err := normalizeHash(caHash)
	if err != nil {
		return Token{}, err
	}
	// 5 bytes make exactly 8 base32 characters, 20 bytes exactly 32.
	buf := make([]byte, 25)
	if _, err := rand.Read(buf); err != nil {
		return Token{}, fmt.Errorf("join token: random: %w", err)
	}
	return Token{ID: encoding.EncodeToString(buf[:5]), Secret: encoding.EncodeToString(buf[5:]), CAHash: h}, nil
}

// Parse reads a token. Errors wrap ErrMalformed, ErrVersion or ErrHash and
// never repeat the secret.
func Parse(s string) (Token, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return Token{}, fmt.Errorf("%w: want 4 dot-separated fields, got %d", ErrMalformed, len(parts))
	}
	if parts[0] != Version {
		return Token{}, fmt.Errorf("%w: %q (this agent reads %s)", ErrVersion, clip(parts[0]), Version)
	}
	if err := checkField("id", parts[1], IDLen); err != nil {
		return Token{}, err
	}
	if err := checkField("secret", parts[2], SecretLen); err != nil {
		return Token{}, err
	}
	h, err := normalizeHash(parts[3])
	if err != nil {
		return Token{}, err
	}
	return Token{ID: parts[1], Secret: parts[2], CAHash: h}, nil
}

// String returns the token in its text form. It contains the secret.
func (t Token) String() string {
	return Version + "." + t.ID + "." + t.Secret + "." + t.CAHash
}

// Redacted returns the token with its secret masked, for logs.
func (t Token) Redacted() string {
	return Version + "." + t.ID + ".***." + t.CAHash
}

// LogValue keeps the secret out of structured logs.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.Redacted()) }

// HashSecret returns the SHA-256 of a token secret: what the center stores.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// SecretMatches reports, in constant time, whether the token's secret
// hashes to hash.
func (t Token) SecretMatches(hash []byte) bool {
	return subtle.ConstantTimeCompare(HashSecret(t.Secret), hash) == 1
}

// checkField checks the length and alphabet of a base32 field.
func checkField(name, v string, n int) error {
	if len(v) != n {
		return fmt.Errorf("%w: %s has %d characters, want %d", ErrMalformed, name, len(v), n)
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return fmt.Errorf("%w: %s holds a character outside a-z, 2-7", ErrMalformed, name)
		}
	}
	return nil
}

// normalizeHash accepts hex or "sha256:" and hex and returns lowercase hex.
func normalizeHash(h string) (string, error) {
	h = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "sha256:"))
	if len(h) != HashLen {
		return "", fmt.Errorf("%w: %d characters, want %d hex digits", ErrHash, len(h), HashLen)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", fmt.Errorf("%w: not hex", ErrHash)
	}
	return h, nil
}

// clip shortens untrusted text quoted in an error.
func clip(s string) string {
	if len(s) > 16 {
		return s[:16] + "..."
	}
	return s
}
