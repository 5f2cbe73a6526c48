// Package mcp holds the JSON-RPC and MCP helpers both sides share: parsing and encoding
// messages on go-sdk's jsonrpc types, MCP method names and error codes, and the rules
// for exposed names and resource URIs.
package mcp

// MCP methods the gateway handles or relays.
const (
	MethodInitialize            = "initialize"
	MethodPing                  = "ping"
	MethodDiscover              = "server/discover"
	MethodSubscriptionsListen   = "subscriptions/listen"
	MethodToolsList             = "tools/list"
	MethodToolsCall             = "tools/call"
	MethodResourcesList         = "resources/list"
	MethodResourceTemplatesList = "resources/templates/list"
	MethodResourcesRead         = "resources/read"
	MethodResourcesSubscribe    = "resources/subscribe"
	MethodResourcesUnsubscribe  = "resources/unsubscribe"
	MethodPromptsList           = "prompts/list"
	MethodPromptsGet            = "prompts/get"
	MethodComplete              = "completion/complete"
	MethodSetLevel              = "logging/setLevel"
	MethodTasksGet              = "tasks/get"
	MethodTasksList             = "tasks/list"
	MethodTasksResult           = "tasks/result"
	MethodTasksCancel           = "tasks/cancel"

	// Server → client requests.
	MethodRootsList     = "roots/list"
	MethodCreateMessage = "sampling/createMessage"
	MethodElicit        = "elicitation/create"

	NotificationInitialized               = "notifications/initialized"
	NotificationCancelled                 = "notifications/cancelled"
	NotificationProgress                  = "notifications/progress"
	NotificationMessage                   = "notifications/message"
	NotificationToolsListChanged          = "notifications/tools/list_changed"
	NotificationResourcesListChanged      = "notifications/resources/list_changed"
	NotificationPromptsListChanged        = "notifications/prompts/list_changed"
	NotificationResourceUpdated           = "notifications/resources/updated"
	NotificationRootsListChanged          = "notifications/roots/list_changed"
	NotificationElicitationComplete       = "notifications/elicitation/complete"
	NotificationTaskStatus                = "notifications/tasks/status"
	NotificationSubscriptionsAcknowledged = "notifications/subscriptions/acknowledged"
)

// JSON-RPC and MCP error codes.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603

	CodeResourceNotFound           = -32002
	CodeHeaderMismatch             = -32020 // 2026-07-28
	CodeMissingClientCapability    = -32021 // 2026-07-28
	CodeUnsupportedProtocolVersion = -32022 // 2026-07-28
	CodeURLElicitationRequired     = -32042 // 2025-11-25
)

// The gateway's own error codes for calls it ends because a bound was reached (issue 9).
// Each has one meaning; the message names the bound and its setting, data carries details.
const (
	CodeRateLimited       = -32029 // a key's or application's rate limit; data: {"retryAfter": seconds}
	CodeCallTimeout       = -32031 // the call's deadline passed; the message names the backend
	CodeBackendBusy       = -32032 // the backend's concurrency cap and wait queue are full
	CodeCircuitOpen       = -32033 // the backend's circuit breaker is open; data: {"retryAfter": seconds}
	CodeResultTooLarge    = -32034 // the backend's result is over its size limit
	CodeBadBackendMessage = -32035 // the backend answered with a line that is not valid JSON-RPC
	CodeSessionLimit      = -32036 // the key's open sessions or listen streams are at their cap
	CodeAuditUnavailable  = -32037 // the audit trail cannot take the call's event (journal unwritable, queue full); data: {"reason": "journal" | "queue_full"}
)

// internMethod returns the method name in raw (the content of a JSON string without
// escapes) as a string, without allocating for the methods the gateway sees most.
func internMethod(raw []byte) string {
	switch string(raw) {
	case MethodToolsCall:
		return MethodToolsCall
	case MethodToolsList:
		return MethodToolsList
	case MethodResourcesRead:
		return MethodResourcesRead
	case MethodResourcesList:
		return MethodResourcesList
	case MethodResourceTemplatesList:
		return MethodResourceTemplatesList
	case MethodPromptsGet:
		return MethodPromptsGet
	case MethodPromptsList:
		return MethodPromptsList
	case MethodInitialize:
		return MethodInitialize
	case MethodPing:
		return MethodPing
	case MethodDiscover:
		return MethodDiscover
	case MethodComplete:
		return MethodComplete
	case NotificationInitialized:
		return NotificationInitialized
	case NotificationCancelled:
		return NotificationCancelled
	case NotificationProgress:
		return NotificationProgress
	}
	return string(raw)
}
