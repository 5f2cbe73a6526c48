// Package rbac decides what a role may do: permissions, the built-in roles owner, operator
// and viewer, custom roles from the store, and per-role tool allow/deny globs, answered from
// an in-memory snapshot (Authorizer). The permission matrix is documented in docs/RBAC.md.
package rbac

import "slices"

// Permissions. Each REST endpoint and the MCP tool calls need one (see docs/RBAC.md).
const (
	UsersRead     = "users.read"
	UsersWrite    = "users.write" // create, update, disable, delete users; reset passwords
	KeysReadOwn   = "keys.read.own"
	KeysWriteOwn  = "keys.write.own"
	KeysReadAll   = "keys.read.all"  // other users' keys
	KeysWriteAll  = "keys.write.all" // create and revoke other users' keys
	RolesRead     = "roles.read"
	RolesWrite    = "roles.write"
	AgentsRead    = "agents.read"
	AgentsWrite   = "agents.write" // enroll, revoke
	BackendsRead  = "backends.read"
	BackendsWrite = "backends.write"
	// BackendsExec starts commands on the hub's host: creating or changing a hub-local
	// stdio backend. Whoever holds it can read everything the hub can (its database, its
	// secrets), so no built-in role below owner has it.
	BackendsExec  = "backends.exec"
	GroupsRead    = "groups.read"
	GroupsWrite   = "groups.write" // create, change, delete tool groups
	ToolsRead     = "tools.read"
	ToolsWrite    = "tools.write" // enable/disable, risk override, approve
	PoliciesRead  = "policies.read"
	PoliciesWrite = "policies.write"
	AuditReadOwn  = "audit.read.own"
	AuditReadAll  = "audit.read.all" // other users' audit rows
	UsageRead     = "usage.read"
	ToolsCall     = "tools.call" // list and call tools over MCP
)

// allPermissions is every permission, in documentation order. Never modified.
var allPermissions = []string{
	UsersRead, UsersWrite, KeysReadOwn, KeysWriteOwn, KeysReadAll, KeysWriteAll,
	RolesRead, RolesWrite, AgentsRead, AgentsWrite, BackendsRead, BackendsWrite, BackendsExec,
	GroupsRead, GroupsWrite, ToolsRead, ToolsWrite, PoliciesRead, PoliciesWrite, AuditReadOwn, AuditReadAll,
	UsageRead, ToolsCall,
}

// permDocs says what each permission allows, for docs/RBAC.md and the REST API.
var permDocs = map[string]string{
	UsersRead:     "list and read users",
	UsersWrite:    "create, change (role, disabled), delete users; reset their passwords",
	KeysReadOwn:   "list one's own API keys",
	KeysWriteOwn:  "create and revoke one's own API keys",
	KeysReadAll:   "list every user's API keys",
	KeysWriteAll:  "create and revoke API keys of other users",
	RolesRead:     "list roles and their permissions",
	RolesWrite:    "create, change, delete custom roles",
	AgentsRead:    "list agents and their state",
	AgentsWrite:   "enroll and revoke agents",
	BackendsRead:  "list backends and their health",
	BackendsWrite: "add, change, remove hub-local backends (http and sse; stdio also needs backends.exec)",
	BackendsExec:  "run commands on the hub's host: add or change hub-local stdio backends (command, args, env)",
	GroupsRead:    "list tool groups (the /mcp/<group> endpoints)",
	GroupsWrite:   "create, change, delete tool groups",
	ToolsRead:     "list tools with risk, state and findings",
	ToolsWrite:    "enable/disable tools, override risk, approve quarantined tools",
	PoliciesRead:  "read policies; dry-run a call",
	PoliciesWrite: "change policies",
	AuditReadOwn:  "query and export one's own audit rows",
	AuditReadAll:  "query, export and count every audit row",
	UsageRead:     "read usage (calls per tool, user, time bucket)",
	ToolsCall:     "list and call tools over MCP (/mcp, /sse)",
}

// Describe says what a permission allows ("" for an unknown one).
func Describe(p string) string { return permDocs[p] }

// permBit maps a permission to its bit in a permSet. Never modified.
var permBit = func() map[string]permSet {
	m := make(map[string]permSet, len(allPermissions))
	for i, p := range allPermissions {
		m[p] = 1 << i
	}
	return m
}()

// permSet is a set of permissions as bits, in allPermissions order.
type permSet uint32

// Permissions returns every permission, in documentation order.
func Permissions() []string { return slices.Clone(allPermissions) }

// KnownPermission reports whether p is a permission.
func KnownPermission(p string) bool { _, ok := permBit[p]; return ok }

// Built-in role names; they are reserved (a custom role cannot take them).
const (
	RoleOwner    = "owner"
	RoleOperator = "operator"
	RoleViewer   = "viewer"
)

// Built-in roles never have tool globs: they reach every tool (policies narrow that).
func builtinRoles() []Role {
	return []Role{
		{Name: RoleOwner, BuiltIn: true, Description: "Everything, including users, roles and other users' keys.",
			Permissions: slices.Clone(allPermissions)},
		{Name: RoleOperator, BuiltIn: true,
			Description: "Runs the gateway: agents, backends, tools, policies, all audit; reads users and all keys; cannot change users, roles or other users' keys, nor run commands on the hub's host (stdio backends).",
			Permissions: without(allPermissions, UsersWrite, RolesWrite, KeysWriteAll, BackendsExec)},
		{Name: RoleViewer, BuiltIn: true, Description: "Calls and lists tools; manages its own keys; reads its own audit.",
			Permissions: []string{KeysReadOwn, KeysWriteOwn, ToolsRead, AuditReadOwn, ToolsCall}},
	}
}

// IsBuiltin reports whether name is a built-in role.
func IsBuiltin(name string) bool {
	return name == RoleOwner || name == RoleOperator || name == RoleViewer
}

func without(ps []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(ps), func(p string) bool { return slices.Contains(drop, p) })
}
