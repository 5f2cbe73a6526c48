package integrity

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// loadTools reads a tools/list capture from testdata (taken over stdio from the reference
// servers installed in e2e/node_modules).
func loadTools(t testing.TB, server string) []json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", server+".tools.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tools []json.RawMessage
	if err := json.Unmarshal(raw, &tools); err != nil {
		t.Fatal(err)
	}
	return tools
}

// TestRealServersAreClean: no tool of server-everything, server-filesystem or server-memory is flagged.
func TestRealServersAreClean(t *testing.T) {
	n := 0
	for _, server := range []string{"server-everything", "server-filesystem", "server-memory"} {
		for _, tool := range loadTools(t, server) {
			n++
			var name struct{ Name string }
			_ = json.Unmarshal(tool, &name)
			for _, f := range Scan(tool) {
				t.Errorf("%s/%s: %s", server, name.Name, f)
			}
		}
	}
	if n != 39 {
		t.Errorf("scanned %d tools, want the 39 captured", n)
	}
}
