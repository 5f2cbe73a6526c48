package upstream

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

func (k key) String() string {
	if k.agent == "" {
		return fmt.Sprintf("backend %q", k.backend)
	}
	return fmt.Sprintf("backend %q of agent %q", k.backend, k.agent)
}

// boundError is the JSON-RPC error the client gets when a bound ends its call.
func boundError(code int64, msg string, data any) error {
	raw, _ := json.Marshal(data)
	return &jsonrpc.Error{Code: code, Message: msg, Data: raw}
}

func timeout(k key, lim Limits, queued bool) error {
	what := "did not answer"
	if queued {
		what = "had no free slot"
	}
	return boundError(mcp.CodeCallTimeout,
		fmt.Sprintf("%s %s within the call timeout of %s; the call was cancelled (setting: timeout)", k, what, lim.Timeout),
		map[string]any{"timeoutMs": lim.Timeout.Milliseconds()})
}

func busy(k key, lim Limits) error {
	return boundError(mcp.CodeBackendBusy,
		fmt.Sprintf("%s is busy: %d calls running and %d waiting, its limits (settings: max_concurrent, max_queue); try again later",
			k, lim.MaxConcurrent, lim.MaxQueue),
		map[string]any{"maxConcurrent": lim.MaxConcurrent, "maxQueue": lim.MaxQueue})
}

func circuitOpen(k key, g *gate, retry time.Duration) error {
	g.mu.Lock()
	failures, last := g.br.failures, g.br.lastFailure
	g.mu.Unlock()
	secs := int(math.Ceil(retry.Seconds()))
	msg := fmt.Sprintf("%s is failing: its circuit breaker is open after %d consecutive failures; retry in %d s", k, failures, secs)
	if last != "" {
		msg += " (last failure: " + last + ")"
	}
	return boundError(mcp.CodeCircuitOpen, msg, map[string]any{"retryAfter": secs})
}
