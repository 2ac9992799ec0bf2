package tomcatusers

import (
	"bytes"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"unicode/utf8"
)

// MaxIterations bounds the iterations of a stored credential the
// package computes: a higher count is refused (ErrTooCostly) rather
// than spending the host's CPU on it.
const MaxIterations = 1_000_000

// Errors of Matches.
var (
	// ErrUnsupported: the handler's class, algorithm or encoding is not
	// one the package computes.
	ErrUnsupported = errors.New("credential handler not supported")
	// ErrTooCostly: the stored credential asks for more than
	// MaxIterations iterations.
	ErrTooCostly = errors.New("stored credential too costly to compute")
)

// digests maps the names of Java's MessageDigest algorithms to Go's.
var digests = map[string]func() hash.Hash{
	"MD5": md5.New, "SHA": sha1.New, "SHA1": sha1.New, "SHA-1": sha1.New,
	"SHA-224": sha256.New224, "SHA-256": sha256.New, "SHA-384": sha512.New384, "SHA-512": sha512.New,
	"SHA-512/224": sha512.New512_224, "SHA-512/256": sha512.New512_256,
	"SHA3-224": func() hash.Hash { return sha3.New224() }, "SHA3-256": func() hash.Hash { return sha3.New256() },
	"SHA3-384": func() hash.Hash { return sha3.New384() }, "SHA3-512": func() hash.Hash { return sha3.New512() },
}

// macs maps the PBKDF2 algorithms of SecretKeyCredentialHandler to their
// HMAC hash.
var macs = map[string]func() hash.Hash{
	"PBKDF2WITHHMACSHA1": sha1.New, "PBKDF2WITHHMACSHA224": sha256.New224,
	"PBKDF2WITHHMACSHA256": sha256.New, "PBKDF2WITHHMACSHA384": sha512.New384,
	"PBKDF2WITHHMACSHA512": sha512.New,
}

// Default algorithm of SecretKeyCredentialHandler.
const defaultSecretKeyAlgorithm = "PBKDF2WithHmacSHA1"

