package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEraMatrixTSModernBackend is the cell {legacy TypeScript SDK client} × {stateless
// backend}: the backend's input_required results become server→client requests on the
// client's session, and its list changes reach the client's GET stream. (The cell with the
// legacy backend is TestTSSDKClient.)
func TestEraMatrixTSModernBackend(t *testing.T) {
	node := nodeBin(t)
	hub := startModernBackendHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(repoRoot(t), "e2e", "ts", "era.mjs"), hub.URL, hub.OwnerKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("era.mjs: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	var r struct {
		Connect     struct{ Version *string }
		Tools       struct{ Count int }
		Call        struct{ Text string }
		Progress    struct{ Count int }
		Sampling    struct{ Text string }
		Elicitation struct{ Text string }
		Asked       int
		ListChanged struct{ Count int }
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("era.mjs output: %v\n%s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	t.Logf("era.mjs: %s", stdout.String())
	if r.Connect.Version == nil || *r.Connect.Version >= "2026-07-28" {
		t.Errorf("the TypeScript client negotiated %v, want a session-based version", r.Connect.Version)
	}
	if r.Tools.Count < 10 || r.Call.Text == "" {
		t.Errorf("tools %d, call %q", r.Tools.Count, r.Call.Text)
	}
	if r.Progress.Count == 0 {
		t.Error("no progress notifications")
	}
	if !strings.Contains(r.Sampling.Text, "sampled by the typescript client") {
		t.Errorf("sampling: %q", r.Sampling.Text)
	}
	if !strings.Contains(r.Elicitation.Text, "ada likes green") {
		t.Errorf("two elicitation rounds: %q", r.Elicitation.Text)
	}
	if r.Asked != 3 {
		t.Errorf("the client was asked %d times, want 3 (one sampling, two elicitations)", r.Asked)
	}
	if r.ListChanged.Count == 0 {
		t.Error("no tools/list_changed")
	}
}
