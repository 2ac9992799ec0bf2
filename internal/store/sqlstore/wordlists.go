package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

const wordlistCols = `name, words, count, sha256, author, created_at, updated_at`

// scanWordlist reads a list and splits its words.
func scanWordlist(r rowScanner) (store.Wordlist, error) {
	var w store.Wordlist
	var words []byte
	if err := r.Scan(&w.Name, &words, &w.Count, &w.SHA256, &w.Author, timeCol{&w.CreatedAt}, timeCol{&w.UpdatedAt}); err != nil {
		return store.Wordlist{}, err
	}
	text, err := decompressBlob(words)
	if err != nil {
		return store.Wordlist{}, fmt.Errorf("words of list %q: %w", w.Name, err)
	}
	w.Words = []string{}
	if w.Count > 0 {
		w.Words = strings.Split(string(text), "\n")
	}
	if len(w.Words) != w.Count {
		return store.Wordlist{}, fmt.Errorf("words of list %q: %d words, the list says %d", w.Name, len(w.Words), w.Count)
	}
	return w, nil
}

// PutWordlist inserts a list at revision 1 or replaces its words, author
// and update time, adding one to its revision: the revision returned
// tells in the same statement whether the list is new. The words are
// stored joined by newlines, compressed; the count and digest are
// computed here. A zero UpdatedAt means now and a zero CreatedAt
// UpdatedAt. ErrInvalid for an empty name, a word holding a newline, or
// a name or author no database holds as text.
func (st vulnStore) PutWordlist(ctx context.Context, w store.Wordlist) (bool, error) {
	what := fmt.Sprintf("put word list %q", w.Name)
	if w.Name == "" {
		return false, fmt.Errorf("%s: %w: empty name", what, store.ErrInvalid)
	}
	if err := checkTexts([]textField{{"name", w.Name}, {"author", w.Author}}, nil); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	for i, word := range w.Words {
		if strings.IndexByte(word, '\n') >= 0 {
			return false, fmt.Errorf("%s: %w: word %d holds a newline", what, store.ErrInvalid, i+1)
		}
	}
	text := strings.Join(w.Words, "\n")
	sum := sha256.Sum256([]byte(text))
	words, err := compressBlob([]byte(text))
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	if words == nil {
		words = []byte{}
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = time.Now()
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = w.UpdatedAt
	}
	var revision int64
	err = st.s.w.QueryRowContext(ctx, st.s.sql(`INSERT INTO vuln_wordlists (`+wordlistCols+`, revision)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT (name) DO UPDATE SET words = excluded.words, count = excluded.count,
			sha256 = excluded.sha256, author = excluded.author, updated_at = excluded.updated_at,
			revision = vuln_wordlists.revision + 1
		RETURNING revision`), w.Name, words, len(w.Words), hex.EncodeToString(sum[:]), w.Author,
		micros(w.CreatedAt), micros(w.UpdatedAt)).Scan(&revision)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return revision == 1, nil
}

// Wordlists returns every list, by name, with its words.
func (st vulnStore) Wordlists(ctx context.Context) ([]store.Wordlist, error) {
	out, err := queryList(ctx, st.s, `SELECT `+wordlistCols+` FROM vuln_wordlists ORDER BY name`, nil, scanWordlist)
	if err != nil {
		return nil, fmt.Errorf("list word lists: %w", err)
	}
	return out, nil
}

// DeleteWordlist removes a list.
func (st vulnStore) DeleteWordlist(ctx context.Context, name string) error {
	what := fmt.Sprintf("delete word list %q", name)
	if !storable(name) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return st.s.execOne(ctx, what, `DELETE FROM vuln_wordlists WHERE name = ?`, name)
}
