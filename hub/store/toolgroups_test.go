package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

func TestToolGroupsAndKeyGroups(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, b.config(t))
			mustOK(t, err)
			defer s.Close()

			g := &store.ToolGroupRecord{Name: "fs", Spec: `{"name":"fs","agents":["laptop"]}`, CreatedBy: "alice"}
			mustOK(t, s.CreateToolGroup(ctx, g))
			if err := s.CreateToolGroup(ctx, &store.ToolGroupRecord{Name: "fs", Spec: "{}"}); !errors.Is(err, store.ErrConflict) {
				t.Errorf("duplicate group: %v, want ErrConflict", err)
			}
			g.Spec = `{"name":"fs","agents":["desk"]}`
			mustOK(t, s.UpdateToolGroup(ctx, g))
			if err := s.UpdateToolGroup(ctx, &store.ToolGroupRecord{Name: "nope", Spec: "{}"}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("update of a missing group: %v, want ErrNotFound", err)
			}
			gs, err := s.ListToolGroups(ctx)
			mustOK(t, err)
			if len(gs) != 1 || gs[0].Spec != g.Spec || gs[0].CreatedBy != "alice" {
				t.Errorf("groups %+v", gs)
			}
			mustOK(t, s.DeleteToolGroup(ctx, "fs"))
			if err := s.DeleteToolGroup(ctx, "fs"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("second delete: %v, want ErrNotFound", err)
			}

			u := &store.User{Name: "alice", Role: "owner"}
			mustOK(t, s.CreateUser(ctx, u))
			limited := &store.APIKey{Name: "l", Prefix: "mcpgw_l", Hash: "h-l", Kind: store.KindUser, UserID: u.ID, Groups: []string{"fs", "docs"}}
			free := &store.APIKey{Name: "f", Prefix: "mcpgw_f", Hash: "h-f", Kind: store.KindUser, UserID: u.ID}
			mustOK(t, s.CreateKey(ctx, limited))
			mustOK(t, s.CreateKey(ctx, free))
			if got, err := s.GetKey(ctx, limited.ID); err != nil || !slices.Equal(got.Groups, []string{"fs", "docs"}) {
				t.Errorf("limited key: %+v, %v", got, err)
			}
			if got, err := s.GetKey(ctx, free.ID); err != nil || got.Groups != nil {
				t.Errorf("free key: %+v, %v", got, err)
			}
			bad := &store.APIKey{Name: "b", Prefix: "mcpgw_b", Hash: "h-b", Kind: store.KindUser, UserID: u.ID, Groups: []string{"a,b"}}
			if err := s.CreateKey(ctx, bad); err == nil {
				t.Error("a group name with a comma was stored")
			}
		})
	}
}
