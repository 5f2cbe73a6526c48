-- The audit table, cheaper per row. Every event is one INSERT, and on SQLite each b-tree a
-- row goes into costs the hub CPU (page writes to the WAL, then the checkpoint): the table
-- had six — the rowid table, the id primary key, (at, id), (user_id, at), (tool, at) and
-- trace_id. (at, id) is now the table's only unique key: it orders every page of the audit
-- view and retention, and it keeps a replayed journal idempotent (a replayed event has its
-- id and its time; ids are unique, so (at, id) is too). The separate id index goes: nothing
-- looks an event up by id alone. Five b-trees per row instead of six.
--
-- The trace index is no longer partial (it was WHERE trace_id <> ''): SQLite uses a partial
-- index only when the query's own terms imply its condition, which the audit view's bound
-- parameter never does, so a lookup by trace id scanned the whole table (≈ 6 s at 1M rows).
-- Every call has a trace id anyway; the few events without one share a key.
--
-- SQLite cannot drop a primary key, so the table is rebuilt: rows are copied in (at, id)
-- order, which appends to every index.
CREATE TABLE audit_events_v2 (
    id            TEXT NOT NULL,
    at            TEXT NOT NULL,
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
    duration_ns   INTEGER NOT NULL DEFAULT 0,
    trace_id      TEXT NOT NULL DEFAULT '',
    request_hash  TEXT NOT NULL DEFAULT '',
    response_hash TEXT NOT NULL DEFAULT '',
    request       TEXT NOT NULL DEFAULT '',
    response      TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL DEFAULT '',
    target        TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    UNIQUE (at, id)
);
INSERT INTO audit_events_v2 (id, at, kind, user_id, key_id, caller, role, application, agent, backend, tool, risk, decision, rule, status, error, duration_ns, trace_id, request_hash, response_hash, request, response, action, target, detail)
    SELECT id, at, kind, user_id, key_id, caller, role, application, agent, backend, tool, risk, decision, rule, status, error, duration_ns, trace_id, request_hash, response_hash, request, response, action, target, detail FROM audit_events ORDER BY at, id;
DROP TABLE audit_events;
ALTER TABLE audit_events_v2 RENAME TO audit_events;
CREATE INDEX audit_events_user ON audit_events (user_id, at);
CREATE INDEX audit_events_tool ON audit_events (tool, at);
CREATE INDEX audit_events_trace ON audit_events (trace_id);
