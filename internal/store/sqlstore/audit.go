package sqlstore

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/store"
)

type auditStore struct{ s *Store }

const auditCols = `id, at, actor, role, action, target, result, detail, source_ip`

func scanAudit(r rowScanner) (store.AuditEntry, error) {
	var e store.AuditEntry
	err := r.Scan(&e.ID, timeCol{&e.At}, &e.Actor, &e.Role, &e.Action, &e.Target, &e.Result,
		jsonCol{&e.Detail}, &e.SourceIP)
	return e, err
}

// Append adds an entry and returns its id; e.ID is ignored and a zero At
// means now.
func (st auditStore) Append(ctx context.Context, e store.AuditEntry) (int64, error) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	var detail any
	if e.Detail != nil {
		text, err := jsonText(e.Detail)
		if err != nil {
			return 0, fmt.Errorf("append audit %q: %w", e.Action, err)
		}
		detail = text
	}
	var id int64
	err := st.s.w.QueryRowContext(ctx, st.s.sql(`INSERT INTO audit_log
		(at, actor, role, action, target, result, detail, source_ip)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		micros(e.At), e.Actor, e.Role, e.Action, e.Target, e.Result, detail, e.SourceIP).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("append audit %q: %w", e.Action, err)
	}
	return id, nil
}

// List returns entries newest first.
func (st auditStore) List(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, string, error) {
	c, ok, err := DecodeCursor(f.Cursor, kindAudit)
	if err != nil {
		return nil, "", fmt.Errorf("list audit: %w", err)
	}
	var w where
	if f.Actor != "" {
		w.add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		// substr rather than LIKE: exact and case-sensitive on every database.
		w.add("substr(action, 1, ?) = ?", utf8.RuneCountInString(f.Action), f.Action)
	}
	if !f.Since.IsZero() {
		w.add("at >= ?", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		w.add("at < ?", f.Until.UnixMicro())
	}
	if ok {
		w.add("id < ?", c.N)
	}
	limit := limitOf(f.Limit)
	entries, err := queryList(ctx, st.s, `SELECT `+auditCols+` FROM audit_log`+w.String()+
		` ORDER BY id DESC LIMIT ?`, append(w.args, limit+1), scanAudit)
	if err != nil {
		return nil, "", fmt.Errorf("list audit: %w", err)
	}
	entries, next := pageOf(entries, limit, func(e store.AuditEntry) Cursor {
		return Cursor{Kind: kindAudit, N: e.ID}
	})
	return entries, next, nil
}
