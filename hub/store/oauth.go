package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// OAuth client kinds: how the hub learnt a client's metadata.
const (
	OAuthClientRegistered = "dcr"  // dynamic client registration (RFC 7591)
	OAuthClientDocument   = "cimd" // a Client ID Metadata Document fetched from the client_id URL
)

// OAuth token kinds.
const (
	OAuthAccess  = "access"
	OAuthRefresh = "refresh"
)

// OAuthClient is a client of the hub's authorization server.
type OAuthClient struct {
	ID           string // the client_id: a random id (dcr) or an https URL (cimd)
	Kind         string // OAuthClientRegistered or OAuthClientDocument
	Name         string // client_name as the client stated it (shown on the consent page)
	RedirectURIs []string
	Metadata     string // the registered or fetched metadata, JSON
	CreatedAt    time.Time
	FetchedAt    time.Time // when a document was last fetched; CreatedAt for dcr
}

// OAuthCode is an authorization code, stored by its hash. It is single use: UseOAuthCode
// marks it.
type OAuthCode struct {
	Hash        string
	ClientID    string
	UserID      string
	RedirectURI string
	Challenge   string // the PKCE S256 code_challenge
	Resource    string // the RFC 8707 resource the tokens will be bound to
	Scope       string
	GrantID     string // shared with every token issued from this code
	ExpiresAt   time.Time
	UsedAt      time.Time // zero: not redeemed
}

// OAuthToken is an access or refresh token, stored by its hash.
type OAuthToken struct {
	Hash      string
	Kind      string // OAuthAccess or OAuthRefresh
	GrantID   string
	ClientID  string
	UserID    string
	Resource  string
	Scope     string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // a refresh token exchanged (rotation); zero: not yet
	RevokedAt time.Time // zero: not revoked
}

// OAuthServer stores the hub's authorization server: clients, codes and tokens. Codes and
// tokens are never stored in plaintext.
type OAuthServer interface {
	// PutOAuthClient inserts a client or replaces the one with the same ID.
	PutOAuthClient(ctx context.Context, c *OAuthClient) error
	// GetOAuthClient returns a client (ErrNotFound if unknown).
	GetOAuthClient(ctx context.Context, id string) (*OAuthClient, error)
	// CreateOAuthCode stores a new code.
	CreateOAuthCode(ctx context.Context, c *OAuthCode) error
	// GetOAuthCode returns a code by its hash (ErrNotFound if unknown), used or not.
	GetOAuthCode(ctx context.Context, hash string) (*OAuthCode, error)
	// UseOAuthCode marks a code redeemed at at; false if it already was (a replay).
	UseOAuthCode(ctx context.Context, hash string, at time.Time) (bool, error)
	// CreateOAuthTokens stores new tokens.
	CreateOAuthTokens(ctx context.Context, ts ...*OAuthToken) error
	// GetOAuthToken returns a token by its hash (ErrNotFound if unknown).
	GetOAuthToken(ctx context.Context, hash string) (*OAuthToken, error)
	// UseOAuthToken marks a refresh token exchanged at at; false if it already was or is
	// revoked: the caller then treats it as reuse.
	UseOAuthToken(ctx context.Context, hash string, at time.Time) (bool, error)
	// RevokeOAuthGrant revokes every token of a grant; it reports how many were live.
	RevokeOAuthGrant(ctx context.Context, grantID string, at time.Time) (int64, error)
	// PruneOAuth deletes codes and tokens that expired before before.
	PruneOAuth(ctx context.Context, before time.Time) error
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (s *sqlStore) PutOAuthClient(ctx context.Context, c *OAuthClient) error {
	uris, err := json.Marshal(c.RedirectURIs)
	if err != nil {
		return fmt.Errorf("put oauth client: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO oauth_as_clients
		(client_id, kind, name, redirect_uris, metadata, created_at, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id) DO UPDATE SET kind = excluded.kind, name = excluded.name,
		redirect_uris = excluded.redirect_uris, metadata = excluded.metadata, fetched_at = excluded.fetched_at`),
		c.ID, c.Kind, c.Name, string(uris), c.Metadata, millis(c.CreatedAt), millis(c.FetchedAt))
	if err != nil {
		return fmt.Errorf("put oauth client: %w", mapErr(err))
	}
	return nil
}

func (s *sqlStore) GetOAuthClient(ctx context.Context, id string) (*OAuthClient, error) {
	var c OAuthClient
	var uris string
	var created, fetched int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT client_id, kind, name, redirect_uris, metadata, created_at, fetched_at
		FROM oauth_as_clients WHERE client_id = ?`), id).
		Scan(&c.ID, &c.Kind, &c.Name, &uris, &c.Metadata, &created, &fetched)
	if err != nil {
		return nil, mapErr(err)
	}
	if err := json.Unmarshal([]byte(uris), &c.RedirectURIs); err != nil {
		return nil, fmt.Errorf("oauth client %s: redirect_uris: %w", id, err)
	}
	c.CreatedAt, c.FetchedAt = fromMillis(created), fromMillis(fetched)
	return &c, nil
}

func (s *sqlStore) CreateOAuthCode(ctx context.Context, c *OAuthCode) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO oauth_as_codes
		(code_hash, client_id, user_id, redirect_uri, challenge, resource, scope, grant_id, expires_at, used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		c.Hash, c.ClientID, c.UserID, c.RedirectURI, c.Challenge, c.Resource, c.Scope, c.GrantID,
		millis(c.ExpiresAt), millis(c.UsedAt))
	if err != nil {
		return fmt.Errorf("create oauth code: %w", mapErr(err))
	}
	return nil
}

