package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/discovery"
	"github.com/mcp-gateway/mcp-gateway/hub/risk"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// The discovery surface's tools (docs/DISCOVERY.md). A client served it lists these three
// instead of the catalog; any other name it calls is a direct call, as on the full surface.
const (
	toolSearch   = "search_tools"
	toolDescribe = "describe_tool"
	toolCall     = "call_tool"
)

// Search limits: the default number of hits, and the most a client may ask for.
const (
	searchDefault = 8
	searchMax     = 50
)

// surfaceTools is the tools/list result of the discovery surface.
var surfaceTools = func() []byte {
	risks := make([]string, 0, len(risk.Categories))
	for _, c := range risk.Categories {
		risks = append(risks, string(c))
	}
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	tools := []map[string]any{{
		"name": toolSearch,
		"description": "Search the tools this gateway offers. Each match comes with its name, risk, a one-line " +
			"description and its arguments (* = required): call it with " + toolCall + ". Search again with other " +
			"words if nothing fits; kind searches prompts or resources instead.",
		"inputSchema": map[string]any{"type": "object", "required": []string{"query"}, "properties": map[string]any{
			"query":   str("what you want to do, in a few words (or a tool's name)"),
			"kind":    map[string]any{"type": "string", "enum": []string{"tool", "prompt", "resource", "any"}, "description": "what to search (default tool)"},
			"agent":   str("only tools of this agent"),
			"backend": str("only tools of this backend (MCP server)"),
			"risk":    map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": risks}, "description": "only tools of these risk classes"},
			"limit":   map[string]any{"type": "integer", "minimum": 1, "maximum": searchMax, "description": "at most this many matches (default " + strconv.Itoa(searchDefault) + ")"},
		}},
		"annotations": map[string]any{"title": "Search tools", "readOnlyHint": true, "openWorldHint": false},
	}, {
		"name":        toolDescribe,
		"description": "Return the full definition of a tool found by " + toolSearch + " (its input schema and annotations), or of a prompt or resource.",
		"inputSchema": map[string]any{"type": "object", "required": []string{"name"}, "properties": map[string]any{
			"name": str("the tool's or prompt's name, or the resource's URI, as " + toolSearch + " gave it"),
		}},
		"annotations": map[string]any{"title": "Describe a tool", "readOnlyHint": true, "openWorldHint": false},
	}, {
		"name": toolCall,
		"description": "Call a tool found by " + toolSearch + " with its arguments. The call is checked, limited and " +
			"audited exactly as a direct call of that tool, and returns its result.",
		"inputSchema": map[string]any{"type": "object", "required": []string{"name"}, "properties": map[string]any{
			"name":      str("the tool's name, as " + toolSearch + " gave it"),
			"arguments": map[string]any{"type": "object", "description": "the tool's arguments"},
		}},
		"annotations": map[string]any{"title": "Call a tool", "openWorldHint": true},
	}}
	b, _ := json.Marshal(map[string]any{"tools": tools})
	return b
}()

// surfaceList answers tools/list on the discovery surface: its three tools, or none for a
// caller that may not use backends (as the full surface lists none to it).
func (g *Gateway) surfaceList(c *client, req *jsonrpc.Request) *jsonrpc.Response {
	if !g.checks().MayUseBackends(c.identity.Role) {
		return result(req.ID, json.RawMessage(`{"tools":[]}`))
	}
	return result(req.ID, surfaceTools)
}

// surfaceCall serves tools/call on the discovery surface. call_tool becomes a tools/call of
// the tool it names, served by forwardNamed like any other: RBAC, tool state, policy,
// bounds and audit all see the real tool and its arguments.
func (g *Gateway) surfaceCall(ctx context.Context, c *client, req *jsonrpc.Request, em emitter, t *router.Table) *jsonrpc.Response {
	name, _ := mcp.StringField(req.Params, "name")
	switch name {
	case toolSearch:
		return g.searchTool(c, req, t)
	case toolDescribe:
		return g.describeTool(c, req, t)
	case toolCall:
		inner, msg := innerCall(req.Params)
		if msg != "" {
			return toolError(req.ID, msg)
		}
		return g.forwardNamed(ctx, c, &jsonrpc.Request{ID: req.ID, Method: req.Method, Params: inner}, em, "tool", t)
	}
	return g.forwardNamed(ctx, c, req, em, "tool", t)
}

