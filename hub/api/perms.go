package api

// Permissions, as defined by hub/rbac and documented in docs/RBAC.md.
const (
	PermUsersRead     = "users.read"
	PermUsersWrite    = "users.write"
	PermKeysReadOwn   = "keys.read.own"
	PermKeysWriteOwn  = "keys.write.own"
	PermKeysReadAll   = "keys.read.all"
	PermKeysWriteAll  = "keys.write.all"
	PermRolesRead     = "roles.read"
	PermRolesWrite    = "roles.write"
	PermAgentsRead    = "agents.read"
	PermAgentsWrite   = "agents.write"
	PermBackendsRead  = "backends.read"
	PermBackendsWrite = "backends.write"
	PermToolsRead     = "tools.read"
	PermToolsWrite    = "tools.write"
	PermPolicyRead    = "policies.read"
	PermPolicyWrite   = "policies.write"
	PermAuditReadOwn  = "audit.read.own"
	PermAuditReadAll  = "audit.read.all"
	PermUsageRead     = "usage.read"
	PermToolsCall     = "tools.call"
)

// AllPermissions lists every permission, in documentation order.
var AllPermissions = []string{
	PermUsersRead, PermUsersWrite, PermKeysReadOwn, PermKeysWriteOwn, PermKeysReadAll, PermKeysWriteAll,
	PermRolesRead, PermRolesWrite, PermAgentsRead, PermAgentsWrite, PermBackendsRead, PermBackendsWrite,
	PermToolsRead, PermToolsWrite, PermPolicyRead, PermPolicyWrite, PermAuditReadOwn, PermAuditReadAll,
	PermUsageRead, PermToolsCall,
}