func (s *sqlStore) GetOAuthCode(ctx context.Context, hash string) (*OAuthCode, error) {
	var c OAuthCode
	var exp, used int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT code_hash, client_id, user_id, redirect_uri, challenge, resource,
		scope, grant_id, expires_at, used_at FROM oauth_as_codes WHERE code_hash = ?`), hash).
		Scan(&c.Hash, &c.ClientID, &c.UserID, &c.RedirectURI, &c.Challenge, &c.Resource, &c.Scope, &c.GrantID, &exp, &used)
	if err != nil {
		return nil, mapErr(err)
	}
	c.ExpiresAt, c.UsedAt = fromMillis(exp), fromMillis(used)
	return &c, nil
}

// useOnce sets used_at on one row whose used_at is still 0: the compare-and-set that makes
// codes and refresh tokens single use even when two requests race.
func (s *sqlStore) useOnce(ctx context.Context, query string, args ...any) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *sqlStore) UseOAuthCode(ctx context.Context, hash string, at time.Time) (bool, error) {
	return s.useOnce(ctx, `UPDATE oauth_as_codes SET used_at = ? WHERE code_hash = ? AND used_at = 0`, millis(at), hash)
}

func (s *sqlStore) CreateOAuthTokens(ctx context.Context, ts ...*OAuthToken) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, t := range ts {
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO oauth_as_tokens (token_hash, kind, grant_id, client_id,
				user_id, resource, scope, created_at, expires_at, used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				t.Hash, t.Kind, t.GrantID, t.ClientID, t.UserID, t.Resource, t.Scope, millis(t.CreatedAt),
				millis(t.ExpiresAt), millis(t.UsedAt), millis(t.RevokedAt))
			if err != nil {
				return fmt.Errorf("create oauth token: %w", mapErr(err))
			}
		}
		return nil
	})
}

func (s *sqlStore) GetOAuthToken(ctx context.Context, hash string) (*OAuthToken, error) {
	var t OAuthToken
	var created, exp, used, revoked int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT token_hash, kind, grant_id, client_id, user_id, resource, scope,
		created_at, expires_at, used_at, revoked_at FROM oauth_as_tokens WHERE token_hash = ?`), hash).
		Scan(&t.Hash, &t.Kind, &t.GrantID, &t.ClientID, &t.UserID, &t.Resource, &t.Scope, &created, &exp, &used, &revoked)
	if err != nil {
		return nil, mapErr(err)
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt, t.RevokedAt = fromMillis(created), fromMillis(exp), fromMillis(used), fromMillis(revoked)
	return &t, nil
}

func (s *sqlStore) UseOAuthToken(ctx context.Context, hash string, at time.Time) (bool, error) {
	return s.useOnce(ctx, `UPDATE oauth_as_tokens SET used_at = ?
		WHERE token_hash = ? AND kind = 'refresh' AND used_at = 0 AND revoked_at = 0`, millis(at), hash)
}

func (s *sqlStore) RevokeOAuthGrant(ctx context.Context, grantID string, at time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE oauth_as_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at = 0`),
		millis(at), grantID)
	if err != nil {
		return 0, fmt.Errorf("revoke oauth grant: %w", mapErr(err))
	}
	return res.RowsAffected()
}

func (s *sqlStore) PruneOAuth(ctx context.Context, before time.Time) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM oauth_as_codes WHERE expires_at < ?`), millis(before)); err != nil {
			return fmt.Errorf("prune oauth codes: %w", mapErr(err))
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM oauth_as_tokens WHERE expires_at < ?`), millis(before)); err != nil {
			return fmt.Errorf("prune oauth tokens: %w", mapErr(err))
		}
		return nil
	})
}
