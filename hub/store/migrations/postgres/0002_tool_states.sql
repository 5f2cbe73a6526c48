-- Operator decisions and integrity state per tool, keyed by where the tool lives
-- (agent '' is the hub itself) and its original name. They survive rediscovery.

CREATE TABLE tool_states (
    agent         TEXT NOT NULL DEFAULT '',
    backend       TEXT NOT NULL,
    tool          TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    risk_override TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT '',
    pinned_hash   TEXT NOT NULL DEFAULT '',
    findings      TEXT NOT NULL DEFAULT '',
    approved_by   TEXT NOT NULL DEFAULT '',
    approved_at   TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agent, backend, tool)
);
