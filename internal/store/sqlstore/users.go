package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

type userStore struct{ s *Store }

const userCols = `id, name, role, password_hash, disabled, created_at, updated_at`

func scanUser(r rowScanner) (store.User, error) {
	var u store.User
	err := r.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, &u.Disabled,
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
	return u, err
}

// Create stores a new user; ErrAlreadyExists when the id or the name is
// taken. A zero CreatedAt means now, a zero UpdatedAt CreatedAt.
func (st userStore) Create(ctx context.Context, u store.User) error {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now()
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	n, err := st.s.exec(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		u.ID, u.Name, u.Role, u.PasswordHash, u.Disabled, micros(u.CreatedAt), micros(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	}
	if n == 0 {
		return fmt.Errorf("create user %q: %w", u.Name, store.ErrAlreadyExists)
	}
	return nil
}

// Get returns a user by id.
func (st userStore) Get(ctx context.Context, id string) (store.User, error) {
	return st.get(ctx, fmt.Sprintf("get user %q", id), `id`, id)
}

// GetByName returns a user by name.
func (st userStore) GetByName(ctx context.Context, name string) (store.User, error) {
	return st.get(ctx, fmt.Sprintf("get user named %q", name), `name`, name)
}

func (st userStore) get(ctx context.Context, what, col, v string) (store.User, error) {
	row := st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+userCols+` FROM users WHERE `+col+` = ?`), v)
	u, err := scanUser(row)
	if err != nil {
		return store.User{}, notFound(what, err)
	}
	return u, nil
}

// List returns users ordered by name.
func (st userStore) List(ctx context.Context, p store.Page) ([]store.User, string, error) {
	c, ok, err := DecodeCursor(p.Cursor, kindUsers)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	var w where
	if ok {
		w.add("name > ?", c.S)
	}
	limit := limitOf(p.Limit)
	users, err := queryList(ctx, st.s, `SELECT `+userCols+` FROM users`+w.String()+
		` ORDER BY name LIMIT ?`, append(w.args, limit+1), scanUser)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	users, next := pageOf(users, limit, func(u store.User) Cursor {
		return Cursor{Kind: kindUsers, S: u.Name}
	})
	return users, next, nil
}

// Update replaces a user's name, role, password hash and disabled flag. A
// zero UpdatedAt means now; a name taken by another user is
// ErrAlreadyExists.
func (st userStore) Update(ctx context.Context, u store.User) error {
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = time.Now()
	}
	what := fmt.Sprintf("update user %q", u.ID)
	n, err := st.s.exec(ctx, `UPDATE users SET name = ?, role = ?, password_hash = ?, disabled = ?,
		updated_at = ? WHERE id = ?`, u.Name, u.Role, u.PasswordHash, u.Disabled, micros(u.UpdatedAt), u.ID)
	switch {
	case err != nil && st.s.d.IsUniqueViolation(err):
		return fmt.Errorf("%s: name %q: %w", what, u.Name, store.ErrAlreadyExists)
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	case n == 0:
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// Delete removes a user.
func (st userStore) Delete(ctx context.Context, id string) error {
	return st.s.execOne(ctx, fmt.Sprintf("delete user %q", id), `DELETE FROM users WHERE id = ?`, id)
}
