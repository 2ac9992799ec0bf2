package notify

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/vigilsec/vigil/internal/pki/securefile"
)

// KeyFileName is the file, in the center's data folder, of the key that
// seals the secrets of the channels managed through the API.
const KeyFileName = "notify.key"

// keySize is the size of the sealing key: AES-256.
const keySize = 32

// sealVersion starts every sealed value; it changes with the layout.
const sealVersion = 1

// keyIDSize is the size of the key id in a sealed value.
const keyIDSize = 8

// ErrSealKeyMissing is returned when sealed secrets are opened and the
// key file does not exist.
var ErrSealKeyMissing = errors.New("the key that sealed the channel secrets is missing")

// SecretBox seals and opens the secrets of stored channels with
// AES-256-GCM under a 32-byte key kept in a file. The key is read on
// first use; Seal creates the file (mode 0600, in a private folder) when
// it does not exist yet, Open never does. A sealed value is bound to its
// channel's name: it cannot be moved to another channel.
//
// Layout: version (1 byte), the key's id (8 bytes: the start of the
// SHA-256 of the key, so that a value sealed with another key is told
// apart from a damaged one), the GCM nonce (12 bytes), the ciphertext
// and its tag.
type SecretBox struct {
	path string

	mu   sync.Mutex
	aead cipher.AEAD
	id   []byte
}

// NewSecretBox returns a box using the key file at path.
func NewSecretBox(path string) *SecretBox { return &SecretBox{path: path} }

// Path is the key file.
func (b *SecretBox) Path() string { return b.path }

// key returns the cipher, reading the key file (or creating it, when
// create is set) on first use.
func (b *SecretBox) key(create bool) (cipher.AEAD, []byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.aead != nil {
		return b.aead, b.id, nil
	}
	key, err := readKey(b.path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, nil, fmt.Errorf("%w (%s): restore it from a backup or another center, or set the channels' secrets again", ErrSealKeyMissing, b.path)
		}
		key, err = createKey(b.path)
	}
	if err != nil {
		return nil, nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, fmt.Errorf("sealing key %s: %w", b.path, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, fmt.Errorf("sealing key %s: %w", b.path, err)
	}
	b.aead, b.id = aead, keyID(key)
	return b.aead, b.id, nil
}

// readKey reads a key file, refusing one others may read.
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("sealing key %s: mode %04o lets others read it; chmod 600 it", path, fi.Mode().Perm())
	}
	key, err := io.ReadAll(io.LimitReader(f, keySize+1))
	if err != nil {
		return nil, fmt.Errorf("sealing key %s: %w", path, err)
	}
	if len(key) != keySize {
		return nil, fmt.Errorf("sealing key %s: not %d bytes", path, keySize)
	}
	return key, nil
}

// createKey writes a new random key to path.
func createKey(path string) ([]byte, error) {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	// The data folder exists (private) in a center; its mode is left as
	// the operator set it.
	if err := os.MkdirAll(filepath.Dir(path), securefile.DirMode); err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	if err := securefile.Write(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	return key, nil
}

// keyID names a key without revealing it.
func keyID(key []byte) []byte {
	sum := sha256.Sum256(append([]byte("vigil notify key id\x00"), key...))
	return sum[:keyIDSize]
}

// aad binds a sealed value to its channel.
func aad(name string) []byte { return []byte("vigil/notify-channel/" + name) }

// Seal encrypts plaintext for the channel name, creating the key file
// when there is none.
func (b *SecretBox) Seal(name string, plaintext []byte) ([]byte, error) {
	aead, id, err := b.key(true)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+keyIDSize+aead.NonceSize(), 1+keyIDSize+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	copy(out[1:], id)
	nonce := out[1+keyIDSize:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, aad(name)), nil
}

// Open decrypts what Seal returned for the channel name. Its errors say
// whether the value was sealed with another key or is damaged; they
// never hold the plaintext.
func (b *SecretBox) Open(name string, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, errors.New("open sealed secrets: empty")
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("open sealed secrets: unknown layout version %d", sealed[0])
	}
	aead, id, err := b.key(false)
	if err != nil {
		return nil, err
	}
	head := 1 + keyIDSize + aead.NonceSize()
	if len(sealed) < head+aead.Overhead() {
		return nil, fmt.Errorf("open sealed secrets: %d bytes, too short", len(sealed))
	}
	if got := sealed[1 : 1+keyIDSize]; !bytes.Equal(got, id) {
		return nil, fmt.Errorf("open sealed secrets: sealed with key %s, but %s holds key %s (centers sharing a database need the same key file)",
			hex.EncodeToString(got), b.path, hex.EncodeToString(id))
	}
	plain, err := aead.Open(nil, sealed[1+keyIDSize:head], sealed[head:], aad(name))
	if err != nil {
		return nil, errors.New("open sealed secrets: damaged, or sealed for another channel")
	}
	return plain, nil
}
