package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// /readyz needs no credential, so when PostgreSQL is down it must not pass on the
// driver's error, which names the database's user, name, host and port ("failed to connect
// to `user=postgres database=…`"): the answer is a generic 503, the details are logged.
// The hub reaches a real PostgreSQL through a TCP forwarder that the test then closes.
func TestReadyzHidesTheDatabase(t *testing.T) {
	pg, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	fw := forward(t, "127.0.0.1:0", pg.Host)
	via := *pg
	via.Host = fw.Addr()
	h := hubtest.Start(t, func(c *config.Config) { c.DatabaseURL = via.String() })

	get := func() (int, string) {
		resp, err := http.Get(h.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := get(); st != http.StatusOK {
		t.Fatalf("readyz with PostgreSQL up: %d %s", st, body)
	}
	fw.Close()
	deadline := time.Now().Add(60 * time.Second)
	st, body := get()
	for st == http.StatusOK && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond) // polling: the pool notices the cut at its next query
		st, body = get()
	}
	if st != http.StatusServiceUnavailable {
		t.Fatalf("readyz with PostgreSQL unreachable: %d %q, want 503", st, body)
	}
	// The first failure may be the cut connection's ("unexpected EOF"); the next ones are
	// the pool's attempts to connect again, whose errors carry the connection settings.
	bodies := []string{body}
	for range 2 {
		st, body = get()
		if st != http.StatusServiceUnavailable {
			t.Fatalf("readyz with PostgreSQL unreachable: %d %q, want 503", st, body)
		}
		bodies = append(bodies, body)
	}
	body = strings.Join(bodies, "\n")
	user := pg.User.Username()
	host, port := strings.Split(fw.Addr(), ":")[0], strings.Split(fw.Addr(), ":")[1]
	for _, secret := range []string{"user=", "database=", user, strings.TrimPrefix(pg.Path, "/"), host, port, "search_path"} {
		if secret != "" && strings.Contains(body, secret) {
			t.Errorf("unauthenticated /readyz reveals %q: %q", secret, body)
		}
	}
	if !strings.Contains(body, "store unavailable") {
		t.Errorf("readyz body %q does not say what is wrong", body)
	}
}
