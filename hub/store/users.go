package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

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
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO users (id, name, role, created_at) VALUES (?, ?, ?, ?)"),
		u.ID, u.Name, u.Role, s.ts(u.CreatedAt))
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.ID, mapErr(err))
	}
	return nil
}

func (s *sqlStore) GetUser(ctx context.Context, id string) (*User, error) {
	row := s.db.QueryRowContext(ctx, s.q("SELECT id, name, role, created_at FROM users WHERE id = ?"), id)
	u, err := scanUser(row)
	if err != nil {
		return nil, fmt.Errorf("get user %q: %w", id, mapErr(err))
	}
	return u, nil
}

func (s *sqlStore) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name, role, created_at FROM users ORDER BY created_at, id")
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

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanUser(r scanner) (*User, error) {
	var u User
	if err := r.Scan(&u.ID, &u.Name, &u.Role, scanTime{&u.CreatedAt}); err != nil {
		return nil, err
	}
	return &u, nil
}
