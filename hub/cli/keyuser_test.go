package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// `keys create --user` and `keys list --user` take a user's name as well as an id (the
// README's `keys create --user ID`: users are made by name, and their ids are not shown
// there); an unknown one is refused, naming it.
func TestKeysUserByName(t *testing.T) {
	h := hubtest.Start(t, nil)
	out, err := hubCLI(t, h, "", "users", "create", "bob", "--role", "viewer", "--json")
	var bob struct {
		ID string `json:"id"`
	}
	if err != nil || json.Unmarshal([]byte(out), &bob) != nil || bob.ID == "" {
		t.Fatalf("users create: %v %s", err, out)
	}
	mustCLI(t, h, "shown once", "keys", "create", "--user", "bob", "--app", "cursor", "--name", "by-name")
	mustCLI(t, h, "shown once", "keys", "create", "--user", bob.ID, "--name", "by-id")
	out = mustCLI(t, h, "by-name", "keys", "list", "--user", "bob", "--json")
	var keys struct {
		Items []struct {
			Name   string `json:"name"`
			UserID string `json:"user_id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("keys list: %v %s", err, out)
	}
	names := map[string]bool{}
	for _, k := range keys.Items {
		names[k.Name] = true
		if k.UserID != bob.ID {
			t.Errorf("key %s of user %s, want bob (%s)", k.Name, k.UserID, bob.ID)
		}
	}
	if !names["by-name"] || !names["by-id"] {
		t.Errorf("bob's keys: %s", out)
	}
	if out, err := hubCLI(t, h, "", "keys", "create", "--user", "nobody", "--name", "x"); err == nil || !strings.Contains(err.Error()+out, `"nobody"`) {
		t.Errorf("keys create --user nobody: %v %s; want a refusal naming nobody", err, out)
	}
}
