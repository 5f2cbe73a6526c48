package rbac

import (
	"fmt"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// benchAuthorizer has the built-in roles and a custom role with 20 allow and 20 deny globs.
func benchAuthorizer(tb testing.TB) *Authorizer {
	r := store.Role{Name: "dev", Permissions: []string{ToolsCall, ToolsRead}}
	for i := range 20 {
		r.ToolAllow = append(r.ToolAllow, fmt.Sprintf("backend%d__*", i))
		r.ToolDeny = append(r.ToolDeny, fmt.Sprintf("*delete%d*", i))
	}
	return newStored(tb, storetest.New(tb), r)
}

// The hot path must not allocate: Can and ToolAllowed run on every tools/call and for
// every tool of every tools/list.
func TestHotPathDoesNotAllocate(t *testing.T) {
	a := benchAuthorizer(t)
	names := []string{"laptop__backend19__read_file", "backend19__read_file", "read_file"}
	var sink bool
	allocs := testing.AllocsPerRun(1000, func() {
		sink = a.Can(RoleViewer, ToolsCall) != a.Can("dev", UsersWrite)
		sink = a.ToolAllowed("dev", names...) || sink
		sink = a.ToolAllowed(RoleOwner, names[0], names[1], names[2]) || sink
		sink = a.ToolAllowed("ghost", names...) || sink
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
	// Through an interface, as the gateway holds it: the fixed-arity form does not allocate.
	h := hold(a)
	allocs = testing.AllocsPerRun(1000, func() {
		sink = h.rb.AllowsTool("dev", names[0], names[1], names[2]) || sink
		sink = h.rb.Can(RoleOperator, ToolsCall) || sink
	})
	if allocs != 0 {
		t.Errorf("through an interface: %v allocations per run, want 0", allocs)
	}
	_ = sink
}

type hotPath interface {
	Can(role, perm string) bool
	AllowsTool(role, exposed, alias, original string) bool
}

type holder struct{ rb hotPath }

//go:noinline
func hold(a *Authorizer) *holder { return &holder{rb: a} }

func BenchmarkCan(b *testing.B) {
	a := New(nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		a.Can(RoleOperator, ToolsCall)
	}
}

func BenchmarkToolAllowed(b *testing.B) {
	a := benchAuthorizer(b)
	for _, c := range []struct{ name, role, tool string }{
		{"builtin", RoleViewer, "laptop__backend19__read_file"},
		{"40globs-allowed", "dev", "backend19__read_file"},
		{"40globs-refused", "dev", "other__read_file"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.ToolAllowed(c.role, c.tool, "", "read_file")
			}
		})
	}
}
