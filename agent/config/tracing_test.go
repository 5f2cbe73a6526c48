package config

import (
	"strings"
	"testing"
)

// TestTracingTable: [tracing] is read into Tracing, checked, and kept when the file is
// rewritten (setup, backends add).
func TestTracingTable(t *testing.T) {
	c := Defaults()
	text := "[agent]\nagent_id = \"a\"\ngateway_url = \"ws://127.0.0.1:1/agent/ws\"\napi_key = \"mcpgw_x\"\n\n" +
		"[tracing]\nendpoint = \"http://127.0.0.1:4318\"\nsample_ratio = 0.25\n"
	if err := c.Parse(text); err != nil {
		t.Fatal(err)
	}
	if c.Tracing.Endpoint != "http://127.0.0.1:4318" || c.Tracing.SampleRatio == nil || *c.Tracing.SampleRatio != 0.25 {
		t.Fatalf("tracing: %+v", c.Tracing)
	}
	if len(c.Unknown) != 0 {
		t.Fatalf("[tracing] reported as not understood: %v", c.Unknown)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "[tracing]") || !strings.Contains(string(out), `endpoint = "http://127.0.0.1:4318"`) {
		t.Fatalf("rewritten config lost [tracing]:\n%s", out)
	}
	bad := Defaults()
	if err := bad.Parse(strings.Replace(text, "http://127.0.0.1:4318", "127.0.0.1:4318", 1)); err != nil {
		t.Fatal(err)
	}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "tracing.endpoint") {
		t.Fatalf("an endpoint without scheme: %v", err)
	}
}
