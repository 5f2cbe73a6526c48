package store

import (
	"context"
	"fmt"
	"time"
)

// ConsoleSession is a web console sign-in (docs/CONSOLE.md). ID is the SHA-256 (hex) of
// the browser's cookie, never the cookie itself.
type ConsoleSession struct {
	ID         string
	UserID     string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time // absolute end, whatever the activity
}

// ConsoleSessions stores the web console's sessions, shared by every hub on the database.
type ConsoleSessions interface {
	CreateConsoleSession(ctx context.Context, cs ConsoleSession) error
	// GetConsoleSession returns the session with that id, expired or not (ErrNotFound).
	GetConsoleSession(ctx context.Context, id string) (*ConsoleSession, error)
	// TouchConsoleSession moves last_used_at forward to at (never back); ErrNotFound if
	// the session is gone.
	TouchConsoleSession(ctx context.Context, id string, at time.Time) error
	// DeleteConsoleSession ends one session; ending a session that is gone is no error.
	DeleteConsoleSession(ctx context.Context, id string) error
	// DeleteUserConsoleSessions ends every session of a user and says how many there were.
	DeleteUserConsoleSessions(ctx context.Context, userID string) (int64, error)
	// DeleteStaleConsoleSessions deletes the sessions past their expiry at now or unused
	// since idleSince, and says how many.
	DeleteStaleConsoleSessions(ctx context.Context, now, idleSince time.Time) (int64, error)
}

const consoleSessionColumns = "id, user_id, created_at, last_used_at, expires_at"

func (s *sqlStore) CreateConsoleSession(ctx context.Context, cs ConsoleSession) error {
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO console_sessions ("+consoleSessionColumns+") VALUES (?, ?, ?, ?, ?)"),
		cs.ID, cs.UserID, s.ts(cs.CreatedAt), s.ts(cs.LastUsedAt), s.ts(cs.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create console session of user %q: %w", cs.UserID, mapErr(err))
	}
	return nil
}

func (s *sqlStore) GetConsoleSession(ctx context.Context, id string) (*ConsoleSession, error) {
	var cs ConsoleSession
	err := s.db.QueryRowContext(ctx, s.q("SELECT "+consoleSessionColumns+" FROM console_sessions WHERE id = ?"), id).
		Scan(&cs.ID, &cs.UserID, scanTime{&cs.CreatedAt}, scanTime{&cs.LastUsedAt}, scanTime{&cs.ExpiresAt})
	if err != nil {
		return nil, fmt.Errorf("get console session: %w", mapErr(err))
	}
	return &cs, nil
}

func (s *sqlStore) TouchConsoleSession(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q("UPDATE console_sessions SET last_used_at = CASE WHEN last_used_at < ? THEN ? ELSE last_used_at END WHERE id = ?"),
		s.ts(at), s.ts(at), id)
	if err != nil {
		return fmt.Errorf("touch console session: %w", mapErr(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("touch console session: %w", ErrNotFound)
	}
	return nil
}

func (s *sqlStore) DeleteConsoleSession(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, s.q("DELETE FROM console_sessions WHERE id = ?"), id); err != nil {
		return fmt.Errorf("delete console session: %w", mapErr(err))
	}
	return nil
}

func (s *sqlStore) DeleteUserConsoleSessions(ctx context.Context, userID string) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q("DELETE FROM console_sessions WHERE user_id = ?"), userID)
	if err != nil {
		return 0, fmt.Errorf("delete console sessions of user %q: %w", userID, mapErr(err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func (s *sqlStore) DeleteStaleConsoleSessions(ctx context.Context, now, idleSince time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q("DELETE FROM console_sessions WHERE expires_at <= ? OR last_used_at < ?"), s.ts(now), s.ts(idleSince))
	if err != nil {
		return 0, fmt.Errorf("delete stale console sessions: %w", mapErr(err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}
