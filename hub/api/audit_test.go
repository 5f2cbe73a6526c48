package api_test

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// waitAudit polls GET /audit with query until it returns at least n events.
func waitAudit(t *testing.T, c *client, query string, n int) []audit.JSONEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page api.List[audit.JSONEvent]
		c.must(200, "GET", "/audit?"+query, nil, &page)
		if len(page.Items) >= n {
			return page.Items
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit %q: %d events after 10s, want %d: %+v", query, len(page.Items), n, page.Items)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAdminChangesAreAudited(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	var u api.User
	owner.must(201, "POST", "/users", api.CreateUserRequest{Name: "erin", Role: "viewer", Password: pw}, &u)
	var k api.APIKey
	owner.must(201, "POST", "/api-keys", api.CreateKeyRequest{Name: "tmp", Scope: "all", UserID: u.ID}, &k)
	owner.must(204, "DELETE", "/api-keys/"+k.ID, nil, nil)
	owner.must(201, "POST", "/agents", api.EnrollAgentRequest{ID: "box"}, nil)
	login(t, h, "erin", "wrong password here")

	evs := waitAudit(t, owner, "kind=admin", 4)
	want := []struct{ action, target string }{{"agents.enroll", "box"}, {"keys.revoke", k.ID}, {"keys.create", k.ID}, {"users.create", u.ID}}
	for i, w := range want { // newest first
		e := evs[i]
		if e.Action != w.action || e.Target != w.target || e.Caller != "owner" || e.Role != "owner" || e.Status != "ok" || e.TraceID == "" {
			t.Errorf("event %d: %+v, want %s %s by owner", i, e, w.action, w.target)
		}
	}
	if !strings.Contains(evs[3].Detail, `"name":"erin"`) || strings.Contains(evs[3].Detail, pw) {
		t.Errorf("users.create detail %q: want the name, never the password", evs[3].Detail)
	}
	logins := waitAudit(t, owner, "kind=login", 1)
	if logins[0].Status != "error" || logins[0].UserID != u.ID || strings.Contains(logins[0].Error+logins[0].Detail, "wrong password here") {
		t.Errorf("failed login event: %+v", logins[0])
	}

	var st api.AuditStats
	owner.must(200, "GET", "/audit/stats?kind=admin", nil, &st)
	if st.Total != 4 || st.ByKind["admin"] != 4 {
		t.Errorf("stats: %+v", st)
	}
	// Pages follow the cursor without overlap.
	var page api.List[audit.JSONEvent]
	owner.must(200, "GET", "/audit?kind=admin&limit=3", nil, &page)
	if len(page.Items) != 3 || page.Next == "" {
		t.Fatalf("first page: %d items, next %q", len(page.Items), page.Next)
	}
	var page2 api.List[audit.JSONEvent]
	owner.must(200, "GET", "/audit?kind=admin&limit=3&cursor="+page.Next, nil, &page2)
	if len(page2.Items) != 1 || page2.Items[0].ID != evs[3].ID || page2.Next != "" {
		t.Errorf("second page: %+v next %q", page2.Items, page2.Next)
	}

	// Export: JSON lines, the same events.
	req, _ := http.NewRequest("GET", h.URL+"/api/v1/audit/export?kind=admin", nil)
	req.Header.Set("Authorization", "Bearer "+h.OwnerKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("export content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	var ids []string
	for sc.Scan() {
		var e audit.JSONEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		ids = append(ids, e.ID)
	}
	if len(ids) != 4 || ids[0] != evs[0].ID {
		t.Fatalf("export ids %v", ids)
	}

	// CSV: a header, then the same events in the same order.
	req, _ = http.NewRequest("GET", h.URL+"/api/v1/audit/export?kind=admin&format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+h.OwnerKey)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	if ct := resp2.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("csv content type %q", ct)
	}
	rows, err := csv.NewReader(resp2.Body).ReadAll()
	if err != nil || len(rows) != 5 || rows[0][0] != "id" || rows[0][2] != "kind" || rows[1][0] != evs[0].ID || rows[4][0] != evs[3].ID || rows[1][2] != "admin" {
		t.Fatalf("csv export: %v, %v", rows, err)
	}
	owner.must(400, "GET", "/audit/export?format=xml", nil, nil)
}
