package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// mcpClient is a raw JSON-RPC client of the hub's /mcp with a 2025-11-25 session.
type mcpClient struct {
	client  *http.Client
	url     string
	key     string
	session string
	id      int
}

func newMCPClient(url, key string) *mcpClient {
	return &mcpClient{client: &http.Client{Timeout: 5 * time.Minute}, url: url, key: key}
}

func (c *mcpClient) initialize(ctx context.Context) error {
	h, _, err := c.post(ctx, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"agentload","version":"1"}}}`)
	if err != nil {
		return err
	}
	c.session = h.Get("Mcp-Session-Id")
	_, _, err = c.post(ctx, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return err
}

type listResult struct {
	Result *struct {
		Tools      []json.RawMessage `json:"tools"`
		NextCursor string            `json:"nextCursor"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// listAll pages through tools/list and returns the time it took, the pages and the tools.
func (c *mcpClient) listAll(ctx context.Context) (time.Duration, int, int, error) {
	began := time.Now()
	cursor, pages, count := "", 0, 0
	for {
		c.id++
		params := "{}"
		if cursor != "" {
			cb, _ := json.Marshal(cursor)
			params = `{"cursor":` + string(cb) + `}`
		}
		_, body, err := c.post(ctx, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/list","params":%s}`, c.id, params))
		if err != nil {
			return 0, 0, 0, err
		}
		var r listResult
		if err := json.Unmarshal(body, &r); err != nil {
			return 0, 0, 0, fmt.Errorf("tools/list: %v: %.200s", err, body)
		}
		if r.Error != nil || r.Result == nil {
			return 0, 0, 0, fmt.Errorf("tools/list: %.300s", body)
		}
		pages++
		count += len(r.Result.Tools)
		if cursor = r.Result.NextCursor; cursor == "" {
			return time.Since(began), pages, count, nil
		}
	}
}

// waitTools pages tools/list until it holds want tools.
func (c *mcpClient) waitTools(ctx context.Context, want int) error {
	for {
		took, _, got, err := c.listAll(ctx)
		if err != nil {
			return err
		}
		if got == want {
			return nil
		}
		fmt.Fprintf(os.Stderr, "%s tools/list: %d tools of %d (%s)\n", time.Now().Format("15:04:05.000"), got, want, took.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return fmt.Errorf("tools/list holds %d tools, want %d: %w", got, want, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *mcpClient) post(ctx context.Context, body string) (http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewBufferString(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return nil, nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	if i := bytes.Index(b, []byte("data: ")); i >= 0 && !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		b = b[i+len("data: "):] // an SSE answer: the event's data
		if j := bytes.IndexByte(b, '\n'); j >= 0 {
			b = b[:j]
		}
	}
	return resp.Header, b, nil
}
