package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// startPeer runs a single-hop MCP proxy (TBXark/mcp-proxy, built outside this repository:
// see docs/BENCHMARKS.md) in front of the same stdio server, as backend "srv" at /srv.
func (m *mesh) startPeer(ctx context.Context, bin string, srv server) (string, int, error) {
	addr, err := freeAddr()
	if err != nil {
		return "", 0, err
	}
	conf := map[string]any{
		"mcpProxy": map[string]any{
			"baseURL": "http://" + addr, "addr": addr, "name": "peer", "version": "1",
			"type": "streamable-http", "options": map[string]any{"logEnabled": false},
		},
		"mcpServers": map[string]any{"srv": map[string]any{"command": srv.command, "args": srv.args}},
	}
	b, _ := json.Marshal(conf)
	path := filepath.Join(m.dir, "peer.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", 0, err
	}
	pid, err := m.spawn(ctx, bin, "--config", path)
	if err != nil {
		return "", 0, err
	}
	url := "http://" + addr + "/srv/"
	if err := waitTool(ctx, url, "", srv.tool); err != nil {
		return "", 0, fmt.Errorf("peer: %w", err)
	}
	return url, pid, nil
}
