package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Bearer prefixes: API tokens and console sessions.
const (
	APITokenPrefix = "vgt_"
	SessionPrefix  = "vgs_"
)

// Token kinds as stored in store.APIToken.Kind.
const (
	KindAPI     = "api"
	KindSession = "session"
)

// MaxBearerLen bounds the bearer values looked up at all.
const MaxBearerLen = 512

// MinBearerLen is the shortest bearer accepted (also for a token chosen by
// the operator through VIGIL_ADMIN_TOKEN).
const MinBearerLen = 16

// NewBearer returns a fresh credential prefix<id>_<secret>: id is 8 random
// bytes and secret 32 random bytes, both in hex. The id names the stored
// token; only HashBearer of the whole string is kept.
func NewBearer(prefix string) (id, bearer string, err error) {
	buf := make([]byte, 40)
	if _, err := rand.Read(buf); err != nil {
		return "", "", fmt.Errorf("token entropy: %w", err)
	}
	id = hex.EncodeToString(buf[:8])
	return id, prefix + id + "_" + hex.EncodeToString(buf[8:]), nil
}

// HashBearer is the SHA-256 of a bearer value, the key tokens are stored by.
func HashBearer(bearer string) []byte {
	sum := sha256.Sum256([]byte(bearer))
	return sum[:]
}

// BearerID returns the id part of a vgt_/vgs_ bearer, or "" when the value
// has another shape.
func BearerID(bearer string) string {
	for _, prefix := range []string{APITokenPrefix, SessionPrefix} {
		if rest, ok := strings.CutPrefix(bearer, prefix); ok {
			if id, _, ok := strings.Cut(rest, "_"); ok && id != "" {
				return id
			}
		}
	}
	return ""
}

// ParseAuthorization extracts the bearer value from an Authorization
// header ("Bearer <token>", scheme case-insensitive). It returns "" when the
// header is missing, has another scheme or a value of an implausible size.
func ParseAuthorization(header string) string {
	scheme, value, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	value = strings.TrimSpace(value)
	if len(value) < MinBearerLen || len(value) > MaxBearerLen || strings.ContainsAny(value, " \t\r\n") {
		return ""
	}
	return value
}
