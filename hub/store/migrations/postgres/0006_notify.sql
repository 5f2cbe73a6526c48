-- Several hubs on one database: every write that changes what a hub caches (keys, users,
-- agents, roles, settings such as the policy, tool states, backends) sends a NOTIFY on
-- channel mcpgw_changes from the writing transaction (delivered at commit), whoever wrote
-- it: a hub's REST API, the offline CLI or psql. The payload is "<schema>.<topic>", so hubs
-- in other schemas of the same database ignore it. Columns that change on the hot path
-- (api_keys.last_used_at, users.failed_logins) are left out: they change no cache.

CREATE FUNCTION mcpgw_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mcpgw_changes', TG_TABLE_SCHEMA || '.' || TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_notify AFTER INSERT OR DELETE OR UPDATE OF name, role, disabled ON users
    FOR EACH STATEMENT EXECUTE FUNCTION mcpgw_notify_change('users');
CREATE TRIGGER api_keys_notify AFTER INSERT OR DELETE OR UPDATE OF name, hash, kind, user_id, agent_id, application, expires_at, revoked_at ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION mcpgw_notify_change('keys');
CREATE TRIGGER agents_notify AFTER INSERT OR DELETE OR UPDATE ON agents
    FOR EACH STATEMENT EXECUTE FUNCTION mcpgw_notify_change('agents');
CREATE TRIGGER roles_notify AFTER INSERT OR DELETE OR UPDATE ON roles
    FOR EACH STATEMENT EXECUTE FUNCTION mcpgw_notify_change('roles');
CREATE TRIGGER settings_notify AFTER INSERT OR DELETE OR UPDATE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION mcpgw_notify_change('settings');
CREATE TRIGGER tool_states_notify AFTER INSERT OR DELETE OR UPDATE ON tool_states
    FOR EACH STATEMENT EXECUTE FUNCTION mcpgw_notify_change('tools');
CREATE TRIGGER backends_notify AFTER INSERT OR DELETE OR UPDATE ON backends
    FOR EACH STATEMENT EXECUTE FUNCTION mcpgw_notify_change('backends');
