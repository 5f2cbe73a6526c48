package connector

import (
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// With a hub that welcomes capability 4 the agent serves direct call streams as lanes (one
// call after another on a stream); with a hub that welcomes 3 it serves yamux lanes as
// before, and the hub's end never turns direct streams on.
func TestCallStreamsByHubCapability(t *testing.T) {
	const call = `{"backend":"fs","caller":{"name":"alice"},"message":{"jsonrpc":"2.0","id":%ID%,"method":"tools/call","params":{"name":"read_file"}}}`
	callN := func(id string) string { return strings.ReplaceAll(call, "%ID%", id) }
	for _, hubCap := range []int{protocol.CapabilityDirect, protocol.CapabilityLanes} {
		h := startFakeHub(t, nil)
		a, _ := startTestAgent(t, h.url(), Options{})
		a.calls.backends = answeringBackends{}
		c := h.next(t)
		var hello protocol.Hello
		readJSON(t, c.ctrl, protocol.TypeHello, &hello)
		if hello.Capability != protocol.CapabilityVersion || protocol.CapabilityVersion < protocol.CapabilityDirect {
			t.Fatalf("hello capability %d", hello.Capability)
		}
		if err := protocol.WriteJSON(c.ctrl, protocol.TypeWelcome, protocol.Welcome{AgentID: "laptop", Capability: hubCap}); err != nil {
			t.Fatal(err)
		}
		var st tunnel.Stream
		var err error
		if hubCap >= protocol.CapabilityDirect {
			c.sess.Direct().Enable()
			st, err = c.sess.Direct().Open()
		} else {
			st, err = c.sess.OpenStream()
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"1", "2", "3"} {
			got := string(hubCallOn(t, st, callN(id)))
			if !strings.Contains(got, `"id":`+id) || !strings.Contains(got, `"content":[]`) {
				t.Fatalf("capability %d, call %s: result %s", hubCap, id, got)
			}
		}
		_ = st.Close()
		_, isDirect := st.(*tunnel.DirectStream)
		if isDirect != (hubCap >= protocol.CapabilityDirect) {
			t.Fatalf("capability %d: direct stream %v", hubCap, isDirect)
		}
	}
}
