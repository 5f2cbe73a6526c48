package config

import (
	"strings"
	"testing"
	"time"
)

func TestUpdateSettings(t *testing.T) {
	base := "[agent]\nagent_id = \"a\"\ngateway_url = \"ws://h/agent/ws\"\napi_key = \"k\"\n"
	c := Defaults()
	if err := c.Parse(base); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || !c.Agent.AutoUpdate || c.Agent.Grace() != 2*time.Minute || c.Agent.Interval() != 24*time.Hour {
		t.Fatalf("defaults: %v %+v", err, c.Agent)
	}
	c = Defaults()
	c.Parse(base + "auto_update = false\nupdate_grace = \"500ms\"\nupdate_interval = \"1h\"\nrelease_public_key = \"" + strings.Repeat("A", 43) + "=\"\n")
	if err := c.Validate(); err != nil || c.Agent.AutoUpdate || c.Agent.Grace() != 500*time.Millisecond || c.Agent.Interval() != time.Hour {
		t.Fatalf("set: %v %+v", err, c.Agent)
	}
	out, err := c.Marshal()
	if err != nil || !strings.Contains(string(out), "auto_update = false") {
		t.Fatalf("auto_update = false is lost when the file is rewritten: %v\n%s", err, out)
	}
	c = Defaults()
	c.Parse(base + "update_grace = \"soon\"\nupdate_interval = \"1ms\"\nrelease_public_key = \"short\"\n")
	err = c.Validate()
	for _, want := range []string{"agent.update_grace: \"soon\" is not a duration", "agent.update_interval: 1ms is shorter", "agent.release_public_key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %q", err, want)
		}
	}
}
