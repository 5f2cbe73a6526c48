-- Key scopes and key roles (docs/IDENTITY.md, "Key scopes and roles").
--
-- scope is what a user key may be used for: "mcp" reaches /mcp, /sse and /messages only;
-- "admin" the REST API (/api/v1) only; "all" both. Keys made before scopes existed become
-- "all" so that no running client breaks on upgrade (IDENTITY.md says how to find and
-- replace them); new keys default to "mcp". Agent keys are "all": the scope does not apply
-- to them, they only open agent tunnels.
--
-- role, when not empty, is the role a user key acts with instead of its user's; it must be
-- covered by the user's role, at creation and at every use ('' = the user's own role).
ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'all' CHECK (scope IN ('mcp', 'admin', 'all'));
ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT '';
