-- agents.last_seen_at: when a hub last held the agent's tunnel (written on connect, on
-- disconnect and every few minutes while connected), so an offline agent shows when it
-- was last seen. NULL: never connected since this column exists.
--
-- console_sessions: the web console's signed-in browsers (docs/CONSOLE.md), shared by every
-- hub on the database so a session survives a hub restart and works behind a load
-- balancer. id is the SHA-256 (hex) of the cookie value: the cookie itself is never
-- stored. A session ends at expires_at (absolute), or when last_used_at is older than the
-- idle timeout; the hubs write last_used_at at most about once a minute per session.
ALTER TABLE agents ADD COLUMN last_seen_at TIMESTAMPTZ;

CREATE TABLE console_sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
