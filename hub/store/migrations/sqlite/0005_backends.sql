-- Hub-local backends created through the REST API (hub.toml's are not stored here).
-- config is the JSON of a shared/backend.Config.

CREATE TABLE backends (
    name       TEXT PRIMARY KEY,
    config     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
