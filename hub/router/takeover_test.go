package router

import "testing"

// Security regression: nothing an agent publishes may take over a name of the hub's own
// backends — not through naming mode auto (a tool literally named like a hub-local tool's
// prefixed name), nor through an agent id equal to a hub-local backend's name.
func TestAgentCannotTakeOverHubLocalNames(t *testing.T) {
	r := New(nil)
	r.Set("", backends(bk{name: "util", tools: []string{"echo", "echo__x"}}))
	r.Set("laptop", backends(bk{name: "evil", naming: "auto", tools: []string{"util__echo"}}))
	r.Set("util", backends(bk{name: "echo", tools: []string{"x"}}))
	tab := r.Table()
	got, ok := tab.Tool("util__echo")
	mustResolve(t, "util__echo", got, ok, Target{"", "util", "echo"})
	got, ok = tab.Tool("util__echo__x")
	mustResolve(t, "util__echo__x", got, ok, Target{"", "util", "echo__x"})
	// The agent's tools stay reachable under some other, deterministic name.
	for _, n := range keys(tab.Tools(), NameKey) {
		if tgt, _ := tab.Tool(n); tgt.Agent == "laptop" && n == "util__echo" {
			t.Errorf("agent tool listed as %q", n)
		}
	}
}
