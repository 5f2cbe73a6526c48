package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// Tool groups through the REST API: hub.toml's are listed and read-only, API ones are
// created, replaced and deleted, bad ones refused with the problem named; a key limited to
// groups reaches its groups' endpoints and nothing else, and only existing groups.
func TestGroupsAPI(t *testing.T) {
	h := hubtest.Start(t, func(c *config.Config) {
		c.Groups = []config.Group{{Name: "fromfile", Tools: []string{"*__read*"}}}
	})
	owner := newClient(t, h, h.OwnerKey)
	var list api.List[api.Group]
	owner.must(200, "GET", "/groups", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Source != "hub.toml" || list.Items[0].Endpoint != "/mcp/fromfile" {
		t.Fatalf("groups %+v", list.Items)
	}
	for path, body := range map[string]map[string]any{
		"/groups/fromfile": {"agents": []string{"x"}},                 // hub.toml's
		"/groups/Bad":      {"agents": []string{"x"}},                 // name
		"/groups/empty":    {},                                        // selects nothing
		"/groups/glob":     {"tools": []string{"[x"}},                 // glob
		"/groups/risky":    {"risks": []string{"spicy"}},              // risk
		"/groups/other":    {"name": "x", "agents": []string{"a"}},    // name mismatch
		"/groups/surf":     {"agents": []string{"a"}, "surface": "x"}, // surface
	} {
		r := owner.do("POST", path, body)
		if r.Status != http.StatusBadRequest && r.Status != http.StatusConflict {
			t.Errorf("POST %s %v: %d %s, want 400 or 409", path, body, r.Status, r)
		}
	}
	var g api.Group
	owner.must(201, "POST", "/groups/docs", map[string]any{"agents": []string{"laptop"}, "description": "docs"}, &g)
	if g.Name != "docs" || g.Source != "api" || g.Endpoint != "/mcp/docs" {
		t.Errorf("created %+v", g)
	}
	if r := owner.do("POST", "/groups/docs", map[string]any{"agents": []string{"laptop"}}); r.Status != http.StatusConflict {
		t.Errorf("second create: %d %s", r.Status, r)
	}
	owner.must(200, "PUT", "/groups/docs", map[string]any{"backends": []string{"laptop/fs"}}, &g)
	owner.must(200, "GET", "/groups", nil, &list)
	if len(list.Items) != 2 || list.Items[1].Backends[0] != "laptop/fs" {
		t.Errorf("after update %+v", list.Items)
	}

	// The surface: set by PATCH without restating the selectors, cleared with "", refused
	// when bad or for hub.toml's group.
	disc, bad, none := "discovery", "everything", ""
	owner.must(200, "PATCH", "/groups/docs", api.UpdateGroupRequest{Surface: &disc}, &g)
	if g.Surface != "discovery" || len(g.Backends) != 1 || g.Backends[0] != "laptop/fs" {
		t.Errorf("after PATCH surface %+v", g)
	}
	owner.must(200, "GET", "/groups", nil, &list)
	if list.Items[1].Surface != "discovery" {
		t.Errorf("listed after PATCH %+v", list.Items[1])
	}
	if gr, ok := h.Server.GW.Group("docs"); !ok || gr.Spec.Surface != "discovery" {
		t.Errorf("the gateway serves %+v", gr)
	}
	for _, c := range []struct {
		path string
		body any
		want int
	}{
		{"/groups/docs", api.UpdateGroupRequest{Surface: &bad}, http.StatusBadRequest},
		{"/groups/docs", map[string]any{}, http.StatusBadRequest},
		{"/groups/fromfile", api.UpdateGroupRequest{Surface: &disc}, http.StatusConflict},
		{"/groups/nosuch", api.UpdateGroupRequest{Surface: &disc}, http.StatusNotFound},
	} {
		if r := owner.do("PATCH", c.path, c.body); r.Status != c.want {
			t.Errorf("PATCH %s %+v: %d %s, want %d", c.path, c.body, r.Status, r, c.want)
		}
	}
	g = api.Group{}
	owner.must(200, "PATCH", "/groups/docs", api.UpdateGroupRequest{Surface: &none}, &g)
	if g.Surface != "" {
		t.Errorf("surface not cleared: %+v", g)
	}

	// Its members now (hub.toml's group: the test hub's tools named *__read*, if any).
	var members api.List[api.GroupTool]
	owner.must(200, "GET", "/groups/fromfile/tools", nil, &members)
	for _, m := range members.Items {
		if !strings.Contains(m.Name, "__read") {
			t.Errorf("group fromfile has %+v", m)
		}
	}
	if r := owner.do("GET", "/groups/nosuch/tools", nil); r.Status != http.StatusNotFound {
		t.Errorf("tools of a missing group: %d", r.Status)
	}

	// Keys limited to groups: only existing groups, and then only those endpoints.
	if r := owner.do("POST", "/api-keys", api.CreateKeyRequest{Name: "bad", Groups: []string{"nosuch"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Message(), "nosuch") {
		t.Errorf("key for a missing group: %d %s", r.Status, r)
	}
	var k api.APIKey
	owner.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "limited", Groups: []string{"docs"}}, &k)
	if len(k.Groups) != 1 || k.Groups[0] != "docs" {
		t.Errorf("key groups %v", k.Groups)
	}
	connect := func(key, path string) error {
		cl := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil)
		s, err := cl.Connect(context.Background(), &mcp.StreamableClientTransport{
			Endpoint: h.URL + path, HTTPClient: &http.Client{Transport: bearer{key}}}, nil)
		if err == nil {
			s.Close()
		}
		return err
	}
	if err := connect(k.Key, "/mcp/docs"); err != nil {
		t.Errorf("limited key at its group: %v", err)
	}
	for _, p := range []string{"/mcp", "/mcp/fromfile"} {
		if err := connect(k.Key, p); err == nil {
			t.Errorf("limited key reached %s", p)
		}
	}
	for _, p := range []string{"/mcp", "/mcp/fromfile", "/mcp/docs"} {
		if err := connect(h.OwnerKey, p); err != nil {
			t.Errorf("unlimited key at %s: %v", p, err)
		}
	}
	owner.must(204, "DELETE", "/groups/docs", nil, nil)
	if err := connect(h.OwnerKey, "/mcp/docs"); err == nil {
		t.Error("a deleted group is still served")
	}
	if r := owner.do("DELETE", "/groups/fromfile", nil); r.Status != http.StatusConflict {
		t.Errorf("delete hub.toml's group: %d", r.Status)
	}
}
