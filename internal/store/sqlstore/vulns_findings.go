package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// findingCols are the columns of a finding as listed: its update time is
// its agent's.
const findingCols = `agent_id, asset_kind, asset_key, vuln_id, advisories, aliases, ecosystem, package, version,
	fixed_version, path, severity, score, known_exploited, summary, running, listening, first_seen,
	(SELECT s.updated_at FROM vuln_finding_sets s WHERE s.agent_id = vuln_findings.agent_id)`

// findingInsertCols are the columns of an inserted finding.
const findingInsertCols = `agent_id, asset_kind, asset_key, vuln_id, advisories, aliases, ecosystem, package,
	version, fixed_version, path, severity, score, known_exploited, summary, running, listening, first_seen,
	sev_rank, neg_score, search, hash`

// findingWidth is the number of findingInsertCols.
const findingWidth = 22

// findingOrder is the listing order of findings: most severe first, then
// highest score, agent, vulnerability and asset key.
const findingOrder = `sev_rank, neg_score, agent_id, vuln_id, asset_key`

func scanFinding(r rowScanner) (store.VulnFinding, error) {
	var f store.VulnFinding
	err := r.Scan(&f.AgentID, &f.AssetKind, &f.AssetKey, &f.VulnID, jsonCol{&f.Advisories}, jsonCol{&f.Aliases},
		&f.Ecosystem, &f.Package, &f.Version, &f.FixedVersion, &f.Path, &f.Severity, &f.Score,
		&f.KnownExploited, &f.Summary, &f.Running, &f.Listening, timeCol{&f.FirstSeen}, timeCol{&f.UpdatedAt})
	f.Advisories = listOrEmpty(f.Advisories)
	f.Aliases = listOrEmpty(f.Aliases)
	return f, err
}

// findingCursor is the position of f in the listing.
func findingCursor(f store.VulnFinding) Cursor {
	_, rank, _ := vulnSeverity(f.Severity)
	return Cursor{Kind: kindFindings, N: int64(rank), S: strconv.FormatFloat(f.Score, 'g', -1, 64),
		T: f.AgentID, U: f.VulnID, V: f.AssetKey}
}

// findingKey identifies a finding within an agent's findings.
type findingKey struct{ asset, vuln string }

// findingRow is a finding checked and encoded, without its first_seen.
type findingRow struct {
	key  findingKey
	hash [32]byte
	args []any // findingInsertCols; first_seen is set at firstSeenArg
}

// firstSeenArg is the index of first_seen in findingRow.args, the column
// findingRow.hash leaves out.
const firstSeenArg = 17

// findingRowOf checks f and encodes it for agentID.
func findingRowOf(agentID string, f store.VulnFinding) (findingRow, error) {
	switch {
	case f.AssetKey == "":
		return findingRow{}, fmt.Errorf("%w: finding of %q without an asset key", store.ErrInvalid, f.VulnID)
	case f.VulnID == "":
		return findingRow{}, fmt.Errorf("%w: finding of %q without a vulnerability id", store.ErrInvalid, f.AssetKey)
	}
	what := fmt.Sprintf("finding %s of %q", f.VulnID, f.AssetKey)
	sev, rank, err := vulnSeverity(f.Severity)
	if err != nil {
		return findingRow{}, fmt.Errorf("%s: %w", what, err)
	}
	if err := checkScore(f.Score); err != nil {
		return findingRow{}, fmt.Errorf("%s: %w", what, err)
	}
	if err := checkTexts([]textField{{"asset kind", f.AssetKind}, {"asset key", f.AssetKey},
		{"vulnerability id", f.VulnID}, {"ecosystem", f.Ecosystem}, {"package", f.Package},
		{"version", f.Version}, {"fixed version", f.FixedVersion}, {"path", f.Path}, {"summary", f.Summary}},
		map[string][]string{"advisory": f.Advisories, "alias": f.Aliases}); err != nil {
		return findingRow{}, fmt.Errorf("%s: %w", what, err)
	}
	advisories, err := jsonText(listOrEmpty(f.Advisories))
	if err != nil {
		return findingRow{}, fmt.Errorf("%s: %w", what, err)
	}
	aliases, err := jsonText(listOrEmpty(f.Aliases))
	if err != nil {
		return findingRow{}, fmt.Errorf("%s: %w", what, err)
	}
	search := foldText(f.VulnID + "\n" + strings.Join(f.Advisories, "\n") + "\n" + f.Package + "\n" + f.Summary)
	r := findingRow{key: findingKey{f.AssetKey, f.VulnID}, args: []any{
		agentID, f.AssetKind, f.AssetKey, f.VulnID, advisories, aliases, f.Ecosystem, f.Package, f.Version,
		f.FixedVersion, f.Path, sev, f.Score, f.KnownExploited, f.Summary, f.Running, f.Listening,
		nil, rank, -f.Score, search,
	}}
	r.hash = hashArgs(r.args)
	r.args = append(r.args, r.hash[:])
	return r, nil
}

