-- The hub as an OAuth 2.1 authorization server for its own /mcp (docs/OAUTH.md). Codes and
-- tokens are stored as the hex SHA-256 of their plaintext only; times are Unix milliseconds
-- (0: never). A grant is one authorization: its code, and every access and refresh token
-- issued from it or from its refresh chain, share grant_id, so that a reused code or refresh
-- token revokes them all at once.

CREATE TABLE oauth_as_clients (
    client_id     TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    fetched_at    BIGINT NOT NULL
);

CREATE TABLE oauth_as_codes (
    code_hash    TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    challenge    TEXT NOT NULL,
    resource     TEXT NOT NULL,
    scope        TEXT NOT NULL,
    grant_id     TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE oauth_as_tokens (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    grant_id   TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource   TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX oauth_as_tokens_grant ON oauth_as_tokens (grant_id);
CREATE INDEX oauth_as_tokens_expires ON oauth_as_tokens (expires_at);
CREATE INDEX oauth_as_codes_expires ON oauth_as_codes (expires_at);