// Matches reports whether input is the password of the stored
// credential under handler h (nil: Tomcat's default, plain text), as
// Tomcat's handlers decide:
//
//   - MessageDigestCredentialHandler without an algorithm: plain text.
//   - With one: "{MD5}" or "{SHA}" and the Base64 digest (of the
//     password in ISO-8859-1); "{SSHA}" and the Base64 SHA-1 digest of
//     password and salt followed by the salt; "salt$iterations$digest"
//     in hex (the salt digested first, the digest digested again for
//     each further iteration); else the hex digest.
//   - SecretKeyCredentialHandler: "salt$iterations$key" in hex, the key
//     derived with PBKDF2 (the handler's HMAC, SHA-1 by default) to the
//     stored key's length.
//   - NestedCredentialHandler: any of its handlers.
func Matches(h *Handler, input, stored string) (bool, error) {
	if h == nil {
		return subtle.ConstantTimeCompare([]byte(input), []byte(stored)) == 1, nil
	}
	switch h.Class {
	case ClassMessageDigest:
		return matchDigest(h, input, stored)
	case ClassSecretKey:
		return matchSecretKey(h, input, stored)
	case ClassNested:
		var firstErr error
		for _, n := range h.Nested {
			ok, err := Matches(n, input, stored)
			if ok {
				return true, nil
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}
		return false, firstErr
	}
	return false, fmt.Errorf("%w: class %q", ErrUnsupported, short(h.Class))
}

func matchDigest(h *Handler, input, stored string) (bool, error) {
	if h.Algorithm == "" {
		return subtle.ConstantTimeCompare([]byte(input), []byte(stored)) == 1, nil
	}
	newHash, ok := digests[strings.ToUpper(h.Algorithm)]
	if !ok {
		return false, fmt.Errorf("%w: digest %q", ErrUnsupported, short(h.Algorithm))
	}
	in, err := encode(input, h.Encoding)
	if err != nil {
		return false, err
	}
	switch {
	case strings.HasPrefix(stored, "{MD5}"), strings.HasPrefix(stored, "{SHA}"):
		d := newHash()
		d.Write(latin1(input))
		want := base64.StdEncoding.EncodeToString(d.Sum(nil))
		return subtle.ConstantTimeCompare([]byte(want), []byte(stored[5:])) == 1, nil
	case strings.HasPrefix(stored, "{SSHA}"):
		raw, err := base64.StdEncoding.DecodeString(stored[6:])
		if err != nil || len(raw) < 20 {
			return false, nil // Tomcat fails to read it: no match
		}
		d := newHash()
		d.Write(latin1(input))
		d.Write(raw[20:])
		sum := d.Sum(nil)
		return len(sum) >= 20 && subtle.ConstantTimeCompare(sum[:20], raw[:20]) == 1, nil
	case strings.Contains(stored, "$"):
		salt, iters, want, err := splitSalted(stored)
		if err != nil {
			return false, nil // Tomcat logs an invalid credential: no match
		}
		if iters > MaxIterations {
			return false, fmt.Errorf("%w: %d iterations", ErrTooCostly, iters)
		}
		d := newHash()
		d.Write(salt)
		d.Write(in)
		sum := d.Sum(nil)
		for i := 1; i < iters; i++ {
			d.Reset()
			d.Write(sum)
			sum = d.Sum(sum[:0])
		}
		return bytes.Equal(sum, want), nil
	}
	d := newHash()
	d.Write(in)
	return strings.EqualFold(hex.EncodeToString(d.Sum(nil)), stored), nil
}

func matchSecretKey(h *Handler, input, stored string) (bool, error) {
	alg := h.Algorithm
	if alg == "" {
		alg = defaultSecretKeyAlgorithm
	}
	newHash, ok := macs[strings.ToUpper(alg)]
	if !ok {
		return false, fmt.Errorf("%w: key derivation %q", ErrUnsupported, short(alg))
	}
	if !strings.Contains(stored, "$") {
		return false, nil
	}
	salt, iters, want, err := splitSalted(stored)
	if err != nil || len(want) == 0 {
		return false, nil
	}
	if iters > MaxIterations {
		return false, fmt.Errorf("%w: %d iterations", ErrTooCostly, iters)
	}
	if !utf8.ValidString(input) {
		return false, nil
	}
	key, err := pbkdf2.Key(newHash, input, salt, iters, len(want))
	if err != nil {
		return false, fmt.Errorf("pbkdf2: %w", err)
	}
	return subtle.ConstantTimeCompare(key, want) == 1, nil
}

// splitSalted splits "salt$iterations$hash" (hex salt and hash).
func splitSalted(stored string) (salt []byte, iters int, sum []byte, err error) {
	parts := strings.SplitN(stored, "$", 3)
	if len(parts) != 3 {
		return nil, 0, nil, errors.New("not salt$iterations$hash")
	}
	if salt, err = hex.DecodeString(parts[0]); err != nil {
		return nil, 0, nil, err
	}
	if iters, err = parseIterations(parts[1]); err != nil {
		return nil, 0, nil, err
	}
	if sum, err = hex.DecodeString(parts[2]); err != nil {
		return nil, 0, nil, err
	}
	return salt, iters, sum, nil
}

// encode returns s in the handler's charset (UTF-8 by default).
func encode(s, charset string) ([]byte, error) {
	switch strings.ToUpper(charset) {
	case "", "UTF-8", "UTF8":
		return []byte(s), nil
	case "ISO-8859-1", "ISO8859-1", "LATIN1", "ISO-LATIN-1":
		return latin1(s), nil
	case "US-ASCII", "ASCII":
		return narrow(s, 0x7f), nil
	}
	return nil, fmt.Errorf("%w: encoding %q", ErrUnsupported, short(charset))
}

// latin1 returns s in ISO-8859-1, each character the charset lacks
// replaced by '?', as Java encodes.
func latin1(s string) []byte { return narrow(s, 0xff) }

// narrow encodes s in a single-byte charset of the first max+1 code
// points, '?' for the others.
func narrow(s string, max rune) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > max {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}
