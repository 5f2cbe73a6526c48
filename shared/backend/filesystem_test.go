package backend

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStdioFilesystem(t *testing.T) {
	srv := needNode(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "note.txt")
	if err := os.WriteFile(file, []byte("hello from the gateway test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := NewSet([]Config{{Name: "fs", Transport: TransportStdio, Command: "node",
		Args: []string{srv.filesystem, dir}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- set.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Set.Run: %v", err)
		}
	}()
	b, ok := set.Get("fs")
	if !ok {
		t.Fatal("Get(fs) not found")
	}
	(&running{Backend: b}).waitReady(t)
	if snaps := set.Snapshots(); len(snaps) != 1 || !hasTool(snaps[0], "read_text_file") {
		t.Fatalf("snapshots: %+v", snaps)
	}
	resp, err := set.Call(context.Background(), "fs", &Call{Request: toolCall(t, 1, "read_text_file", map[string]any{"path": file}, nil)})
	if got := resultText(t, resp, err); !strings.Contains(got, "hello from the gateway test") {
		t.Errorf("read_text_file: %q", got)
	}
	// A path outside the allowed directory is the server's error, not a Go error.
	resp, err = set.Call(context.Background(), "fs", &Call{Request: toolCall(t, 2, "read_text_file", map[string]any{"path": "/etc/hostname"}, nil)})
	if err != nil || !strings.Contains(string(resp.Result)+errText(resp.Error), "denied") {
		t.Errorf("outside read: %v %s %v", err, resp.Result, resp.Error)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
