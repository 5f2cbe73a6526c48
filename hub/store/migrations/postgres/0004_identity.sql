-- Identities: password login and lockout on users, unique user names, the application an
-- API key is for, custom roles, and a key/value settings table.

-- Names become unique. A database made before this rule could hold duplicates; all but the
-- oldest of each name get their id appended, so the migration cannot fail on them.
UPDATE users SET name = name || '-' || id WHERE EXISTS (
    SELECT 1 FROM users AS older WHERE older.name = users.name
       AND (older.created_at < users.created_at OR (older.created_at = users.created_at AND older.id < users.id)));
CREATE UNIQUE INDEX users_name ON users (name);

ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE users SET updated_at = created_at;
ALTER TABLE users ALTER COLUMN updated_at SET NOT NULL;

ALTER TABLE api_keys ADD COLUMN application TEXT NOT NULL DEFAULT '';

-- Custom roles only; the built-in ones live in code. Lists are JSON arrays of strings.
CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    permissions TEXT NOT NULL DEFAULT '[]',
    tool_allow  TEXT NOT NULL DEFAULT '[]',
    tool_deny   TEXT NOT NULL DEFAULT '[]',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
