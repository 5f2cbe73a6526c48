-- The definitions a tool was pinned or approved with, by fingerprint, so that an operator
-- reviewing a quarantined tool whose definition changed sees the old one beside the new
-- (GET /api/v1/tools/{name}: pinned_definition). Written only when a definition is pinned
-- or approved, never on the hot path; read only by that request. A row stays until its
-- tool's state is deleted (a few kilobytes per approval).
CREATE TABLE tool_definitions (
    agent      TEXT NOT NULL DEFAULT '',
    backend    TEXT NOT NULL,
    tool       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (agent, backend, tool, hash)
);
