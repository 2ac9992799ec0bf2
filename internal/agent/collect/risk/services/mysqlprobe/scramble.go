package mysqlprobe

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// Authentication plugins the client speaks.
const (
	PluginNative      = "mysql_native_password"
	PluginCachingSHA2 = "caching_sha2_password"
)

// NativeScramble is mysql_native_password's answer to nonce:
// SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))); empty for an
// empty password.
func NativeScramble(password string, nonce []byte) []byte {
	if password == "" {
		return nil
	}
	h1 := sha1.Sum([]byte(password))
	h2 := sha1.Sum(h1[:])
	h := sha1.New()
	h.Write(nonce)
	h.Write(h2[:])
	h3 := h.Sum(nil)
	out := make([]byte, len(h1))
	for i := range h1 {
		out[i] = h1[i] ^ h3[i]
	}
	return out
}

// CachingSHA2Scramble is caching_sha2_password's fast-path answer:
// SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce); empty
// for an empty password.
func CachingSHA2Scramble(password string, nonce []byte) []byte {
	if password == "" {
		return nil
	}
	m1 := sha256.Sum256([]byte(password))
	m2 := sha256.Sum256(m1[:])
	h := sha256.New()
	h.Write(m2[:])
	h.Write(nonce)
	m3 := h.Sum(nil)
	out := make([]byte, len(m1))
	for i := range m1 {
		out[i] = m1[i] ^ m3[i]
	}
	return out
}

// scramble answers a plugin's challenge; false for a plugin the client
// does not speak.
func scramble(plugin, password string, nonce []byte) ([]byte, bool) {
	switch plugin {
	case PluginNative, "":
		return NativeScramble(password, nonce), true
	case PluginCachingSHA2:
		return CachingSHA2Scramble(password, nonce), true
	}
	return nil, false
}

// EncryptPassword encrypts password for caching_sha2_password's full
// authentication without TLS: the password and a NUL, XORed with the
// nonce, under the server's RSA public key (PEM) with OAEP padding.
func EncryptPassword(password string, nonce []byte, pemKey []byte) ([]byte, error) {
	if len(nonce) == 0 {
		return nil, errors.New("no nonce to mix the password with")
	}
	block, _ := pem.Decode(pemKey)
	if block == nil {
		return nil, fmt.Errorf("%w: the server's public key is not PEM", ErrMalformed)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: the server's public key: %w", ErrMalformed, err)
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: the server's public key is %T, not RSA", ErrMalformed, key)
	}
	plain := append([]byte(password), 0)
	for i := range plain {
		plain[i] ^= nonce[i%len(nonce)]
	}
	return rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, plain, nil)
}
