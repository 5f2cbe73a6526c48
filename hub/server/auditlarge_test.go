package server_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
)

// TestLargeRequestRedactedLikeASmallOne: a request from 8 KiB up is hashed and redacted
// while its backend runs (the gateway's overlapped audit work), by the real recorder. Its
// event must hide the secret it carries exactly as a small request's does, keep its hash,
// and come out truncated to the payload bound; the small one, both ways, is the control.
func TestLargeRequestRedactedLikeASmallOne(t *testing.T) {
	var ran atomic.Int64
	h := startCountingHub(t, &ran, nil)
	cs := connectOwner(t, h)
	const secret = "hunter2-0123456789"
	for _, size := range []int{10, 32 << 10} {
		note := "password=" + secret + " " + strings.Repeat("lorem ipsum ", size/12)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "disk__count", Arguments: map[string]any{"note": note}})
		cancel()
		if err != nil || res.IsError {
			t.Fatalf("%d bytes: %v %+v", size, err, res)
		}
	}
	evs := auditEvents(t, h, "disk__count")
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	for _, ev := range evs {
		large := strings.Contains(ev.Request, `"truncated":true`)
		if strings.Contains(ev.Request, secret) || !strings.Contains(ev.Request, audit.Redacted) {
			t.Errorf("request (large %v) stored without its secret redacted: %.200s", large, ev.Request)
		}
		if len(ev.RequestHash) != 64 || ev.RequestHash == audit.Hash(nil) {
			t.Errorf("request (large %v): hash %q", large, ev.RequestHash)
		}
		if len(ev.Request) > 4096 {
			t.Errorf("request (large %v): %d bytes stored, over the 4096-byte bound", large, len(ev.Request))
		}
	}
	if !strings.Contains(evs[0].Request, `"truncated":true`) && !strings.Contains(evs[1].Request, `"truncated":true`) {
		t.Error("neither event holds the large request (truncated)")
	}
}
