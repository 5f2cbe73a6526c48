package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// Listen reports each committed change by topic, leaves out the hot-path writes that change
// no cache (last-used times, failed logins), and after its connection is killed it
// reconnects by itself and reports TopicAll (what it may have missed) before going on.
func TestListenReportsChangesAndReconnects(t *testing.T) {
	url := storetest.PostgresURL(t)
	st := storetest.Open(t, store.Config{DatabaseURL: url, DataDir: t.TempDir()})
	ctx, cancel := context.WithCancel(context.Background())
	topics := make(chan string, 64)
	done := make(chan error, 1)
	go func() {
		done <- store.Listen(ctx, store.ListenConfig{DatabaseURL: url, OnChange: func(topic string) { topics <- topic }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Listen: %v", err)
		}
	})
	next := func(want string) {
		t.Helper()
		select {
		case got := <-topics:
			if got != want {
				t.Fatalf("topic %q, want %q", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no notification %q within 30 s", want)
		}
	}
	next(store.TopicAll)

	u := &store.User{Name: "ann", Role: "viewer"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	next(store.TopicUsers)
	// Hot-path writes send nothing: the next topic is the role's.
	if _, err := st.RecordLoginFailure(ctx, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.TouchKeys(ctx, map[string]time.Time{"nope": time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRole(ctx, &store.Role{Name: "r1", Permissions: []string{}}); err != nil {
		t.Fatal(err)
	}
	next(store.TopicRoles)
	if err := st.PutSetting(ctx, "policy", "{}"); err != nil {
		t.Fatal(err)
	}
	next(store.TopicSettings)
	// An event that is no write (Broadcast): its body comes with its topic, dots and all.
	if err := st.Broadcast(ctx, "resource", `{"uri":"file:///a.txt"}`); err != nil {
		t.Fatal(err)
	}
	next("resource\n" + `{"uri":"file:///a.txt"}`)
	if err := st.Broadcast(ctx, "resource", strings.Repeat("x", store.MaxBroadcast+1)); err == nil {
		t.Fatal("a broadcast over MaxBroadcast was sent")
	}

	// Kill the listening connection (as a database restart or failover would).
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var killed int
	if err := admin.QueryRowContext(ctx, "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"+
		" WHERE application_name = $1 AND pid <> pg_backend_pid()", store.ListenerName).Scan(&killed); err != nil || killed == 0 {
		t.Fatalf("terminate the listener: %d %v", killed, err)
	}
	// Other tests' listeners may have been cut too; ours reconnects and says so. Drain
	// until then (a notification sent before the kill may still arrive).
	deadline := time.After(30 * time.Second)
	for reconnected := false; !reconnected; {
		select {
		case got := <-topics:
			reconnected = got == store.TopicAll
		case <-deadline:
			t.Fatal("the listener did not reconnect within 30 s")
		}
	}
	if err := st.CreateBackend(ctx, &store.BackendRecord{Name: "b1", Config: `{"transport":"http","url":"http://127.0.0.1:1/"}`, CreatedBy: "t"}); err != nil {
		t.Fatal(err)
	}
	next(store.TopicBackends)
}

// A change in another schema of the same database is not this store's.
func TestListenIgnoresOtherSchemas(t *testing.T) {
	for _, tc := range []struct {
		payload, schema, topic string
		ok                     bool
	}{
		{"t_1.keys", "t_1", "keys", true},
		{"t_1.resource\n{\"uri\":\"a.b\"}", "t_1", "resource\n{\"uri\":\"a.b\"}", true},
		{"t_2.resource\n{\"uri\":\"t_1.b\"}", "t_1", "", false},
		{"t_1.\n{}", "t_1", "", false},
		{"t_2.keys", "t_1", "", false},
		{"a.b.roles", "a.b", "roles", true},
		{"t_1.", "t_1", "", false},
		{"keys", "t_1", "", false},
		{"", "t_1", "", false},
	} {
		topic, ok := store.ParseChange(tc.payload, tc.schema)
		if topic != tc.topic || ok != tc.ok {
			t.Errorf("ParseChange(%q, %q) = %q, %v; want %q, %v", tc.payload, tc.schema, topic, ok, tc.topic, tc.ok)
		}
	}
}

// FuzzParseChange: any payload is read without a panic; what it accepts is in the schema
// and names a topic.
func FuzzParseChange(f *testing.F) {
	for _, seed := range []string{"t_1.keys", "t_1.resource\n{\"uri\":\"a.b\"}", "t_1.", ".keys", "t_1.\n", "\n", "t_1.a.b\nc\nd"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		topic, ok := store.ParseChange(payload, "t_1")
		if ok && (topic == "" || topic[0] == '\n' || !strings.HasPrefix(payload, "t_1.")) {
			t.Fatalf("ParseChange(%q) = %q", payload, topic)
		}
	})
}
