package update

import (
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// FuzzParseLatest: whatever the hub (or something posing as it) answers, the agent gets a
// release with a version it can compare, or an error — never a panic.
func FuzzParseLatest(f *testing.F) {
	for _, s := range []string{
		`{"version":"v1.2.3","os":"linux","arch":"amd64","url":"/api/v1/agent/releases/v1.2.3/mcp-gateway-agent_v1.2.3_linux_amd64.tar.gz","checksums_url":"/api/v1/agent/releases/v1.2.3/checksums.txt","signature_url":"/api/v1/agent/releases/v1.2.3/checksums.txt.sig","archive":"mcp-gateway-agent_v1.2.3_linux_amd64.tar.gz"}`,
		`{"version":"v2.0.0-rc.1"}`, `{"version":""}`, `{"version":"1.2"}`, `{}`, `[]`, `null`, `{"version":1}`, ``,
	} {
		f.Add([]byte(s), "v1.0.0")
	}
	f.Fuzz(func(t *testing.T, body []byte, current string) {
		rel, err := parseLatest(body, current)
		if err != nil {
			return
		}
		v, perr := release.ParseVersion(rel.Version)
		if perr != nil {
			t.Fatalf("accepted an unparsable version %q", rel.Version)
		}
		if cur, cerr := release.ParseVersion(current); cerr == nil && rel.Newer != (v.Compare(cur) > 0) {
			t.Fatalf("Newer = %v for %s over %s", rel.Newer, rel.Version, current)
		}
	})
}