// innerCall rewrites call_tool's params into those of the call it asks for: name and
// arguments from call_tool's arguments, every other member (_meta, inputResponses,
// requestState) kept as it is.
func innerCall(params json.RawMessage) (json.RawMessage, string) {
	var p map[string]json.RawMessage
	if json.Unmarshal(params, &p) != nil {
		return nil, "params must be an object"
	}
	var args map[string]json.RawMessage
	if raw, ok := p["arguments"]; !ok || json.Unmarshal(raw, &args) != nil || args == nil {
		return nil, toolCall + ` needs arguments {"name": "<tool>", "arguments": {…}}`
	}
	var name string
	if json.Unmarshal(args["name"], &name) != nil || name == "" {
		return nil, toolCall + ": name must be the name of a tool (from " + toolSearch + ")"
	}
	p["name"] = args["name"]
	switch inner, ok := args["arguments"]; {
	case !ok || string(bytes.TrimSpace(inner)) == "null":
		delete(p, "arguments")
	case !isObject(inner):
		return nil, toolCall + ": arguments must be an object"
	default:
		p["arguments"] = inner
	}
	out, err := json.Marshal(p)
	if err != nil {
		return nil, "params: " + err.Error()
	}
	return out, ""
}

// toolError is a tools/call result that tells the model what was wrong with its arguments,
// so that it can try again (an error result, not a protocol error).
func toolError(id jsonrpc.ID, msg string) *jsonrpc.Response {
	b, _ := json.Marshal(map[string]any{"isError": true, "content": []map[string]string{{"type": "text", "text": msg}}})
	return result(id, b)
}

func toolTextResult(id jsonrpc.ID, text string) *jsonrpc.Response {
	b, _ := json.Marshal(map[string]any{"content": []map[string]string{{"type": "text", "text": text}}})
	return result(id, b)
}

// catalog is the search index of the table, with a filter that keeps what the caller may
// use: the tools it would see in tools/list (RBAC, tool state, the policy as far as it
// decides without arguments), and prompts and resources when it may use backends at all.
func (g *Gateway) catalog(c *client, t *router.Table) (*discovery.Catalog, func(int) bool) {
	cat := g.cats.For(g.gov.Tools.Index(t))
	ch := g.checks()
	if !ch.MayUseBackends(c.identity.Role) {
		return cat, func(int) bool { return false }
	}
	visible := g.toolKeep(c, t) // RBAC, state, policy, and the endpoint's tool group
	n := cat.Tools()
	if gr := c.group; gr != nil {
		return cat, func(i int) bool {
			if i < n {
				return visible(i)
			}
			d := cat.Doc(i)
			return gr.hasOther(router.Target{Agent: d.Agent, Backend: d.Backend})
		}
	}
	return cat, func(i int) bool { return i >= n || visible(i) }
}

type searchArgs struct {
	Query   string          `json:"query"`
	Kind    string          `json:"kind"`
	Agent   string          `json:"agent"`
	Backend string          `json:"backend"`
	Risk    json.RawMessage `json:"risk"`
	Limit   *int            `json:"limit"`
}

