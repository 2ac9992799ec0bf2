package sqlstore

import (
	"io/fs"
	"strconv"
	"strings"
)

// Dialect is what differs between the SQL databases the store runs on. The
// queries themselves are written once, with "?" placeholders, in the SQL that
// SQLite (3.35+) and PostgreSQL (13+) share: ON CONFLICT upserts, RETURNING,
// partial unique indexes and UPDATE ... FROM.
type Dialect struct {
	// Name identifies the dialect in errors and logs ("sqlite", "postgres").
	Name string
	// NumberedPlaceholders turns "?" into "$1", "$2" ... (PostgreSQL).
	NumberedPlaceholders bool
	// ForUpdate is appended to a SELECT that reads a row the same
	// transaction is about to change (" FOR UPDATE" on PostgreSQL). SQLite
	// needs none: its write transactions are serialised.
	ForUpdate string
	// KeyLock and SharedKeyLock, when set, take an exclusive or a shared
	// lock on one integer key ("?") until the transaction ends
	// (PostgreSQL's advisory locks), for writes that must exclude each
	// other before the rows they would lock exist. SQLite needs none: its
	// write transactions are serialised.
	KeyLock       string
	SharedKeyLock string
	// MigrationLock, when set, is executed first in every migration
	// transaction so that concurrent processes migrate one at a time.
	MigrationLock string
	// Migrations holds the dialect's schema as files named
	// NNNN_description.sql at its root, applied in order of NNNN.
	Migrations fs.FS
	// IsUniqueViolation reports whether err is the database's unique
	// constraint error.
	IsUniqueViolation func(err error) bool
}

// rebind rewrites the "?" placeholders of query for the dialect. Question
// marks inside single-quoted literals are left alone.
func (d *Dialect) rebind(query string) string {
	if !d.NumberedPlaceholders || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
