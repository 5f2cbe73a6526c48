package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// fromAddress is an HTTP client whose connections leave from the local address ip (any of
// 127.0.0.0/8 reaches the hub on 127.0.0.1): the hub sees it as another client address.
func fromAddress(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 60 * time.Second}
}

func loginFrom(t *testing.T, c *http.Client, h *hubtest.Hub, name, password string) (int, string) {
	t.Helper()
	b, _ := json.Marshal(api.LoginRequest{Name: name, Password: password})
	resp, err := c.Post(h.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// Through the REST API on real sockets: a burst of 64 wrong passwords for bob from one
// address (127.0.0.2) locks bob at that address only (423 there, also for the right
// password), while bob logs in from 127.0.0.1 during and after the burst. Before, 5 of
// them locked bob everywhere for 15 minutes.
func TestLoginLockoutIsPerClientAddress(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	bob, _ := userWithKey(t, h, "bob", "viewer")
	const pw = "bob's long password"
	owner.must(204, "POST", "/users/"+bob.ID+"/password", api.SetPasswordRequest{Password: pw}, nil)

	attacker, user := fromAddress("127.0.0.2"), fromAddress("127.0.0.1")
	var wg sync.WaitGroup
	statuses := make(chan int, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _ := loginFrom(t, attacker, h, "bob", "a wrong guess, long enough")
			statuses <- st
		}()
	}
	if st, body := loginFrom(t, user, h, "bob", pw); st != http.StatusOK {
		t.Errorf("bob from 127.0.0.1 during the burst from 127.0.0.2: %d %s", st, body)
	}
	wg.Wait()
	close(statuses)
	n := map[int]int{}
	for st := range statuses {
		n[st]++
	}
	if n[http.StatusUnauthorized] > 5 || n[http.StatusUnauthorized]+n[http.StatusLocked] != 64 {
		t.Errorf("the burst's answers: %v; want at most 5 checked (401), the rest 423", n)
	}
	if st, body := loginFrom(t, attacker, h, "bob", pw); st != http.StatusLocked {
		t.Errorf("right password from the attacker's address: %d %s, want 423", st, body)
	}
	if st, body := loginFrom(t, user, h, "bob", pw); st != http.StatusOK {
		t.Errorf("bob from 127.0.0.1 after the burst: %d %s", st, body)
	}
}

// loginVia logs in through c with an X-Forwarded-For header, as a reverse proxy relays.
func loginVia(t *testing.T, c *http.Client, h *hubtest.Hub, xff, name, password string) int {
	t.Helper()
	b, _ := json.Marshal(api.LoginRequest{Name: name, Password: password})
	req, _ := http.NewRequest(http.MethodPost, h.URL+"/api/v1/auth/login", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", xff)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Behind a reverse proxy named in trusted_proxies (here 127.0.0.1), failed logins count
// per the client address the proxy writes into X-Forwarded-For: the attacker's clients are
// locked out, the real user's are not. A client that is not the proxy (127.0.0.2) cannot
// pose as the user by writing the header itself: its failures count against 127.0.0.2.
func TestLoginLockoutBehindATrustedProxy(t *testing.T) {
	h := hubtest.Start(t, func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1"} })
	owner := newClient(t, h, h.OwnerKey)
	bob, _ := userWithKey(t, h, "bob", "viewer")
	const pw = "bob's long password"
	owner.must(204, "POST", "/users/"+bob.ID+"/password", api.SetPasswordRequest{Password: pw}, nil)
	proxy, direct := fromAddress("127.0.0.1"), fromAddress("127.0.0.2")

	for range 6 {
		loginVia(t, proxy, h, "198.51.100.7", "bob", "a wrong guess, long enough")
		loginVia(t, direct, h, "203.0.113.5", "bob", "a wrong guess, long enough") // forged
	}
	if st := loginVia(t, proxy, h, "198.51.100.7", "bob", pw); st != http.StatusLocked {
		t.Errorf("the attacker behind the proxy, right password: %d, want 423", st)
	}
	if st := loginVia(t, direct, h, "203.0.113.5", "bob", pw); st != http.StatusLocked {
		t.Errorf("the direct client that forged the header, right password: %d, want 423", st)
	}
	if st := loginVia(t, proxy, h, "198.51.100.1, 203.0.113.5", "bob", pw); st != http.StatusOK {
		t.Errorf("bob behind the proxy: %d, want 200", st)
	}
}