// hashArgs is the SHA-256 of a finding's columns but first_seen, each
// written with its type and length so that no two rows share an input.
func hashArgs(args []any) [32]byte {
	h := sha256.New()
	var buf [9]byte
	for i, a := range args {
		if i == firstSeenArg {
			continue
		}
		switch v := a.(type) {
		case string:
			buf[0] = 's'
			binary.LittleEndian.PutUint64(buf[1:], uint64(len(v)))
			h.Write(buf[:])
			h.Write([]byte(v))
			continue
		case bool:
			buf[0] = 'b'
			binary.LittleEndian.PutUint64(buf[1:], 0)
			if v {
				buf[1] = 1
			}
		case int:
			buf[0] = 'i'
			binary.LittleEndian.PutUint64(buf[1:], uint64(v))
		case float64:
			buf[0] = 'f'
			binary.LittleEndian.PutUint64(buf[1:], math.Float64bits(v))
		default: // not reached: the args are built by findingRowOf
			buf[0] = '?'
			fmt.Fprintf(h, "%T:%v", a, a)
		}
		h.Write(buf[:])
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// heldFinding is what ReplaceFindings compares a finding with.
type heldFinding struct {
	firstSeen int64
	hash      [32]byte
}

// findingStatements are the chunked statements of ReplaceFindings.
type findingStatements struct {
	insert, remove chunked
}

// findingStmts prepares (once) the statements of ReplaceFindings.
func (s *Store) findingStmts(ctx context.Context) (*findingStatements, error) {
	insert, err := s.preparedChunks(ctx, "vuln findings insert", func(n int) string {
		return `INSERT INTO vuln_findings (` + findingInsertCols + `) VALUES ` + valuesList(n, findingWidth)
	})
	if err != nil {
		return nil, err
	}
	remove, err := s.preparedChunks(ctx, "vuln findings remove", func(n int) string {
		return `DELETE FROM vuln_findings WHERE agent_id = ? AND (asset_key, vuln_id) IN (VALUES ` +
			valuesList(n, 2) + `)`
	})
	if err != nil {
		return nil, err
	}
	return &findingStatements{insert: insert, remove: remove}, nil
}

// ReplaceFindings makes an agent's findings exactly fs in one
// transaction (under the agent's lock on PostgreSQL). It reads the key,
// first sighting and hash of the findings held; deletes those removed or
// changed; inserts those added or changed (a changed one with its first
// sighting); and stores at as the update time of the agent's findings,
// so that an unchanged finding costs no write at all. A zero at means
// now.
// ErrInvalid for an empty agent id, a finding without an asset key or
// vulnerability id, one given twice, an unknown severity, a score outside
// 0-10 or text no database holds.
func (st vulnStore) ReplaceFindings(ctx context.Context, agentID string, fs []store.VulnFinding, at time.Time) (store.VulnReplace, error) {
	what := fmt.Sprintf("replace %d vulnerability findings of agent %q", len(fs), agentID)
	if agentID == "" {
		return store.VulnReplace{}, fmt.Errorf("%s: %w: empty agent id", what, store.ErrInvalid)
	}
	if err := checkText("agent id", agentID); err != nil {
		return store.VulnReplace{}, fmt.Errorf("%s: %w", what, err)
	}
	if at.IsZero() {
		at = time.Now()
	}
	atMicros := at.UnixMicro()
	rows := make([]findingRow, len(fs))
	seen := make(map[findingKey]bool, len(fs))
	for i, f := range fs {
		r, err := findingRowOf(agentID, f)
		if err != nil {
			return store.VulnReplace{}, fmt.Errorf("%s: %w", what, err)
		}
		if seen[r.key] {
			return store.VulnReplace{}, fmt.Errorf("%s: %w: %s of %q given twice", what, store.ErrInvalid,
				f.VulnID, f.AssetKey)
		}
		seen[r.key] = true
		rows[i] = r
	}
	stmts, err := st.s.findingStmts(ctx)
	if err != nil {
		return store.VulnReplace{}, fmt.Errorf("%s: %w", what, err)
	}
	var res store.VulnReplace
	err = st.s.tx(ctx, func(tx *sql.Tx) error {
		if err := st.s.keyLock(ctx, tx, findingsLockKey(agentID)); err != nil {
			return err
		}
		held, err := heldFindings(ctx, tx, st.s.sql(`SELECT asset_key, vuln_id, first_seen, hash FROM vuln_findings
			WHERE agent_id = ?`), agentID)
		if err != nil {
			return err
		}
		res = store.VulnReplace{}
		var gone []findingKey // removed or changed
		var inserts [][]any   // added or changed
		for _, r := range rows {
			h, ok := held[r.key]
			switch {
			case !ok:
				res.Added++
				args := slices.Clone(r.args)
				args[firstSeenArg] = atMicros
				inserts = append(inserts, args)
				continue
			case h.hash != r.hash:
				gone = append(gone, r.key)
				args := slices.Clone(r.args)
				args[firstSeenArg] = h.firstSeen
				inserts = append(inserts, args)
			}
			res.Kept++
			delete(held, r.key)
		}
		res.Removed = len(held)
		for k := range held {
			gone = append(gone, k)
		}
		if err := eachChunk(len(gone), func(start, n int) error {
			args := make([]any, 0, 1+2*n)
			args = append(args, agentID)
			for _, k := range gone[start : start+n] {
				args = append(args, k.asset, k.vuln)
			}
			_, err := tx.StmtContext(ctx, stmts.remove[n]).ExecContext(ctx, args...)
			return err
		}); err != nil {
			return fmt.Errorf("delete findings: %w", err)
		}
		if err := insertRows(ctx, tx, stmts.insert, inserts); err != nil {
			return fmt.Errorf("insert findings: %w", err)
		}
		query := `DELETE FROM vuln_finding_sets WHERE agent_id = ?`
		args := []any{agentID}
		if len(rows) > 0 {
			query = `INSERT INTO vuln_finding_sets (agent_id, updated_at) VALUES (?, ?)
				ON CONFLICT (agent_id) DO UPDATE SET updated_at = excluded.updated_at`
			args = append(args, atMicros)
		}
		if _, err := tx.ExecContext(ctx, st.s.sql(query), args...); err != nil {
			return fmt.Errorf("update time: %w", err)
		}
		return nil
	})
	if err != nil {
		return store.VulnReplace{}, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// heldFindings reads the first sighting and hash of an agent's findings
// by key.
func heldFindings(ctx context.Context, tx *sql.Tx, query, agentID string) (map[findingKey]heldFinding, error) {
	rows, err := tx.QueryContext(ctx, query, agentID)
	if err != nil {
		return nil, fmt.Errorf("read held findings: %w", err)
	}
	defer rows.Close()
	held := map[findingKey]heldFinding{}
	for rows.Next() {
		var k findingKey
		var h heldFinding
		var hash []byte
		if err := rows.Scan(&k.asset, &k.vuln, &h.firstSeen, &hash); err != nil {
			return nil, fmt.Errorf("read held findings: %w", err)
		}
		copy(h.hash[:], hash)
		held[k] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read held findings: %w", err)
	}
	return held, nil
}

// findingWhere returns the conditions of f's filters.
func findingWhere(f store.VulnFindingFilter) (where, error) {
	if err := checkTexts([]textField{{"agent id", f.AgentID}, {"vulnerability id", f.VulnID},
		{"ecosystem", f.Ecosystem}, {"package", f.Package}, {"query", f.Q}}, nil); err != nil {
		return where{}, err
	}
	var w where
	for _, cond := range []struct{ col, v string }{
		{"agent_id", f.AgentID}, {"vuln_id", f.VulnID}, {"ecosystem", f.Ecosystem}, {"package", f.Package},
	} {
		if cond.v != "" {
			w.add(cond.col+" = ?", cond.v)
		}
	}
	if len(f.Severities) > 0 {
		var ranks []int
		for _, sev := range f.Severities {
			_, rank, err := vulnSeverity(sev)
			if err != nil {
				return where{}, err
			}
			ranks = append(ranks, rank)
		}
		slices.Sort(ranks)
		ranks = slices.Compact(ranks)
		args := make([]any, len(ranks))
		for i, r := range ranks {
			args[i] = r
		}
		w.add("sev_rank IN "+valuesList(1, len(ranks)), args...)
	}
	if f.KnownExploited {
		w.add("known_exploited = ?", true)
	}
	if f.Running {
		w.add("running = ?", true)
	}
	if f.Fixable {
		w.add("fixed_version <> ''")
	}
	if f.Q != "" {
		w.add(`search LIKE ? ESCAPE '\'`, containsPattern(f.Q))
	}
	return w, nil
}

// ListFindings returns findings by severity (critical first), score
// (highest first), agent, vulnerability and asset key.
func (st vulnStore) ListFindings(ctx context.Context, f store.VulnFindingFilter) ([]store.VulnFinding, string, error) {
	c, ok, err := DecodeCursor(f.Cursor, kindFindings)
	if err != nil {
		return nil, "", fmt.Errorf("list vulnerability findings: %w", err)
	}
	var after *Cursor
	if ok {
		after = &c
	}
	query, args, err := findingListSQL(f, after)
	if err != nil {
		return nil, "", fmt.Errorf("list vulnerability findings: %w", err)
	}
	limit := limitOf(f.Limit)
	out, err := queryList(ctx, st.s, query+` LIMIT ?`, append(args, limit+1), scanFinding)
	if err != nil {
		return nil, "", fmt.Errorf("list vulnerability findings: %w", err)
	}
	out, next := pageOf(out, limit, findingCursor)
	return out, next, nil
}

// findingListSQL is the listing query of f without LIMIT, starting after
// the cursor when there is one. The order is ascending in the columns
// sev_rank and neg_score (the score negated), so that the cursor compares
// as one row and vuln_findings_order serves it.
func findingListSQL(f store.VulnFindingFilter, after *Cursor) (string, []any, error) {
	w, err := findingWhere(f)
	if err != nil {
		return "", nil, err
	}
	if after != nil {
		score, err := strconv.ParseFloat(after.S, 64)
		if err != nil || math.IsNaN(score) || math.IsInf(score, 0) {
			return "", nil, fmt.Errorf("%w: score %q", ErrBadCursor, after.S)
		}
		if err := errors.Join(checkCursorRank(after.N), checkCursorText(after.T, after.U, after.V)); err != nil {
			return "", nil, err
		}
		w.add("("+findingOrder+") > (?, ?, ?, ?, ?)", after.N, -score, after.T, after.U, after.V)
	}
	return `SELECT ` + findingCols + ` FROM vuln_findings` + w.String() + ` ORDER BY ` + findingOrder, w.args, nil
}

// HostSummaries counts each agent's findings by severity, by agent id.
func (st vulnStore) HostSummaries(ctx context.Context, agentID string) ([]store.VulnHostSummary, error) {
	if !storable(agentID) {
		return []store.VulnHostSummary{}, nil // no agent has it
	}
	var w where
	if agentID != "" {
		w.add("agent_id = ?", agentID)
	}
	out, err := queryList(ctx, st.s, `SELECT agent_id,
			SUM(CASE WHEN sev_rank = 0 THEN 1 ELSE 0 END), SUM(CASE WHEN sev_rank = 1 THEN 1 ELSE 0 END),
			SUM(CASE WHEN sev_rank = 2 THEN 1 ELSE 0 END), SUM(CASE WHEN sev_rank = 3 THEN 1 ELSE 0 END),
			SUM(CASE WHEN sev_rank > 3 THEN 1 ELSE 0 END), SUM(CASE WHEN known_exploited THEN 1 ELSE 0 END),
			SUM(CASE WHEN fixed_version <> '' THEN 1 ELSE 0 END), COUNT(*)
		FROM vuln_findings`+w.String()+` GROUP BY agent_id ORDER BY agent_id`, w.args,
		func(r rowScanner) (store.VulnHostSummary, error) {
			var h store.VulnHostSummary
			err := r.Scan(&h.AgentID, &h.Critical, &h.High, &h.Medium, &h.Low, &h.Other, &h.KnownExploited,
				&h.Fixable, &h.Total)
			return h, err
		})
	if err != nil {
		return nil, fmt.Errorf("vulnerability summaries of hosts: %w", err)
	}
	return out, nil
}

// packageListSizes are the sizes of the id lists VulnSummaries reads the
// summaries and packages of a page with; a page's ids are padded to the next one, so
// that the query shapes stay few.
var packageListSizes = []int{1, 4, 16, 64, 256, store.MaxLimit}

// VulnSummaries returns the vulnerabilities the filter's findings name,
// by severity, hosts (most first) and id. Each takes the highest
// severity, score and summary (the greatest in byte order) of its
// findings, is known exploited or fixable when one of them is, and counts
// their distinct hosts; its packages are the distinct package names of
// its findings, sorted. The aggregate reads only columns of
// vuln_findings_vuln; the summaries and packages are read afterwards for
// the page's vulnerabilities, in the same snapshot.
func (st vulnStore) VulnSummaries(ctx context.Context, f store.VulnFindingFilter) ([]store.VulnSummary, string, error) {
	const what = "vulnerability summaries"
	c, ok, err := DecodeCursor(f.Cursor, kindVulnSummaries)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	var after *Cursor
	if ok {
		after = &c
	}
	query, args, w, err := vulnSummarySQL(f, after)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	limit := limitOf(f.Limit)
	tx, err := st.s.r.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, "", fmt.Errorf("%s: begin: %w", what, err)
	}
	defer func() { _ = tx.Rollback() }()
	out, err := txList(ctx, tx, st.s.sql(query+` LIMIT ?`), append(args, limit+1),
		func(r rowScanner) (store.VulnSummary, error) {
			var v store.VulnSummary
			var rank int
			err := r.Scan(&v.VulnID, &rank, &v.Score, boolInt{&v.KnownExploited}, &v.Hosts, boolInt{&v.Fixable})
			if err == nil && (rank < 0 || rank >= len(vulnSeverities)) {
				err = fmt.Errorf("severity rank %d of %q", rank, v.VulnID)
			}
			if err == nil {
				v.Severity = vulnSeverities[rank]
			}
			v.Packages = []string{}
			return v, err
		})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	out, next := pageOf(out, limit, func(v store.VulnSummary) Cursor {
		_, rank, _ := vulnSeverity(v.Severity)
		return Cursor{Kind: kindVulnSummaries, N: int64(rank), S: strconv.Itoa(v.Hosts), T: v.VulnID}
	})
	if err := st.summaryDetails(ctx, tx, w, out); err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	return out, next, nil
}

// vulnSummarySQL is the aggregate query of VulnSummaries without LIMIT,
// starting after the cursor when there is one, with its arguments and
// the conditions of f's filters.
func vulnSummarySQL(f store.VulnFindingFilter, after *Cursor) (string, []any, where, error) {
	w, err := findingWhere(f)
	if err != nil {
		return "", nil, where{}, err
	}
	var page where
	if after != nil {
		hosts, err := strconv.ParseInt(after.S, 10, 64)
		if err != nil || hosts < 0 {
			return "", nil, where{}, fmt.Errorf("%w: hosts %q", ErrBadCursor, after.S)
		}
		if err := errors.Join(checkCursorRank(after.N), checkCursorText(after.T)); err != nil {
			return "", nil, where{}, err
		}
		page.add("(sev_rank, -hosts, vuln_id) > (?, ?, ?)", after.N, -hosts, after.T)
	}
	return `SELECT vuln_id, sev_rank, score, kev, hosts, fixable FROM (
			SELECT vuln_id, MIN(sev_rank) AS sev_rank, MAX(score) AS score,
				MAX(CASE WHEN known_exploited THEN 1 ELSE 0 END) AS kev,
				COUNT(DISTINCT agent_id) AS hosts, MAX(CASE WHEN fixed_version <> '' THEN 1 ELSE 0 END) AS fixable
			FROM vuln_findings` + w.String() + ` GROUP BY vuln_id) v` + page.String() + `
		ORDER BY sev_rank, hosts DESC, vuln_id`, slices.Concat(w.args, page.args), w, nil
}

// summaryDetails fills in the summaries and packages of the summaries
// vs from the findings w selects.
func (st vulnStore) summaryDetails(ctx context.Context, tx *sql.Tx, w where, vs []store.VulnSummary) error {
	if len(vs) == 0 {
		return nil
	}
	byID := make(map[string]*store.VulnSummary, len(vs))
	ids := make([]any, 0, len(vs))
	for i := range vs {
		byID[vs[i].VulnID] = &vs[i]
		ids = append(ids, vs[i].VulnID)
	}
	size := packageListSizes[len(packageListSizes)-1]
	for _, n := range packageListSizes {
		if n >= len(ids) {
			size = n
			break
		}
	}
	for len(ids) < size {
		ids = append(ids, ids[len(ids)-1])
	}
	w = where{conds: slices.Clone(w.conds), args: slices.Clone(w.args)}
	w.add("vuln_id IN "+valuesList(1, size), ids...)
	type detail struct{ vuln, pkg, summary string }
	details, err := txList(ctx, tx, st.s.sql(`SELECT vuln_id, package, MAX(summary) FROM vuln_findings`+w.String()+
		` GROUP BY vuln_id, package ORDER BY vuln_id, package`), w.args, func(r rowScanner) (detail, error) {
		var d detail
		err := r.Scan(&d.vuln, &d.pkg, &d.summary)
		return d, err
	})
	if err != nil {
		return fmt.Errorf("summaries and packages: %w", err)
	}
	for _, d := range details {
		if v := byID[d.vuln]; v != nil {
			v.Packages = append(v.Packages, d.pkg)
			v.Summary = max(v.Summary, d.summary)
		}
	}
	return nil
}

// txList runs a query in tx and scans every row.
func txList[T any](ctx context.Context, tx *sql.Tx, query string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// DeleteAgentFindings removes an agent's findings.
func (st vulnStore) DeleteAgentFindings(ctx context.Context, agentID string) error {
	if !storable(agentID) {
		return nil // no agent has it
	}
	err := st.s.tx(ctx, func(tx *sql.Tx) error {
		if err := st.s.keyLock(ctx, tx, findingsLockKey(agentID)); err != nil {
			return err
		}
		for _, table := range []string{"vuln_findings", "vuln_finding_sets"} {
			if _, err := tx.ExecContext(ctx, st.s.sql(`DELETE FROM `+table+` WHERE agent_id = ?`), agentID); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete vulnerability findings of agent %q: %w", agentID, err)
	}
	return nil
}
