package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// ruleStore keeps imported rule files and operators' rule settings.
type ruleStore struct{ s *Store }

const ruleFileCols = `name, content, sha256, author, created_at, updated_at`

func scanRuleFile(r rowScanner) (store.RuleFile, error) {
	var f store.RuleFile
	err := r.Scan(&f.Name, &f.Content, &f.SHA256, &f.Author, timeCol{&f.CreatedAt}, timeCol{&f.UpdatedAt})
	if f.Content == nil {
		f.Content = []byte{}
	}
	return f, err
}

// PutFile inserts a file at revision 1 or replaces its content, author and
// update time, adding one to its revision: the revision returned tells in
// the same statement whether the file is new, so concurrent puts of one
// name agree. The digest is computed here; a zero UpdatedAt means now and
// a zero CreatedAt UpdatedAt.
func (st ruleStore) PutFile(ctx context.Context, f store.RuleFile) (bool, error) {
	what := fmt.Sprintf("put rule file %q", f.Name)
	if f.Name == "" {
		return false, fmt.Errorf("%s: %w: empty name", what, store.ErrInvalid)
	}
	if f.Content == nil {
		f.Content = []byte{}
	}
	sum := sha256.Sum256(f.Content)
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = time.Now()
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = f.UpdatedAt
	}
	var revision int64
	err := st.s.w.QueryRowContext(ctx, st.s.sql(`INSERT INTO rule_files (`+ruleFileCols+`, revision)
		VALUES (?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT (name) DO UPDATE SET content = excluded.content, sha256 = excluded.sha256,
			author = excluded.author, updated_at = excluded.updated_at,
			revision = rule_files.revision + 1
		RETURNING revision`), f.Name, f.Content, hex.EncodeToString(sum[:]), f.Author,
		micros(f.CreatedAt), micros(f.UpdatedAt)).Scan(&revision)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return revision == 1, nil
}

// DeleteFile removes a file.
func (st ruleStore) DeleteFile(ctx context.Context, name string) error {
	return st.s.execOne(ctx, fmt.Sprintf("delete rule file %q", name), `DELETE FROM rule_files WHERE name = ?`, name)
}

// Files returns every file, by name.
func (st ruleStore) Files(ctx context.Context) ([]store.RuleFile, error) {
	out, err := queryList(ctx, st.s, `SELECT `+ruleFileCols+` FROM rule_files ORDER BY name`, nil, scanRuleFile)
	if err != nil {
		return nil, fmt.Errorf("list rule files: %w", err)
	}
	return out, nil
}

const ruleSettingCols = `rule_id, disabled, severity, author, updated_at`

func scanRuleSetting(r rowScanner) (store.RuleSetting, error) {
	var rs store.RuleSetting
	err := r.Scan(&rs.RuleID, &rs.Disabled, &rs.Severity, &rs.Author, timeCol{&rs.UpdatedAt})
	return rs, err
}

// PutSetting stores a rule's setting, replacing the previous one.
func (st ruleStore) PutSetting(ctx context.Context, rs store.RuleSetting) error {
	what := fmt.Sprintf("put setting of rule %q", rs.RuleID)
	switch {
	case rs.RuleID == "":
		return fmt.Errorf("%s: %w: empty rule id", what, store.ErrInvalid)
	case rs.Severity != "" && rs.Severity.Rank() == 0:
		return fmt.Errorf("%s: %w: unknown severity %q", what, store.ErrInvalid, rs.Severity)
	}
	if rs.UpdatedAt.IsZero() {
		rs.UpdatedAt = time.Now()
	}
	_, err := st.s.exec(ctx, `INSERT INTO rule_settings (`+ruleSettingCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (rule_id) DO UPDATE SET disabled = excluded.disabled, severity = excluded.severity,
			author = excluded.author, updated_at = excluded.updated_at`,
		rs.RuleID, rs.Disabled, rs.Severity, rs.Author, micros(rs.UpdatedAt))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// DeleteSetting removes a rule's setting.
func (st ruleStore) DeleteSetting(ctx context.Context, ruleID string) error {
	return st.s.execOne(ctx, fmt.Sprintf("delete setting of rule %q", ruleID),
		`DELETE FROM rule_settings WHERE rule_id = ?`, ruleID)
}

// Settings returns every setting, by rule id.
func (st ruleStore) Settings(ctx context.Context) ([]store.RuleSetting, error) {
	out, err := queryList(ctx, st.s, `SELECT `+ruleSettingCols+` FROM rule_settings ORDER BY rule_id`, nil, scanRuleSetting)
	if err != nil {
		return nil, fmt.Errorf("list rule settings: %w", err)
	}
	return out, nil
}
