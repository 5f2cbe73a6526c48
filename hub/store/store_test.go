package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// backend describes how to get a fresh, empty database configuration per test.
type backend struct {
	name   string
	config func(t *testing.T) store.Config
}

var backends = []backend{
	{"sqlite", func(t *testing.T) store.Config { return store.Config{DataDir: t.TempDir()} }},
	{"postgres", func(t *testing.T) store.Config {
		return store.Config{DatabaseURL: storetest.PostgresURL(t), DataDir: t.TempDir()} // DataDir: master.key
	}},
}

// suite is run against every backend; each case gets its own fresh store.
var suite = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"Users", testUsers},
	{"Agents", testAgents},
	{"Keys", testKeys},
	{"KeyReferences", testKeyReferences},
	{"RevokeKey", testRevokeKey},
	{"RevokeAgentRevokesKeys", testRevokeAgent},
	{"ActiveKeys", testActiveKeys},
	{"TouchKeys", testTouchKeys},
	{"TimesAreUTC", testTimesUTC},
	{"Presence", testPresence},
	{"PresenceFight", testPresenceFight},
	{"OAuthServer", testOAuthServer},
	{"ConsoleSessions", testConsoleSessions},
	{"AgentsSeen", testAgentsSeen},
}

func TestStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range suite {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					s := storetest.Open(t, b.config(t))
					if s.Dialect() != b.name {
						t.Fatalf("Dialect() = %q, want %q", s.Dialect(), b.name)
					}
					c.run(t, s)
				})
			}
		})
	}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	if us, err := s.ListUsers(ctx); err != nil || len(us) != 0 {
		t.Fatalf("ListUsers on empty store = %v, %v", us, err)
	}
	alice := &store.User{Name: "alice", Role: "owner"}
	mustOK(t, s.CreateUser(ctx, alice))
	if !strings.HasPrefix(alice.ID, "usr_") || alice.CreatedAt.IsZero() {
		t.Fatalf("CreateUser did not fill ID/CreatedAt: %+v", alice)
	}
	bob := &store.User{ID: "u-bob", Name: "bob", Role: "member", CreatedAt: alice.CreatedAt.Add(time.Second)}
	mustOK(t, s.CreateUser(ctx, bob))

	got, err := s.GetUser(ctx, alice.ID)
	mustOK(t, err)
	if *got != *alice {
		t.Errorf("GetUser = %+v, want %+v", got, alice)
	}
	us, err := s.ListUsers(ctx)
	mustOK(t, err)
	if len(us) != 2 || us[0] != *alice || us[1] != *bob {
		t.Errorf("ListUsers = %+v", us)
	}

	wantIs(t, s.CreateUser(ctx, &store.User{ID: bob.ID, Name: "x", Role: "member"}), store.ErrConflict)
	_, err = s.GetUser(ctx, "usr_missing")
	wantIs(t, err, store.ErrNotFound)
	if err := s.CreateUser(ctx, &store.User{Role: "member"}); err == nil {
		t.Error("CreateUser without name succeeded")
	}
}

func testAgents(t *testing.T, s store.Store) {
	ctx := context.Background()
	laptop := &store.Agent{ID: "laptop"}
	mustOK(t, s.CreateAgent(ctx, laptop))
	if laptop.Name != "laptop" || laptop.CreatedAt.IsZero() || laptop.RevokedAt != nil {
		t.Fatalf("CreateAgent filled %+v", laptop)
	}
	anon := &store.Agent{Name: "unnamed"}
	mustOK(t, s.CreateAgent(ctx, anon))
	if !strings.HasPrefix(anon.ID, "agt_") {
		t.Errorf("generated agent ID %q", anon.ID)
	}
	got, err := s.GetAgent(ctx, "laptop")
	mustOK(t, err)
	if got.ID != laptop.ID || got.Name != laptop.Name || !got.CreatedAt.Equal(laptop.CreatedAt) || got.RevokedAt != nil {
		t.Errorf("GetAgent = %+v, want %+v", got, laptop)
	}
	as, err := s.ListAgents(ctx)
	mustOK(t, err)
	if len(as) != 2 {
		t.Errorf("ListAgents = %+v", as)
	}
	wantIs(t, s.CreateAgent(ctx, &store.Agent{ID: "laptop"}), store.ErrConflict)
	_, err = s.GetAgent(ctx, "nope")
	wantIs(t, err, store.ErrNotFound)
	wantIs(t, s.RevokeAgent(ctx, "nope"), store.ErrNotFound)
}

func testKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	u, a := seed(t, s)
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	uk := &store.APIKey{Name: "ci", Prefix: "mcpgw_abcdef", Hash: "h-user", Kind: store.KindUser, UserID: u.ID, ExpiresAt: &exp}
	mustOK(t, s.CreateKey(ctx, uk))
	if !strings.HasPrefix(uk.ID, "key_") || uk.CreatedAt.IsZero() {
		t.Fatalf("CreateKey filled %+v", uk)
	}
	ak := &store.APIKey{ID: "key_agent", Name: "enroll", Prefix: "mcpgw_123456", Hash: "h-agent", Kind: store.KindAgent, AgentID: a.ID}
	mustOK(t, s.CreateKey(ctx, ak))

	got, err := s.GetKey(ctx, uk.ID)
	mustOK(t, err)
	if got.Hash != "h-user" || got.UserID != u.ID || got.AgentID != "" || got.Kind != store.KindUser ||
		got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.RevokedAt != nil || got.LastUsedAt != nil ||
		!got.CreatedAt.Equal(uk.CreatedAt) || got.Prefix != "mcpgw_abcdef" || got.Name != "ci" {
		t.Errorf("GetKey = %+v, want %+v", got, uk)
	}
	got, err = s.GetKey(ctx, ak.ID)
	mustOK(t, err)
	if got.AgentID != a.ID || got.UserID != "" || got.Kind != store.KindAgent || got.ExpiresAt != nil {
		t.Errorf("GetKey(agent) = %+v", got)
	}
	ks, err := s.ListKeys(ctx)
	mustOK(t, err)
	if len(ks) != 2 {
		t.Errorf("ListKeys = %+v", ks)
	}
	_, err = s.GetKey(ctx, "key_missing")
	wantIs(t, err, store.ErrNotFound)

	dupID := *ak
	dupID.Hash = "h-other"
	wantIs(t, s.CreateKey(ctx, &dupID), store.ErrConflict)
	dupHash := *ak
	dupHash.ID = ""
	wantIs(t, s.CreateKey(ctx, &dupHash), store.ErrConflict)
}

func testKeyReferences(t *testing.T, s store.Store) {
	ctx := context.Background()
	u, a := seed(t, s)
	wantIs(t, s.CreateKey(ctx, &store.APIKey{Hash: "h1", Kind: store.KindUser, UserID: "usr_ghost"}), store.ErrNotFound)
	wantIs(t, s.CreateKey(ctx, &store.APIKey{Hash: "h2", Kind: store.KindAgent, AgentID: "ghost"}), store.ErrNotFound)
	invalid := []store.APIKey{
		{Hash: "h3", Kind: "robot", UserID: u.ID},
		{Hash: "h4", Kind: store.KindUser},
		{Hash: "h5", Kind: store.KindUser, UserID: u.ID, AgentID: a.ID},
		{Hash: "h6", Kind: store.KindAgent, UserID: u.ID},
		{Kind: store.KindUser, UserID: u.ID},
	}
	for _, k := range invalid {
		err := s.CreateKey(ctx, &k)
		if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("CreateKey(%+v) = %v, want a validation error", k, err)
		}
	}
}

func testRevokeKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	u, _ := seed(t, s)
	k := &store.APIKey{Hash: "h", Kind: store.KindUser, UserID: u.ID}
	mustOK(t, s.CreateKey(ctx, k))
	mustOK(t, s.RevokeKey(ctx, k.ID))
	first, err := s.GetKey(ctx, k.ID)
	mustOK(t, err)
	if first.RevokedAt == nil {
		t.Fatal("RevokedAt not set")
	}
	mustOK(t, s.RevokeKey(ctx, k.ID)) // twice is fine and keeps the first time
	second, err := s.GetKey(ctx, k.ID)
	mustOK(t, err)
	if !second.RevokedAt.Equal(*first.RevokedAt) {
		t.Errorf("second revoke moved RevokedAt from %v to %v", first.RevokedAt, second.RevokedAt)
	}
	wantIs(t, s.RevokeKey(ctx, "key_missing"), store.ErrNotFound)
}

func testRevokeAgent(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, a := seed(t, s)
	other := &store.Agent{ID: "desktop"}
	mustOK(t, s.CreateAgent(ctx, other))
	k1 := &store.APIKey{Hash: "h1", Kind: store.KindAgent, AgentID: a.ID}
	k2 := &store.APIKey{Hash: "h2", Kind: store.KindAgent, AgentID: a.ID}
	k3 := &store.APIKey{Hash: "h3", Kind: store.KindAgent, AgentID: other.ID}
	for _, k := range []*store.APIKey{k1, k2, k3} {
		mustOK(t, s.CreateKey(ctx, k))
	}
	mustOK(t, s.RevokeAgent(ctx, a.ID))
	mustOK(t, s.RevokeAgent(ctx, a.ID)) // twice is fine

	got, err := s.GetAgent(ctx, a.ID)
	mustOK(t, err)
	if got.RevokedAt == nil {
		t.Error("agent not revoked")
	}
	for _, k := range []*store.APIKey{k1, k2} {
		if g, _ := s.GetKey(ctx, k.ID); g == nil || g.RevokedAt == nil {
			t.Errorf("key %s of revoked agent not revoked: %+v", k.ID, g)
		}
	}
	if g, _ := s.GetKey(ctx, k3.ID); g == nil || g.RevokedAt != nil {
		t.Errorf("key of another agent revoked: %+v", g)
	}
	active, err := s.ActiveKeys(ctx)
	mustOK(t, err)
	if ids := keyIDs(active); ids != k3.ID {
		t.Errorf("ActiveKeys = %s, want only %s", ids, k3.ID)
	}
}

func testActiveKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	u, a := seed(t, s)
	past := time.Now().Add(-time.Minute)
	future := time.Now().Add(time.Hour)
	live := &store.APIKey{ID: "k_live", Hash: "h1", Kind: store.KindUser, UserID: u.ID}
	notYet := &store.APIKey{ID: "k_future", Hash: "h2", Kind: store.KindUser, UserID: u.ID, ExpiresAt: &future}
	expired := &store.APIKey{ID: "k_expired", Hash: "h3", Kind: store.KindUser, UserID: u.ID, ExpiresAt: &past}
	revoked := &store.APIKey{ID: "k_revoked", Hash: "h4", Kind: store.KindUser, UserID: u.ID}
	agentKey := &store.APIKey{ID: "k_agent", Hash: "h5", Kind: store.KindAgent, AgentID: a.ID}
	for _, k := range []*store.APIKey{live, notYet, expired, revoked, agentKey} {
		mustOK(t, s.CreateKey(ctx, k))
	}
	mustOK(t, s.RevokeKey(ctx, revoked.ID))
	active, err := s.ActiveKeys(ctx)
	mustOK(t, err)
	if got, want := keyIDs(active), "k_live k_future k_agent"; got != want {
		t.Errorf("ActiveKeys = %q, want %q", got, want)
	}
}

func testTouchKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	u, _ := seed(t, s)
	k1 := &store.APIKey{Hash: "h1", Kind: store.KindUser, UserID: u.ID}
	k2 := &store.APIKey{Hash: "h2", Kind: store.KindUser, UserID: u.ID}
	mustOK(t, s.CreateKey(ctx, k1))
	mustOK(t, s.CreateKey(ctx, k2))
	mustOK(t, s.TouchKeys(ctx, nil))

	t1 := time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC)
	mustOK(t, s.TouchKeys(ctx, map[string]time.Time{k1.ID: t1, "key_unknown": t1}))
	got, err := s.GetKey(ctx, k1.ID)
	mustOK(t, err)
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(t1) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, t1)
	}
	if g, _ := s.GetKey(ctx, k2.ID); g.LastUsedAt != nil {
		t.Errorf("untouched key has LastUsedAt %v", g.LastUsedAt)
	}
	// An older time (say, from a slower hub) does not move it backwards.
	mustOK(t, s.TouchKeys(ctx, map[string]time.Time{k1.ID: t1.Add(-time.Hour), k2.ID: t1}))
	if g, _ := s.GetKey(ctx, k1.ID); !g.LastUsedAt.Equal(t1) {
		t.Errorf("LastUsedAt moved backwards to %v", g.LastUsedAt)
	}
	if g, _ := s.GetKey(ctx, k2.ID); g.LastUsedAt == nil || !g.LastUsedAt.Equal(t1) {
		t.Errorf("k2 LastUsedAt = %v", g.LastUsedAt)
	}
	t2 := t1.Add(time.Minute)
	mustOK(t, s.TouchKeys(ctx, map[string]time.Time{k1.ID: t2}))
	if g, _ := s.GetKey(ctx, k1.ID); !g.LastUsedAt.Equal(t2) {
		t.Errorf("LastUsedAt = %v, want %v", g.LastUsedAt, t2)
	}
}

func testTimesUTC(t *testing.T, s store.Store) {
	ctx := context.Background()
	zone := time.FixedZone("UTC+5", 5*3600)
	created := time.Date(2025, 6, 1, 12, 0, 0, 987654321, zone)
	u := &store.User{Name: "z", Role: "member", CreatedAt: created}
	mustOK(t, s.CreateUser(ctx, u))
	got, err := s.GetUser(ctx, u.ID)
	mustOK(t, err)
	want := created.UTC().Truncate(time.Microsecond)
	if got.CreatedAt.Location() != time.UTC || !got.CreatedAt.Equal(want) || got.CreatedAt != u.CreatedAt {
		t.Errorf("CreatedAt = %v (struct %v), want %v in UTC", got.CreatedAt, u.CreatedAt, want)
	}
}

// seed creates one user and one agent.
func seed(t *testing.T, s store.Store) (*store.User, *store.Agent) {
	t.Helper()
	u := &store.User{Name: "alice", Role: "owner"}
	mustOK(t, s.CreateUser(context.Background(), u))
	a := &store.Agent{ID: "laptop"}
	mustOK(t, s.CreateAgent(context.Background(), a))
	return u, a
}

func keyIDs(ks []store.APIKey) string {
	ids := make([]string, len(ks))
	for i, k := range ks {
		ids[i] = k.ID
	}
	return strings.Join(ids, " ")
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("error = %v, want %v", err, target)
	}
}
