package connector

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// Check against a real hub: accepted, refused (unknown key, key of another agent id),
// unreachable, and something that is not a hub.
func TestCheckRealHub(t *testing.T) {
	h := hubtest.Start(t, nil)
	key := h.EnrollAgent(t, "laptop")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := Options{HandshakeTimeout: 5 * time.Second}

	w, err := Check(ctx, config.Agent{AgentID: "laptop", GatewayURL: h.AgentURL(), APIKey: key}, opts)
	if err != nil || w.AgentID != "laptop" {
		t.Fatalf("good key: welcome %+v, err %v", w, err)
	}

	_, err = Check(ctx, config.Agent{AgentID: "laptop", GatewayURL: h.AgentURL(), APIKey: "mcpgw_wrong"}, opts)
	if !errors.Is(err, ErrRefused) || errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "revoked agent key") {
		t.Errorf("unknown key: %v; want ErrRefused with the hub's reason", err)
	}

	_, err = Check(ctx, config.Agent{AgentID: "desktop", GatewayURL: h.AgentURL(), APIKey: key}, opts)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), `bound to agent "laptop"`) {
		t.Errorf("key of another agent: %v; want ErrRefused naming the bound agent", err)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "ws://" + ln.Addr().String() + "/agent/ws"
	ln.Close()
	_, err = Check(ctx, config.Agent{AgentID: "laptop", GatewayURL: dead, APIKey: key}, opts)
	if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrRefused) {
		t.Errorf("closed port: %v; want ErrUnreachable", err)
	}

	web := httptest.NewServer(http.NotFoundHandler())
	defer web.Close()
	_, err = Check(ctx, config.Agent{AgentID: "laptop", GatewayURL: "ws" + web.URL[4:] + "/agent/ws", APIKey: key}, opts)
	if err == nil || errors.Is(err, ErrRefused) || errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("not a hub: %v; want an error naming HTTP 404", err)
	}
}
