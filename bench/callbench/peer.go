package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
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
	if srv.url != "" {
		conf["mcpServers"] = map[string]any{"srv": map[string]any{"url": srv.url, "transportType": "streamable-http"}}
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

// startFloor builds bench/floorrelay and runs it twice in front of the same stdio server: one
// process (HTTP → stdio), and a front and a back joined by a WebSocket (HTTP → WebSocket →
// stdio). It returns the two URLs and the processes whose CPU each path counts.
func (m *mesh) startFloor(ctx context.Context, root string, srv server) (single string, singlePID int, split string, splitPIDs []int, err error) {
	bin := filepath.Join(m.dir, "floorrelay")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/floorrelay")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", 0, "", nil, fmt.Errorf("build floorrelay: %v\n%s", err, out)
	}
	var addrs [3]string
	for i := range addrs {
		if addrs[i], err = freeAddr(); err != nil {
			return "", 0, "", nil, err
		}
	}
	srvArgs := append([]string{srv.command}, srv.args...)
	if singlePID, err = m.spawnAs(ctx, "floor-single", bin, append([]string{"-mode", "single", "-listen", addrs[0]}, srvArgs...)...); err != nil {
		return "", 0, "", nil, err
	}
	backPID, err := m.spawnAs(ctx, "floor-back", bin, append([]string{"-mode", "back", "-listen", addrs[1]}, srvArgs...)...)
	if err != nil {
		return "", 0, "", nil, err
	}
	if err := waitListening(ctx, addrs[1]); err != nil {
		return "", 0, "", nil, fmt.Errorf("floor back: %w", err)
	}
	frontPID, err := m.spawnAs(ctx, "floor-front", bin, "-mode", "front", "-listen", addrs[2], "-back", "ws://"+addrs[1]+"/ws")
	if err != nil {
		return "", 0, "", nil, err
	}
	single, split = "http://"+addrs[0]+"/mcp", "http://"+addrs[2]+"/mcp"
	for _, url := range []string{single, split} {
		if err := waitTool(ctx, url, "", srv.tool); err != nil {
			return "", 0, "", nil, fmt.Errorf("floor: %w", err)
		}
	}
	return single, singlePID, split, []int{frontPID, backPID}, nil
}

// waitListening waits until addr accepts a TCP connection.
func waitListening(ctx context.Context, addr string) error {
	var err error
	up := waitfor.Poll(60*time.Second, func() bool {
		var c net.Conn
		if c, err = net.Dial("tcp", addr); err == nil {
			c.Close()
		}
		return err == nil || ctx.Err() != nil
	})
	if !up || err != nil {
		return fmt.Errorf("%s not listening within 60 s: %w", addr, err)
	}
	return nil
}
