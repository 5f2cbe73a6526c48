package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
)

// BackendRecord is a hub-local backend created through the REST API. Config is the JSON of
// a shared/backend.Config; the store does not interpret it, but keeps it sealed with the
// master key (its env and headers hold secrets): the row holds "sealed:v1:…", never the
// JSON, and reads give the JSON back.
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
	sealed, err := s.sealBackend(b.Name, b.Config)
	if err != nil {
		return fmt.Errorf("create backend %q: %w", b.Name, err)
	}
	_, err = s.db.ExecContext(ctx, s.q("INSERT INTO backends ("+backendColumns+") VALUES (?, ?, ?, ?, ?)"),
		b.Name, sealed, b.CreatedBy, s.ts(b.CreatedAt), s.ts(b.UpdatedAt))
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
	if b.Config, err = s.openBackend(b.Name, b.Config); err != nil {
		return nil, fmt.Errorf("get backend %q: %w", name, err)
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
		if b.Config, err = s.openBackend(b.Name, b.Config); err != nil {
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
	sealed, err := s.sealBackend(b.Name, b.Config)
	if err != nil {
		return fmt.Errorf("update backend %q: %w", b.Name, err)
	}
	if err := s.execOne(ctx, "UPDATE backends SET config = ?, updated_at = ? WHERE name = ?", sealed, s.ts(b.UpdatedAt), b.Name); err != nil {
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

// sealBackend seals a backend's configuration for its row, bound to its name.
func (s *sqlStore) sealBackend(name, config string) (string, error) {
	if s.key == nil {
		return "", fmt.Errorf("%w to seal its configuration: set %s or give the hub a data directory", masterkey.ErrNoKey, masterkey.EnvVar)
	}
	return s.key.Seal(config, "backend "+name), nil
}

// openBackend reads a row's configuration: sealed (since issue 10), or plaintext JSON as
// rows written before were, until sealBackends seals them.
func (s *sqlStore) openBackend(name, stored string) (string, error) {
	if !masterkey.IsSealed(stored) {
		return stored, nil
	}
	return s.key.Open(stored, "backend "+name)
}

// sealBackends seals the rows still in plaintext, at an open with Config.SealPlaintext:
// rows written before the configurations were sealed are not left readable in the database.
// Without a key it does nothing (and writes fail). A row changed meanwhile (another hub) is
// left to that writer.
func (s *sqlStore) sealBackends(ctx context.Context) error {
	if s.key == nil || !s.sealOld {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, "SELECT name, config FROM backends")
	if err != nil {
		return fmt.Errorf("seal backends: %w", mapErr(err))
	}
	type plain struct{ name, config string }
	var todo []plain
	for rows.Next() {
		var p plain
		if err := rows.Scan(&p.name, &p.config); err != nil {
			rows.Close()
			return fmt.Errorf("seal backends: %w", err)
		}
		if !masterkey.IsSealed(p.config) {
			todo = append(todo, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("seal backends: %w", mapErr(err))
	}
	for _, p := range todo {
		sealed, _ := s.sealBackend(p.name, p.config)
		if _, err := s.db.ExecContext(ctx, s.q("UPDATE backends SET config = ? WHERE name = ? AND config = ?"), sealed, p.name, p.config); err != nil {
			return fmt.Errorf("seal backend %q: %w", p.name, mapErr(err))
		}
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
