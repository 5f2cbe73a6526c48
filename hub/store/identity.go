package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

const userColumns = "id, name, role, password_hash, disabled, failed_logins, locked_until, created_at, updated_at"

func (s *sqlStore) CreateUser(ctx context.Context, u *User) error {
	if u.Name == "" || u.Role == "" {
		return errors.New("create user: name and role are required")
	}
	if u.ID == "" {
		u.ID = newID("usr_")
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now()
	}
	u.CreatedAt = u.CreatedAt.UTC().Truncate(time.Microsecond)
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	u.UpdatedAt = u.UpdatedAt.UTC().Truncate(time.Microsecond)
	if u.LockedUntil != nil {
		t := u.LockedUntil.UTC().Truncate(time.Microsecond)
		u.LockedUntil = &t
	}
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO users ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		u.ID, u.Name, u.Role, u.PasswordHash, u.Disabled, u.FailedLogins, s.tsPtr(u.LockedUntil),
		s.ts(u.CreatedAt), s.ts(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, mapErr(err))
	}
	return nil
}

func (s *sqlStore) GetUser(ctx context.Context, id string) (*User, error) {
	row := s.db.QueryRowContext(ctx, s.q("SELECT "+userColumns+" FROM users WHERE id = ?"), id)
	u, err := scanUser(row)
	if err != nil {
		return nil, fmt.Errorf("get user %q: %w", id, mapErr(err))
	}
	return u, nil
}

func (s *sqlStore) GetUserByName(ctx context.Context, name string) (*User, error) {
	row := s.db.QueryRowContext(ctx, s.q("SELECT "+userColumns+" FROM users WHERE name = ?"), name)
	u, err := scanUser(row)
	if err != nil {
		return nil, fmt.Errorf("get user named %q: %w", name, mapErr(err))
	}
	return u, nil
}

func (s *sqlStore) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", mapErr(err))
	}
	defer rows.Close()
	var us []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		us = append(us, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", mapErr(err))
	}
	return us, nil
}

func (s *sqlStore) UpdateUser(ctx context.Context, u *User) error {
	if u.Name == "" || u.Role == "" {
		return fmt.Errorf("update user %q: name and role are required", u.ID)
	}
	at := now()
	err := s.execOne(ctx, "UPDATE users SET name = ?, role = ?, disabled = ?, updated_at = ? WHERE id = ?",
		u.Name, u.Role, u.Disabled, s.ts(at), u.ID)
	if err != nil {
		return fmt.Errorf("update user %q: %w", u.ID, err)
	}
	u.UpdatedAt = at
	return nil
}

func (s *sqlStore) DeleteUser(ctx context.Context, id string) error {
	// api_keys.user_id is ON DELETE CASCADE; SQLite enforces it with foreign_keys(1).
	if err := s.execOne(ctx, "DELETE FROM users WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete user %q: %w", id, err)
	}
	return nil
}

func (s *sqlStore) SetPasswordHash(ctx context.Context, id, hash string) error {
	err := s.execOne(ctx, "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?",
		hash, s.ts(now()), id)
	if err != nil {
		return fmt.Errorf("set password of user %q: %w", id, err)
	}
	return nil
}

func (s *sqlStore) RecordLoginFailure(ctx context.Context, id string, lockUntil *time.Time) (int, error) {
	// One statement, so concurrent failures each count.
	var n int
	err := s.db.QueryRowContext(ctx, s.q("UPDATE users SET failed_logins = failed_logins + 1,"+
		" locked_until = COALESCE(?, locked_until) WHERE id = ? RETURNING failed_logins"),
		s.tsPtr(lockUntil), id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("record login failure of user %q: %w", id, mapErr(err))
	}
	return n, nil
}

func (s *sqlStore) ResetLoginFailures(ctx context.Context, id string) error {
	if err := s.execOne(ctx, "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", id); err != nil {
		return fmt.Errorf("reset login failures of user %q: %w", id, err)
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanUser(r scanner) (*User, error) {
	var u User
	var locked time.Time
	err := r.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, &u.Disabled, &u.FailedLogins,
		scanTime{&locked}, scanTime{&u.CreatedAt}, scanTime{&u.UpdatedAt})
	if err != nil {
		return nil, err
	}
	u.LockedUntil = optTime(locked)
	return &u, nil
}
