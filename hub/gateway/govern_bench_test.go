package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
)

// BenchmarkCallUngoverned and BenchmarkCallGoverned: one tools/call through the gateway
// in-process (fake upstream that answers at once), without and with the whole governance
// chain as the hub runs it — the tool registry, RBAC with a custom role of 20 allow and 20
// deny globs, a 50-rule policy whose last rule decides, and the durable audit Recorder on
// SQLite (journal write before the response, payloads redacted and hashed, the shipper
// inserting into the store meanwhile). The difference of the p50s is what governance adds.
func BenchmarkCallUngoverned(b *testing.B) { benchGoverned(b, false) }
func BenchmarkCallGoverned(b *testing.B)   { benchGoverned(b, true) }

func benchGoverned(b *testing.B, governed bool) {
	r := router.New(nil)
	r.Set("", hubBackends())
	gw := New(Config{KeepAlive: time.Hour}, keys, r, newFakeUpstream(), slog.New(slog.DiscardHandler))
	if governed {
		governBench(b, gw, r)
	}
	mux := http.NewServeMux()
	gw.Mount(mux)
	hdr := sessionHeaders(b, mux)
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"util__echo","arguments":{"message":"hi","path":"/srv/data/x"}}}`)
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		benchPost(b, mux, body, hdr)
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

func governBench(b *testing.B, gw *Gateway, r *router.Router) {
	ctx, cancel := context.WithCancel(context.Background())
	st := storetest.New(b)
	authz := rbac.New(st, slog.New(slog.DiscardHandler))
	role := &store.Role{Name: "admin", Permissions: []string{"tools.call"}}
	for i := range 20 {
		role.ToolAllow = append(role.ToolAllow, fmt.Sprintf("team%d__*", i))
		role.ToolDeny = append(role.ToolDeny, fmt.Sprintf("*__danger%d*", i))
	}
	role.ToolAllow[19] = "util__*"
	if err := authz.CreateRole(ctx, role); err != nil {
		b.Fatal(err)
	}
	rec, err := audit.Open(ctx, audit.Config{Dir: b.TempDir(), Store: st}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done; rec.Close() })
	reg := tools.New(st, tools.Options{Tables: r})
	gw.SetGovernance(Governance{Tools: reg, RBAC: authz, Audit: rec})

	var p strings.Builder
	p.WriteString("default = \"deny\"\n")
	for i := range 49 {
		fmt.Fprintf(&p, "[[rules]]\nname = \"r%d\"\neffect = \"deny\"\ntools = [\"other%d__*\"]\nroles = [\"viewer\"]\n", i, i)
	}
	p.WriteString("[[rules]]\nname = \"admin-echo\"\neffect = \"allow\"\ntools = [\"*__echo\"]\nroles = [\"admin\"]\nwhen = [{ arg = \"path\", under = \"/srv/data\" }]\n")
	pol, err := policy.Parse([]byte(p.String()))
	if err != nil {
		b.Fatal(err)
	}
	gw.SetPolicy(pol)
}