func (g *Gateway) searchTool(c *client, req *jsonrpc.Request, t *router.Table) *jsonrpc.Response {
	var a searchArgs
	if raw, ok := mcp.Field(req.Params, "arguments"); ok && json.Unmarshal(raw, &a) != nil {
		return toolError(req.ID, toolSearch+": arguments must be an object with a string query")
	}
	q := discovery.Query{Text: a.Query, Agent: a.Agent, Backend: a.Backend, Limit: searchDefault}
	switch a.Kind {
	case "", "tool", "tools":
		q.Kind = discovery.KindTool
	case "prompt", "prompts":
		q.Kind = discovery.KindPrompt
	case "resource", "resources":
		q.Kind = discovery.KindResource
	case "any", "all":
	default:
		return toolError(req.ID, toolSearch+": kind "+strconv.Quote(a.Kind)+" is none of tool, prompt, resource and any")
	}
	if a.Limit != nil {
		if *a.Limit < 1 || *a.Limit > searchMax {
			return toolError(req.ID, fmt.Sprintf("%s: limit %d is out of range: want 1 to %d", toolSearch, *a.Limit, searchMax))
		}
		q.Limit = *a.Limit
	}
	if len(a.Risk) > 0 && string(a.Risk) != "null" {
		var one string
		if json.Unmarshal(a.Risk, &one) == nil {
			q.Risk = []string{one}
		} else if json.Unmarshal(a.Risk, &q.Risk) != nil {
			return toolError(req.ID, toolSearch+": risk must be a risk class or a list of them")
		}
		for _, r := range q.Risk {
			if !risk.Category(r).Valid() {
				return toolError(req.ID, toolSearch+": unknown risk class "+strconv.Quote(r))
			}
		}
	}
	cat, keep := g.catalog(c, t)
	hits, total := cat.Search(q, keep)
	if q.Kind == discovery.KindResource { // resource templates are resources too
		q.Kind = discovery.KindTemplate
		more, n := cat.Search(q, keep)
		hits, total = mergeHits(hits, more, q.Limit), total+n
	}
	return toolTextResult(req.ID, searchText(cat, q, hits, total))
}

// mergeHits merges two ranked lists, best first, keeping at most limit.
func mergeHits(a, b []discovery.Hit, limit int) []discovery.Hit {
	out := make([]discovery.Hit, 0, min(len(a)+len(b), limit))
	for len(out) < limit && (len(a) > 0 || len(b) > 0) {
		if len(b) == 0 || (len(a) > 0 && a[0].Score >= b[0].Score) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

// searchText is the answer a model reads: one line per hit, and how to go on.
func searchText(cat *discovery.Catalog, q discovery.Query, hits []discovery.Hit, total int) string {
	what := "tools"
	if q.Kind != discovery.KindTool {
		what = "entries"
	}
	if len(hits) == 0 {
		return "No " + what + " match. Try other words, or fewer filters."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d matching %s, best first. Call a tool with %s {\"name\", \"arguments\"}; %s gives its full schema.\n",
		len(hits), total, what, toolCall, toolDescribe)
	for _, h := range hits {
		d := &cat.Docs()[h.Doc]
		b.WriteString(d.Line())
		b.WriteByte('\n')
	}
	return b.String()
}

func (g *Gateway) describeTool(c *client, req *jsonrpc.Request, t *router.Table) *jsonrpc.Response {
	var a struct {
		Name string `json:"name"`
	}
	if raw, ok := mcp.Field(req.Params, "arguments"); !ok || json.Unmarshal(raw, &a) != nil || a.Name == "" {
		return toolError(req.ID, toolDescribe+": arguments must be {\"name\": \"<tool>\"}")
	}
	cat, keep := g.catalog(c, t)
	i, ok := cat.Find("", a.Name)
	if !ok || !keep(i) {
		// What the caller may not use is as unknown to it as what does not exist.
		return toolError(req.ID, "unknown tool "+strconv.Quote(a.Name)+": search with "+toolSearch)
	}
	d := &cat.Docs()[i]
	out := map[string]any{"kind": d.Kind, "definition": cat.Raw(i)}
	if d.Risk != "" {
		out["risk"] = d.Risk
	}
	if d.Agent != "" {
		out["agent"] = d.Agent
	}
	if d.Backend != "" {
		out["backend"] = d.Backend
	}
	b, _ := json.MarshalIndent(out, "", " ")
	return toolTextResult(req.ID, string(b))
}
