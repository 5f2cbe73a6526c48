package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// httpCaller is one client of the hub's /mcp, with raw JSON-RPC over HTTP: a session
// (2025-11-25), or a stateless client (2026-07-28) whose every request carries its _meta
// and the Mcp-* headers.
type httpCaller struct {
	client    *http.Client
	url       string
	key       string
	session   string
	tool      string
	expect    []byte // a reply must contain it
	stateless bool
}

// newModernCallers are stateless clients: no handshake at all.
func newModernCallers(url, key, tool, expect string, conc int) []caller {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2}}
	callers := make([]caller, conc)
	for i := range callers {
		callers[i] = &httpCaller{client: client, url: url, key: key, tool: tool, expect: []byte(expect), stateless: true}
	}
	return callers
}

// modernMeta is what a stateless client sends in every request's _meta.
const modernMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"callbench","version":"1"}}`

func newHTTPCallers(ctx context.Context, url, key, tool, expect string, conc int) ([]caller, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2}}
	callers := make([]caller, conc)
	for i := range callers {
		h := &httpCaller{client: client, url: url, key: key, tool: tool, expect: []byte(expect)}
		resp, err := h.post(ctx, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"callbench","version":"1"}}}`)
		if err != nil {
			return nil, err
		}
		h.session = resp.Header.Get("Mcp-Session-Id") // the peer proxy runs without sessions
		if _, err := h.post(ctx, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); err != nil {
			return nil, err
		}
		callers[i] = h
	}
	return callers, nil
}

func (h *httpCaller) call(ctx context.Context, i int) error {
	meta := ""
	if h.stateless {
		meta = modernMeta + ","
	}
	resp, err := h.post(ctx, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{%s"name":%q,"arguments":{"message":%s}}}`, i+1, meta, h.tool, message(i)))
	if err != nil {
		return err
	}
	if !bytes.Contains(resp.body, h.expect) {
		return fmt.Errorf("unexpected reply: %s", resp.body)
	}
	return nil
}

type reply struct {
	Header http.Header
	body   []byte
}

func (h *httpCaller) post(ctx context.Context, body string) (*reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewBufferString(body))
	if err != nil {
		return nil, err
	}
	if h.key != "" {
		req.Header.Set("Authorization", "Bearer "+h.key)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if h.session != "" {
		req.Header.Set("Mcp-Session-Id", h.session)
	}
	if h.stateless {
		req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", "tools/call")
		req.Header.Set("Mcp-Name", h.tool)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return &reply{Header: resp.Header, body: b}, nil
}
