package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// catalogueWidth is the number of columns of a known-exploited entry.
const catalogueWidth = 7

const catalogueCols = `cve, vendor, product, name, date_added, due_date, ransomware`

func scanKnownExploited(r rowScanner) (store.KnownExploited, error) {
	var k store.KnownExploited
	err := r.Scan(&k.CVE, &k.Vendor, &k.Product, &k.Name, timeCol{&k.DateAdded}, timeCol{&k.DueDate}, &k.Ransomware)
	return k, err
}

// ReplaceKnownExploited replaces the catalogue in one transaction (under
// the catalogue's lock on PostgreSQL): every entry is deleted and the new
// ones inserted in chunks. ErrInvalid for an entry without a CVE, a CVE
// given twice, or text no database holds.
func (st vulnStore) ReplaceKnownExploited(ctx context.Context, entries []store.KnownExploited) error {
	what := fmt.Sprintf("replace known-exploited catalogue of %d entries", len(entries))
	rows := make([][]any, 0, len(entries))
	seen := make(map[string]bool, len(entries))
	for _, k := range entries {
		switch {
		case k.CVE == "":
			return fmt.Errorf("%s: %w: entry without a CVE", what, store.ErrInvalid)
		case seen[k.CVE]:
			return fmt.Errorf("%s: %w: %s given twice", what, store.ErrInvalid, k.CVE)
		}
		seen[k.CVE] = true
		if err := checkTexts([]textField{{"cve", k.CVE}, {"vendor", k.Vendor}, {"product", k.Product},
			{"name", k.Name}}, nil); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		rows = append(rows, []any{k.CVE, k.Vendor, k.Product, k.Name, micros(k.DateAdded), micros(k.DueDate), k.Ransomware})
	}
	stmts, err := st.s.preparedChunks(ctx, "vuln known exploited insert", func(n int) string {
		return `INSERT INTO vuln_known_exploited (` + catalogueCols + `) VALUES ` + valuesList(n, catalogueWidth)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err = st.s.tx(ctx, func(tx *sql.Tx) error {
		if err := st.s.keyLock(ctx, tx, catalogueLockKey); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_known_exploited`); err != nil {
			return err
		}
		return insertRows(ctx, tx, stmts, rows)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// KnownExploited returns the catalogue, by CVE.
func (st vulnStore) KnownExploited(ctx context.Context) ([]store.KnownExploited, error) {
	out, err := queryList(ctx, st.s, `SELECT `+catalogueCols+` FROM vuln_known_exploited ORDER BY cve`, nil,
		scanKnownExploited)
	if err != nil {
		return nil, fmt.Errorf("list known-exploited catalogue: %w", err)
	}
	return out, nil
}

const sourceCols = `name, url, etag, last_modified, sha256, records, rejected, synced_at, error, updated_at`

func scanSource(r rowScanner) (store.VulnSource, error) {
	var s store.VulnSource
	err := r.Scan(&s.Name, &s.URL, &s.ETag, &s.LastModified, &s.SHA256, &s.Records, &s.Rejected,
		timeCol{&s.SyncedAt}, &s.Error, timeCol{&s.UpdatedAt})
	return s, err
}

// PutSource creates or replaces a feed's state. ErrInvalid for an empty
// name, a negative count, or text no database holds.
func (st vulnStore) PutSource(ctx context.Context, src store.VulnSource) error {
	what := fmt.Sprintf("put vulnerability source %q", src.Name)
	switch {
	case src.Name == "":
		return fmt.Errorf("%s: %w: empty name", what, store.ErrInvalid)
	case src.Records < 0 || src.Rejected < 0:
		return fmt.Errorf("%s: %w: negative count (%d records, %d rejected)", what, store.ErrInvalid,
			src.Records, src.Rejected)
	}
	if err := checkTexts([]textField{{"name", src.Name}, {"url", src.URL}, {"etag", src.ETag},
		{"last modified", src.LastModified}, {"sha256", src.SHA256}, {"error", src.Error}}, nil); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if src.UpdatedAt.IsZero() {
		src.UpdatedAt = time.Now()
	}
	_, err := st.s.exec(ctx, `INSERT INTO vuln_sources (`+sourceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET url = excluded.url, etag = excluded.etag,
			last_modified = excluded.last_modified, sha256 = excluded.sha256, records = excluded.records,
			rejected = excluded.rejected, synced_at = excluded.synced_at, error = excluded.error,
			updated_at = excluded.updated_at`,
		src.Name, src.URL, src.ETag, src.LastModified, src.SHA256, src.Records, src.Rejected,
		micros(src.SyncedAt), src.Error, micros(src.UpdatedAt))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Sources returns every feed's state, by name.
func (st vulnStore) Sources(ctx context.Context) ([]store.VulnSource, error) {
	out, err := queryList(ctx, st.s, `SELECT `+sourceCols+` FROM vuln_sources ORDER BY name`, nil, scanSource)
	if err != nil {
		return nil, fmt.Errorf("list vulnerability sources: %w", err)
	}
	return out, nil
}
