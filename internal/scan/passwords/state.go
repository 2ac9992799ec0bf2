package passwords

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The state file remembers, per account, how far the check of its hash
// against its dictionary went, so that an unchanged hash is not hashed
// again against an unchanged dictionary, and a check cut short by the
// time limit goes on where it stopped. Hash and dictionary are kept as
// keyed digests (HMAC-SHA-256 under a random key kept in the file): they
// tell a change and cannot be turned back into the hash. A match is kept
// as the finding shows it (list, masked hint, length), never the
// password. The file is written with mode 0600, and one that others
// could have written is not trusted.

// stateVersion is the state file's format.
const stateVersion = 1

// maxStateBytes bounds the state file.
const maxStateBytes = 16 << 20

// state is the state file's content.
type state struct {
	Version  int                      `json:"version"`
	Key      []byte                   `json:"key"`
	Accounts map[string]*accountState `json:"accounts"`
}

// accountState is what is remembered of one account.
type accountState struct {
	// Hash is the digest of the hash.
	Hash string `json:"hash"`
	// Dictionary is the digest of the account's candidates, in order.
	Dictionary string `json:"dictionary"`
	// Tried is the number of candidates tried, from the first, without
	// a match.
	Tried int `json:"tried"`
	// Done is true when every candidate was tried or one matched.
	Done bool `json:"done"`
	// Match describes the matching candidate.
	Match *match `json:"match,omitempty"`
}

// match is a dictionary match as the finding shows it.
type match struct {
	Source string `json:"source"`
	Hint   string `json:"hint"`
	Length int    `json:"length"`
}

// newState returns an empty state with a fresh key.
func newState() (*state, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("state key: %w", err)
	}
	return &state{Version: stateVersion, Key: key, Accounts: map[string]*accountState{}}, nil
}

// errStateUntrusted: a state file others could have written.
var errStateUntrusted = errors.New("state file writable by others than its owner, or not owned by this user")

// loadState reads the state file at path. A missing file gives a new
// state; so does a damaged or untrusted one, with an error saying why
// (the scan goes on without memory).
func loadState(path string) (*state, error) {
	fresh, err := newState()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return fresh, nil
	}
	if err != nil {
		return fresh, fmt.Errorf("state %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fresh, fmt.Errorf("state %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxStateBytes {
		return fresh, fmt.Errorf("state %s: not a regular file of at most %d bytes", path, maxStateBytes)
	}
	if !ownedByUs(fi) || fi.Mode().Perm()&0o022 != 0 {
		return fresh, fmt.Errorf("state %s: %w", path, errStateUntrusted)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxStateBytes+1)); err != nil {
		return fresh, fmt.Errorf("state %s: %w", path, err)
	}
	st, err := decodeState(buf.Bytes())
	if err != nil {
		return fresh, fmt.Errorf("state %s: %w", path, err)
	}
	return st, nil
}

// decodeState parses a state file's content: one JSON object of the
// current version, with a 32-byte key; entries that cannot be right
// (negative counts) are dropped.
func decodeState(data []byte) (*state, error) {
	if len(data) > maxStateBytes {
		return nil, fmt.Errorf("more than %d bytes", maxStateBytes)
	}
	var st state
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON object")
	}
	if st.Version != stateVersion || len(st.Key) != 32 {
		return nil, fmt.Errorf("version %d or key of %d bytes not understood", st.Version, len(st.Key))
	}
	if st.Accounts == nil {
		st.Accounts = map[string]*accountState{}
	}
	for name, a := range st.Accounts {
		if a == nil || a.Tried < 0 || a.Match != nil && (a.Match.Length < 0 || !a.Done) {
			delete(st.Accounts, name)
		}
	}
	return &st, nil
}

// save writes the state to path atomically, mode 0600.
func (s *state) save(path string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("state: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// digest returns the keyed digest of parts under a domain name.
func (s *state) digest(domain string, parts ...string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(domain))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

// hashDigest is the digest of a password hash.
func (s *state) hashDigest(hash string) string { return s.digest("hash", hash) }

// dictionaryDigest is the digest of an account's candidates in order
// (no word holds a NUL), and the lists they come from.
func (s *state) dictionaryDigest(c []candidate) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte("dictionary"))
	for _, w := range c {
		m.Write([]byte{0})
		m.Write([]byte(w.word))
		m.Write([]byte{0})
		m.Write([]byte(w.source))
	}
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}
