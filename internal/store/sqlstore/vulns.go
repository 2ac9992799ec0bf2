package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"

	"github.com/vigilsec/vigil/internal/store"
)

// vulnStore keeps the vulnerability database (advisories, the
// known-exploited catalogue, the feeds' state), every agent's findings
// and the word lists of the weak password checks.
type vulnStore struct{ s *Store }

// vulnSeverities are the severities of vulnerabilities, most severe
// first: a severity's index is its rank, the sev_rank column.
var vulnSeverities = []string{"critical", "high", "medium", "low", "none", "unknown"}

// unknownSeverity is what an empty severity is stored as.
const unknownSeverity = "unknown"

// vulnSeverity checks a severity and returns it with its rank; an empty
// severity is unknown.
func vulnSeverity(sev string) (string, int, error) {
	if sev == "" {
		sev = unknownSeverity
	}
	for rank, known := range vulnSeverities {
		if sev == known {
			return sev, rank, nil
		}
	}
	return "", 0, fmt.Errorf("%w: unknown severity %q", store.ErrInvalid, sev)
}

// maxScore is the highest CVSS base score.
const maxScore = 10

// checkScore rejects a score that is not a CVSS base score.
func checkScore(score float64) error {
	if math.IsNaN(score) || score < 0 || score > maxScore {
		return fmt.Errorf("%w: score %v is not between 0 and %d", store.ErrInvalid, score, maxScore)
	}
	return nil
}

// checkText rejects text that not every database holds: bytes that are
// not UTF-8, and NUL bytes (PostgreSQL's text has neither).
func checkText(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s %q is not UTF-8", store.ErrInvalid, field, s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: %s %q holds a NUL byte", store.ErrInvalid, field, s)
	}
	return nil
}

// storable reports whether every value is text every database holds:
// a key that is not cannot name anything stored.
func storable(values ...string) bool {
	for _, v := range values {
		if checkText("", v) != nil {
			return false
		}
	}
	return true
}

// checkCursorText rejects a cursor whose text no database holds: no
// listing issues one.
func checkCursorText(values ...string) error {
	if !storable(values...) {
		return fmt.Errorf("%w: text that is not UTF-8 or holds NUL", ErrBadCursor)
	}
	return nil
}

// checkCursorRank rejects a cursor whose severity rank is not one.
func checkCursorRank(rank int64) error {
	if rank < 0 || rank >= int64(len(vulnSeverities)) {
		return fmt.Errorf("%w: severity rank %d", ErrBadCursor, rank)
	}
	return nil
}

// textField is a named text value, for checkTexts.
type textField struct {
	name, value string
}

// checkTexts checks every field with checkText, and every value of lists
// (named by the map's keys).
func checkTexts(fields []textField, lists map[string][]string) error {
	for _, f := range fields {
		if err := checkText(f.name, f.value); err != nil {
			return err
		}
	}
	for name, l := range lists {
		for _, v := range l {
			if err := checkText(name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Lock keys of the writes to the vulnerability database (PostgreSQL's
// advisory locks; SQLite serialises write transactions): one for the
// advisories and the feeds' state, one for the known-exploited catalogue,
// and one per agent for its findings (findingsLockKey).
const (
	advisoriesLockKey = 0x76756c6e646221 // "vulndb!" in ASCII
	catalogueLockKey  = 0x76756c6e6b6576 // "vulnkev" in ASCII
)

// findingsLockKey is the lock key of an agent's findings: 64 bits of an
// FNV-1a hash (two agents sharing a key only wait for each other).
func findingsLockKey(agentID string) int64 {
	h := fnv.New64a()
	h.Write([]byte("vuln findings\x00"))
	h.Write([]byte(agentID))
	return int64(h.Sum64())
}

// keyLock takes the dialect's exclusive lock on key until tx ends; a
// dialect without key locks needs none.
func (s *Store) keyLock(ctx context.Context, tx *sql.Tx, key int64) error {
	if s.d.KeyLock == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, s.sql(s.d.KeyLock), key); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	return nil
}

// Blobs (advisories' records, word lists) are stored as zstd frames: an
// OSV record shrinks to about a fifth.
var (
	blobEncoder = sync.OnceValues(func() (*zstd.Encoder, error) {
		return zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	})
	blobDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
		return zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
	})
)

// compressBlob returns b as stored: a zstd frame, or NULL when empty.
func compressBlob(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	enc, err := blobEncoder()
	if err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	return enc.EncodeAll(b, make([]byte, 0, len(b)/4+64)), nil
}

// decompressBlob returns the content of a stored blob (nil for NULL).
func decompressBlob(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	dec, err := blobDecoder()
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	out, err := dec.DecodeAll(b, nil)
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return out, nil
}

// distinctNonEmpty returns the distinct non-empty values of l, in their
// first order.
func distinctNonEmpty(l []string) []string {
	out := make([]string, 0, len(l))
	seen := make(map[string]bool, len(l))
	for _, v := range l {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// boolInt is a 0 or 1 aggregate column read as a bool.
type boolInt struct{ b *bool }

// Scan implements sql.Scanner.
func (c boolInt) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*c.b = v != 0
	case bool:
		*c.b = v
	case nil:
		*c.b = false
	default:
		return fmt.Errorf("flag column: unexpected %T", src)
	}
	return nil
}
