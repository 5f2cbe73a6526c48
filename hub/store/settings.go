package store

import (
	"context"
	"fmt"
)

func (s *sqlStore) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.q("SELECT value FROM settings WHERE key = ?"), key).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("get setting %q: %w", key, mapErr(err))
	}
	return v, nil
}

func (s *sqlStore) PutSetting(ctx context.Context, key, value string) error {
	if key == "" {
		return fmt.Errorf("put setting: key is empty")
	}
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"+
		" ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"),
		key, value, s.ts(now()))
	if err != nil {
		return fmt.Errorf("put setting %q: %w", key, mapErr(err))
	}
	return nil
}

func (s *sqlStore) CreateSetting(ctx context.Context, key, value string) error {
	if key == "" {
		return fmt.Errorf("create setting: key is empty")
	}
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"),
		key, value, s.ts(now()))
	if err != nil {
		return fmt.Errorf("create setting %q: %w", key, mapErr(err))
	}
	return nil
}
