-- Users, agents and their API keys. Timestamps are fixed-width UTC text
-- (2006-01-02T15:04:05.000000Z) so that text comparison is time order.

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE agents (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('user', 'agent')),
    user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
    agent_id     TEXT REFERENCES agents (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    CHECK ((kind = 'user' AND user_id IS NOT NULL AND agent_id IS NULL)
        OR (kind = 'agent' AND agent_id IS NOT NULL AND user_id IS NULL))
);

CREATE INDEX api_keys_user_id ON api_keys (user_id);
CREATE INDEX api_keys_agent_id ON api_keys (agent_id);
