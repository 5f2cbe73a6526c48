// Package hubtest starts a real hub on 127.0.0.1:0 with SQLite in a temporary directory,
// for tests in any package.
package hubtest

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/server"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
)

// Hub is a running hub.
type Hub struct {
	URL      string // http://127.0.0.1:PORT
	OwnerKey string
	Server   *server.Server
	DataDir  string
	stop     func() error
	dbURL    string // "": SQLite in DataDir
}

// Stop ends the hub as SIGTERM ends the real one (draining first when the test set
// drain_timeout) and returns what Run returned. The test's end stops it otherwise.
func (h *Hub) Stop() error { return h.stop() }

// Start starts a hub with the default configuration except for rate limits (off); mod may
// change it first. It stops when the test ends.
func Start(t testing.TB, mod func(*config.Config)) *Hub {
	t.Helper()
	return start(t, t.TempDir(), "", mod)
}

// Cluster starts n hubs on one fresh PostgreSQL schema (storetest.PostgresURL: skipped when
// no server answers, failed under CI), each with its own data directory holding the same
// master key, as docs/SCALING.md deploys them. They share the owner and its key.
func Cluster(t testing.TB, n int, mod func(*config.Config)) []*Hub {
	t.Helper()
	url := storetest.PostgresURL(t)
	var hubs []*Hub
	var key []byte
	for i := range n {
		dir := t.TempDir()
		if i > 0 {
			if err := os.WriteFile(filepath.Join(dir, masterkey.FileName), key, 0o600); err != nil {
				t.Fatalf("hubtest: %v", err)
			}
		}
		h := start(t, dir, url, mod)
		if i == 0 {
			var err error
			if key, err = os.ReadFile(filepath.Join(h.DataDir, masterkey.FileName)); err != nil {
				t.Fatalf("hubtest: %v", err)
			}
		} else {
			h.OwnerKey = hubs[0].OwnerKey
		}
		hubs = append(hubs, h)
	}
	return hubs
}

// start starts a hub in dir; with a database URL it joins that database, whose owner the
// first hub created.
func start(t testing.TB, dir, databaseURL string, mod func(*config.Config)) *Hub {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.DatabaseURL = databaseURL
	cfg.Listen = "127.0.0.1:0"
	// No rate limits unless mod sets them: tests and benchmarks make calls as fast as they
	// can with one key, and must measure the hub, not the limiter's refusals.
	cfg.Limits.KeyRate, cfg.Limits.ApplicationRate = 0, 0
	// No draining: a test that ends with a call still hanging stops its hub at once, as
	// before drain_timeout existed; tests of draining set it (hub/server TestDrain*).
	cfg.DrainTimeout = config.Duration{}
	if mod != nil {
		mod(&cfg)
	}
	level := slog.LevelWarn
	if os.Getenv("MCPGW_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("hubtest: %v", err)
	}
	var key string
	if _, err := s.Store.GetUserByName(ctx, "owner"); err != nil {
		if _, key, err = auth.CreateOwner(ctx, s.Store, "owner"); err != nil {
			cancel()
			t.Fatalf("hubtest: create owner: %v", err)
		}
	}
	if err := s.Keys.Refresh(ctx); err != nil {
		cancel()
		t.Fatalf("hubtest: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		cancel()
		t.Fatalf("hubtest: listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("hubtest: hub exited: %v", err)
		}
	})
	return &Hub{URL: "http://" + ln.Addr().String(), OwnerKey: key, Server: s, DataDir: cfg.DataDir, stop: stop, dbURL: databaseURL}
}

// Restart stops h and starts a new hub on its data directory and database (on another
// port), as a restarted hub; the owner's key stays.
func (h *Hub) Restart(t testing.TB, mod func(*config.Config)) *Hub {
	t.Helper()
	if err := h.Stop(); err != nil {
		t.Fatalf("hubtest: stop before restart: %v", err)
	}
	n := start(t, h.DataDir, h.dbURL, mod)
	n.OwnerKey = h.OwnerKey
	return n
}

// MCPURL is the client endpoint.
func (h *Hub) MCPURL() string { return h.URL + "/mcp" }

// AgentURL is the agents' WebSocket endpoint.
func (h *Hub) AgentURL() string { return "ws" + h.URL[len("http"):] + "/agent/ws" }

// EnrollAgent enrolls an agent id and returns its key.
func (h *Hub) EnrollAgent(t testing.TB, id string) string {
	t.Helper()
	ctx := context.Background()
	_, key, err := auth.EnrollAgent(ctx, h.Server.Store, id)
	if err != nil {
		t.Fatalf("hubtest: enroll %s: %v", id, err)
	}
	if err := h.Server.Keys.Refresh(ctx); err != nil {
		t.Fatalf("hubtest: %v", err)
	}
	return key
}
