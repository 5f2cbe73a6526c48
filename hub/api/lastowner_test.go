package api_test

import (
	"context"
	"sync"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// Regression: two owners demoting each other at the same moment both passed the "another
// enabled owner remains" check and left the hub with none. The check and the write are one
// step now: of the two demotions exactly one succeeds; the other is refused (409 as the
// last owner, or 403 once its caller is no longer an owner).
func TestConcurrentDemotionsKeepAnOwner(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Start(t, nil)
	root := newClient(t, h, h.OwnerKey)
	u1, c1 := userWithKey(t, h, "ann", "owner")
	u2, c2 := userWithKey(t, h, "ben", "owner")
	var me api.Me
	root.must(200, "GET", "/auth/me", nil, &me)
	viewer := "viewer"
	root.must(200, "PATCH", "/users/"+me.ID, api.UpdateUserRequest{Role: &viewer}, nil)
	st := h.Server.Store
	for round := range 100 {
		for _, id := range []string{u1.ID, u2.ID} { // both owners again
			u, err := st.GetUser(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			u.Role = "owner"
			if err := st.UpdateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.Server.Keys.Invalidate(ctx); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		status := make([]int, 2)
		for i, step := range []struct {
			c      *client
			target string
		}{{c1, u2.ID}, {c2, u1.ID}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status[i] = step.c.do("PATCH", "/users/"+step.target, api.UpdateUserRequest{Role: &viewer}).Status
			}()
		}
		wg.Wait()
		users, err := st.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		owners := 0
		for _, u := range users {
			if u.Role == "owner" && !u.Disabled {
				owners++
			}
		}
		ok := status[0] == 200 && status[1] != 200 || status[1] == 200 && status[0] != 200
		if owners != 1 || !ok {
			t.Fatalf("round %d: statuses %v, %d enabled owners left; want one 200 and one refusal, one owner", round, status, owners)
		}
	}
}
