-- Audit events. No foreign keys: an event outlives the user, key or agent it names.
-- Optional text columns are '' rather than NULL so that filters compare plainly.

CREATE TABLE audit_events (
    id            TEXT PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    kind          TEXT NOT NULL,
    user_id       TEXT NOT NULL DEFAULT '',
    key_id        TEXT NOT NULL DEFAULT '',
    caller        TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL DEFAULT '',
    application   TEXT NOT NULL DEFAULT '',
    agent         TEXT NOT NULL DEFAULT '',
    backend       TEXT NOT NULL DEFAULT '',
    tool          TEXT NOT NULL DEFAULT '',
    risk          TEXT NOT NULL DEFAULT '',
    decision      TEXT NOT NULL DEFAULT '',
    rule          TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    duration_ns   BIGINT NOT NULL DEFAULT 0,
    trace_id      TEXT NOT NULL DEFAULT '',
    request_hash  TEXT NOT NULL DEFAULT '',
    response_hash TEXT NOT NULL DEFAULT '',
    request       TEXT NOT NULL DEFAULT '',
    response      TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL DEFAULT '',
    target        TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT ''
);

-- Newest-first paging and retention scan (at, id); per-user and per-tool views.
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
CREATE INDEX audit_events_tool ON audit_events (tool, at);
CREATE INDEX audit_events_trace ON audit_events (trace_id) WHERE trace_id <> '';
