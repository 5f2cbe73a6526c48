package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// BackendRecord is a hub-local backend created through the REST API. Config is the JSON of
// a shared/backend.Config; the store does not interpret it.
type BackendRecord struct {
	Name      string
	Config    string
	CreatedBy string // the user name that created it
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Backends stores the hub-local backends created at runtime.
type Backends interface {
	// CreateBackend inserts b (ErrConflict if the name is taken), filling in the times.
	CreateBackend(ctx context.Context, b *BackendRecord) error
	GetBackend(ctx context.Context, name string) (*BackendRecord, error)
	ListBackends(ctx context.Context) ([]BackendRecord, error)
	// UpdateBackend replaces the config of an existing backend (ErrNotFound if none).
	UpdateBackend(ctx context.Context, b *BackendRecord) error
	DeleteBackend(ctx context.Context, name string) error
}

const backendColumns = "name, config, created_by, created_at, updated_at"

func (s *sqlStore) CreateBackend(ctx context.Context, b *BackendRecord) error {
	if b.Name == "" || b.Config == "" {
		return errors.New("create backend: name and config are required")
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = now()
	}
	b.CreatedAt = b.CreatedAt.UTC().Truncate(time.Microsecond)
	b.UpdatedAt = b.CreatedAt
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO backends ("+backendColumns+") VALUES (?, ?, ?, ?, ?)"),
		b.Name, b.Config, b.CreatedBy, s.ts(b.CreatedAt), s.ts(b.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create backend %q: %w", b.Name, mapErr(err))
	}
	return nil
}

func (s *sqlStore) GetBackend(ctx context.Context, name string) (*BackendRecord, error) {
	row := s.db.QueryRowContext(ctx, s.q("SELECT "+backendColumns+" FROM backends WHERE name = ?"), name)
	b, err := scanBackend(row)
	if err != nil {
		return nil, fmt.Errorf("get backend %q: %w", name, mapErr(err))
	}
	return b, nil
}

func (s *sqlStore) ListBackends(ctx context.Context) ([]BackendRecord, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+backendColumns+" FROM backends ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list backends: %w", mapErr(err))
	}
	defer rows.Close()
	var out []BackendRecord
	for rows.Next() {
		b, err := scanBackend(rows)
		if err != nil {
			return nil, fmt.Errorf("list backends: %w", err)
		}
		out = append(out, *b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list backends: %w", mapErr(err))
	}
	return out, nil
}

func (s *sqlStore) UpdateBackend(ctx context.Context, b *BackendRecord) error {
	b.UpdatedAt = now()
	if err := s.execOne(ctx, "UPDATE backends SET config = ?, updated_at = ? WHERE name = ?", b.Config, s.ts(b.UpdatedAt), b.Name); err != nil {
		return fmt.Errorf("update backend %q: %w", b.Name, err)
	}
	return nil
}

func (s *sqlStore) DeleteBackend(ctx context.Context, name string) error {
	if err := s.execOne(ctx, "DELETE FROM backends WHERE name = ?", name); err != nil {
		return fmt.Errorf("delete backend %q: %w", name, err)
	}
	return nil
}

func scanBackend(r scanner) (*BackendRecord, error) {
	var b BackendRecord
	if err := r.Scan(&b.Name, &b.Config, &b.CreatedBy, scanTime{&b.CreatedAt}, scanTime{&b.UpdatedAt}); err != nil {
		return nil, err
	}
	return &b, nil
}

// ListUserKeys returns the keys of one user, oldest first. The REST API uses it so that a
// caller without keys.read.all can only ever load its own keys.
func (s *sqlStore) ListUserKeys(ctx context.Context, userID string) ([]APIKey, error) {
	ks, err := s.queryKeys(ctx, s.q("SELECT "+keyColumns+" FROM api_keys WHERE kind = 'user' AND user_id = ? ORDER BY created_at, id"), userID)
	if err != nil {
		return nil, fmt.Errorf("list keys of user %q: %w", userID, err)
	}
	return ks, nil
}
