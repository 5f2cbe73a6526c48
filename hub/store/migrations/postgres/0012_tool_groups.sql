-- Tool groups (docs/GROUPS.md): named sets of tools served at /mcp/<name>.
--
-- tool_groups holds the groups made through the REST API or the CLI (hub.toml's [[groups]]
-- are not stored here); spec is the JSON of a hub/config.Group.
--
-- api_keys.tool_groups, when not empty, limits a user key to these groups' endpoints: a
-- comma-separated list of group names (names are [a-z0-9_-], never a comma). '' = not
-- limited: the key reaches /mcp and every group.
CREATE TABLE tool_groups (
    name       TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE api_keys ADD COLUMN tool_groups TEXT NOT NULL DEFAULT '';
-- Several hubs on one database: a group made on one hub is served by all (migration 0006).
CREATE TRIGGER tool_groups_notify AFTER INSERT OR DELETE OR UPDATE ON tool_groups
    FOR EACH STATEMENT EXECUTE FUNCTION mcpgw_notify_change('groups');
