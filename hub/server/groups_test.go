package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// groupServed reports whether hub h serves the tool group's endpoint (initialize answers).
func groupServed(t *testing.T, h *hubtest.Hub, group string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.URL+"/mcp/"+group, strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+h.OwnerKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// A tool group created, then deleted, through one hub is served, then not, by the other
// (LISTEN/NOTIFY on tool_groups).
func TestClusterGroupsReachEveryHub(t *testing.T) {
	hubs := hubtest.Cluster(t, 2, nil)
	a, b := hubs[0], hubs[1]
	if groupServed(t, b, "shared") {
		t.Fatal("group served on B before it was created")
	}
	apiCall(t, a, "POST", "/groups/shared", map[string]any{"tools": []string{"echo__*"}}, http.StatusCreated)
	within(t, "group created on A served on B", func() bool { return groupServed(t, b, "shared") })
	apiCall(t, a, "DELETE", "/groups/shared", nil, http.StatusNoContent)
	within(t, "group deleted on A gone on B", func() bool { return !groupServed(t, b, "shared") })
}
