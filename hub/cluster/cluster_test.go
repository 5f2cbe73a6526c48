package cluster_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	agentconfig "github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/cluster"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/server"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// hub is one real hub of a test cluster, on 127.0.0.1.
type hub struct {
	id   string
	url  string
	s    *server.Server
	stop func()
}

// startHub starts a hub with [cluster] on the database pg.
func startHub(t testing.TB, pg, id string, mods ...func(*config.Config)) *hub {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir, cfg.Listen, cfg.DatabaseURL = t.TempDir(), ln.Addr().String(), pg
	cfg.Limits.KeyRate, cfg.Limits.ApplicationRate = 0, 0
	// Short, so that a forwarded call outlasts it: the call's body (its answers and cancel)
	// stays readable as long as the call runs.
	cfg.Limits.ReadTimeout.Duration = time.Second
	cfg.DrainTimeout = config.Duration{} // as hubtest: stop at once; TestDrainWaitsForForwardedCalls drains
	cfg.Cluster = config.Cluster{URL: "http://" + ln.Addr().String(), ID: id}
	for _, mod := range mods {
		mod(&cfg)
	}
	level := slog.LevelWarn
	if os.Getenv("MCPGW_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("test_hub", id)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("hub %s: %v", id, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	var once sync.Once
	h := &hub{id: id, url: cfg.Cluster.URL, s: s}
	h.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("hub %s exited: %v", id, err)
			}
		})
	}
	t.Cleanup(h.stop)
	return h
}

func (h *hub) agentURL() string {
	return strings.Replace(strings.Replace(h.url, "https://", "wss://", 1), "http://", "ws://", 1) + "/agent/ws"
}

// switchProxy forwards TCP connections to whichever address it was last given: the
// agents' load balancer, moved from a hub that is gone to one that is not.
type switchProxy struct {
	ln     net.Listener
	target atomic.Value // string
}

func newSwitchProxy(t testing.TB, target string) *switchProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{ln: ln}
	p.target.Store(target)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", p.target.Load().(string))
				if err != nil {
					return
				}
				defer u.Close()
				go func() { _, _ = io.Copy(u, c); u.Close() }()
				_, _ = io.Copy(c, u)
			}()
		}
	}()
	return p
}

// toolServer is a real go-sdk MCP server: progress sends a progress notification, sample
// asks the client for sampling, hold waits until it is cancelled.
type toolServer struct {
	url       string
	entered   chan struct{}
	cancelled chan struct{}
	release   chan struct{} // closed: "hold" calls return "released"
}

func newToolServer(t testing.TB) *toolServer {
	ts := &toolServer{entered: make(chan struct{}, 4), cancelled: make(chan struct{}, 4), release: make(chan struct{})}
	srv := mcp.NewServer(&mcp.Implementation{Name: "clustertools", Version: "1"}, nil)
	schema := map[string]any{"type": "object"}
	srv.AddTool(&mcp.Tool{Name: "progress", InputSchema: schema}, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if tok := req.Params.GetProgressToken(); tok != nil {
			if err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: 1, Total: 2, Message: "half"}); err != nil {
				return nil, err
			}
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil
	})
	srv.AddTool(&mcp.Tool{Name: "sample", InputSchema: schema}, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res, err := req.Session.CreateMessage(ctx, &mcp.CreateMessageParams{MaxTokens: 10,
			Messages: []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: "say hi"}}}})
		if err != nil {
			return nil, err
		}
		return &mcp.CallToolResult{Content: []mcp.Content{res.Content}}, nil
	})
	srv.AddTool(&mcp.Tool{Name: "hold", InputSchema: schema}, func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ts.entered <- struct{}{}
		select {
		case <-ts.release:
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "released"}}}, nil
		case <-ctx.Done():
			ts.cancelled <- struct{}{}
			return nil, ctx.Err()
		}
	})
	hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	t.Cleanup(hs.Close)
	ts.url = hs.URL
	return ts
}

// runAgent runs a real agent (connector, in this process) until the test ends or stop.
func runAgent(t testing.TB, id, key, gatewayURL, backendURL string, backoffMax time.Duration, mods ...func(*agentconfig.Config)) (stop func()) {
	t.Helper()
	cfg := agentconfig.Defaults()
	cfg.Agent.AgentID, cfg.Agent.GatewayURL, cfg.Agent.APIKey = id, gatewayURL, key
	cfg.Backends = []backend.Config{{Name: "tools", Transport: backend.TransportHTTP, URL: backendURL}}
	for _, mod := range mods {
		mod(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := connector.New(cfg, connector.Options{Logger: slog.New(slog.DiscardHandler), Version: "cluster-test",
		RefusedRetry: time.Hour, Backoff: connector.Backoff{Base: 50 * time.Millisecond, Max: backoffMax}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Error("agent did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

type bearer struct {
	key  string
	base http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.base.RoundTrip(r)
}

// eventually polls cond until it holds or 60 s pass.
func eventually(t testing.TB, what string, cond func() bool) time.Duration {
	t.Helper()
	return waitfor.Until(t, 60*time.Second, what, cond)
}

// toolNames lists the tools through a new client: the hub lets clients cache lists for 10 s
// (ttlMs), and the go-sdk does.
func toolNames(ctx context.Context, hubURL, key string) []string {
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "lister", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint: hubURL + "/mcp", HTTPClient: &http.Client{Transport: bearer{key, http.DefaultTransport}}}, nil)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	defer cs.Close()
	var names []string
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names
}

func setupKeys(t testing.TB) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i*7 + 3)
	}
	t.Setenv("MCPGW_MASTER_KEY", hex.EncodeToString(key)) // shared by the hubs of one database
	t.Setenv(cluster.KeyEnv, "")
}

// Two hubs on one PostgreSQL: an agent on hub A, a client on hub B. B lists the agent's
// tools and calls them through A (progress, sampling answered by B's client, cancel); once
// A stops, B drops the agent, the agent reconnects to B and calls work again.
func TestForwardAcrossHubs(t *testing.T) {
	setupKeys(t)
	pg := storetest.PostgresURL(t)
	a := startHub(t, pg, "hub-a") // no drain: A's stop cuts what runs

	b := startHub(t, pg, "hub-b")
	ctx := context.Background()
	ownerKey, agentKey := seedKeys(t, ctx, true, "laptop", a, b)
	ts := newToolServer(t)
	lb := newSwitchProxy(t, strings.TrimPrefix(a.url, "http://"))
	runAgent(t, "laptop", agentKey, "ws://"+lb.ln.Addr().String()+"/agent/ws", ts.url, 500*time.Millisecond)
	eventually(t, "agent connected to hub A", func() bool { return a.s.Agents.Connected("laptop") })

	progress := make(chan string, 4)
	sampled := make(chan struct{}, 4)
	client := mcp.NewClient(&mcp.Implementation{Name: "cluster-test", Version: "1"}, &mcp.ClientOptions{
		CreateMessageHandler: func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			sampled <- struct{}{}
			return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "hi from the client on B"}}, nil
		},
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			progress <- req.Params.Message
		},
	})
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	cctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	cs, err := client.Connect(cctx, &mcp.StreamableClientTransport{Endpoint: b.url + "/mcp", HTTPClient: &http.Client{Transport: bearer{ownerKey, tr}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	want := []string{"laptop__tools__hold", "laptop__tools__progress", "laptop__tools__sample"}
	took := eventually(t, "hub B lists the agent's tools", func() bool { return slices.Equal(toolNames(cctx, b.url, ownerKey), want) })
	t.Logf("hub B listed hub A's agent after %v", took)

	res, err := cs.CallTool(cctx, &mcp.CallToolParams{Name: "laptop__tools__progress", Arguments: map[string]any{},
		Meta: mcp.Meta{"progressToken": "p1"}})
	if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "done" {
		t.Fatalf("progress through B: %+v %v", res, err)
	}
	select {
	case m := <-progress:
		if m != "half" {
			t.Errorf("progress message %q", m)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no progress notification reached the client on B")
	}

	res, err = cs.CallTool(cctx, &mcp.CallToolParams{Name: "laptop__tools__sample", Arguments: map[string]any{}})
	if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "hi from the client on B" {
		t.Fatalf("sampling through B: %+v %v", res, err)
	}
	if len(sampled) != 1 {
		t.Fatalf("the client answered %d sampling requests, want 1", len(sampled))
	}

	hctx, hcancel := context.WithCancel(cctx)
	errc := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(hctx, &mcp.CallToolParams{Name: "laptop__tools__hold", Arguments: map[string]any{}})
		errc <- err
	}()
	select {
	case <-ts.entered:
	case <-time.After(60 * time.Second):
		t.Fatal("hold never reached the backend")
	}
	select {
	case <-ts.cancelled:
		t.Fatal("the held call was cancelled before its client gave up")
	case <-time.After(3 * time.Second): // longer than the hubs' read_timeout
	}
	hcancel()
	select {
	case <-ts.cancelled:
	case <-time.After(60 * time.Second):
		t.Fatal("the cancel from B never reached the backend behind A")
	}
	<-errc

	// Hub A goes away: B stops routing the agent, which comes back through the balancer
	// to B; calls work again.
	// A call in flight through B to the agent on A when A stops fails, and promptly.
	go func() {
		_, err := cs.CallTool(cctx, &mcp.CallToolParams{Name: "laptop__tools__hold", Arguments: map[string]any{}})
		errc <- err
	}()
	select {
	case <-ts.entered:
	case <-time.After(60 * time.Second):
		t.Fatal("hold never reached the backend")
	}
	lb.target.Store(strings.TrimPrefix(b.url, "http://"))
	start := time.Now()
	a.stop()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("a call in flight on the stopped hub succeeded")
		}
		t.Logf("in-flight call ended %v after the stop began: %v", time.Since(start), err)
	case <-time.After(60 * time.Second):
		t.Fatal("a call in flight on the stopped hub did not end")
	}
	gone := eventually(t, "hub B drops hub A's agent or holds it itself", func() bool {
		names := toolNames(cctx, b.url, ownerKey)
		return len(names) == 0 || b.s.Agents.Connected("laptop")
	})
	t.Logf("hub B dropped or took over the agent %v after hub A stopped", gone)
	eventually(t, "agent reconnects to hub B", func() bool { return b.s.Agents.Connected("laptop") })
	t.Logf("agent back on hub B %v after hub A stopped", time.Since(start))
	eventually(t, "B lists the agent again", func() bool { return slices.Equal(toolNames(cctx, b.url, ownerKey), want) })
	res, err = cs.CallTool(cctx, &mcp.CallToolParams{Name: "laptop__tools__sample", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("call after the move: %+v %v", res, err)
	}
}

// A hub that dies without releasing its rows: its leases run out and the other hubs stop
// routing its agents within the lease and a poll.
func TestLeaseExpiryDropsAgents(t *testing.T) {
	setupKeys(t)
	pg := storetest.PostgresURL(t)
	b := startHub(t, pg, "hub-b")
	ctx := context.Background()
	_, ownerKey, err := auth.CreateOwner(ctx, b.s.Store, "owner")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.s.Keys.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth.EnrollAgent(ctx, b.s.Store, "ghost"); err != nil {
		t.Fatal(err)
	}
	// A dead hub's row, written as its hub would and never renewed.
	backends := `[{"name":"tools","state":"ready","tools":[{"name":"t1","inputSchema":{"type":"object"}}]}]`
	if _, err := b.s.Store.ClaimAgent(ctx, store.Presence{AgentID: "ghost", HubID: "dead", HubURL: "http://127.0.0.1:1",
		Backends: backends}, cluster.DefaultLease, time.Minute); err != nil {
		t.Fatal(err)
	}
	claimed := time.Now()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint: b.url + "/mcp", HTTPClient: &http.Client{Transport: bearer{ownerKey, http.DefaultTransport}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	eventually(t, "B routes the dead hub's agent while its lease lasts", func() bool {
		return slices.Contains(toolNames(ctx, b.url, ownerKey), "ghost__tools__t1")
	})
	// A call for it fails fast: its hub does not answer.
	start := time.Now()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "ghost__tools__t1", Arguments: map[string]any{}})
	if err == nil && (res == nil || !res.IsError) {
		t.Fatalf("call to a dead hub's agent succeeded: %+v", res)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("call to a dead hub's agent took %v", d)
	}
	t.Logf("call to the dead hub's agent failed after %v: %v / %+v", time.Since(start), err, res)
	eventually(t, "B drops the agent once the lease runs out", func() bool {
		return !slices.Contains(toolNames(ctx, b.url, ownerKey), "ghost__tools__t1")
	})
	t.Logf("dropped %v after the claim (lease %v)", time.Since(claimed), cluster.DefaultLease)
}

// Newest wins across hubs: the same agent id connecting to hub B takes it from hub A,
// which closes its tunnel as replaced.
func TestNewestWinsAcrossHubs(t *testing.T) {
	setupKeys(t)
	pg := storetest.PostgresURL(t)
	a := startHub(t, pg, "hub-a")
	b := startHub(t, pg, "hub-b")
	ctx := context.Background()
	_, agentKey := seedKeys(t, ctx, false, "dup", a, b)
	ts := newToolServer(t)
	runAgent(t, "dup", agentKey, a.agentURL(), ts.url, time.Hour) // replaced: it stays away
	eventually(t, "first agent on A", func() bool { return a.s.Agents.Connected("dup") })
	eventually(t, "A's claim visible", func() bool {
		p, err := a.s.Store.GetPresence(ctx, "dup")
		return err == nil && p.HubID == "hub-a"
	})
	runAgent(t, "dup", agentKey, b.agentURL(), ts.url, time.Hour)
	eventually(t, "second agent on B", func() bool { return b.s.Agents.Connected("dup") })
	took := eventually(t, "A closes its tunnel for the id", func() bool { return !a.s.Agents.Connected("dup") })
	t.Logf("hub A let go of the agent %v after hub B took it", took)
	// Still on B a while later: A did not take it back. The time passing is what is
	// tested (two of A's renewals), so a sleep.
	time.Sleep(2 * cluster.DefaultRenew)
	if !b.s.Agents.Connected("dup") || a.s.Agents.Connected("dup") {
		t.Fatalf("after the takeover: on A %v, on B %v", a.s.Agents.Connected("dup"), b.s.Agents.Connected("dup"))
	}
	if p, err := a.s.Store.GetPresence(ctx, "dup"); err != nil || p.HubID != "hub-b" {
		t.Fatalf("presence %+v %v, want hub-b", p, err)
	}
}

// Two agent processes sharing one id, one on each hub, take it from each other: both hubs
// see them fighting, as one hub does when both connect to it.
func TestFightAcrossHubs(t *testing.T) {
	setupKeys(t)
	pg := storetest.PostgresURL(t)
	a := startHub(t, pg, "hub-a")
	b := startHub(t, pg, "hub-b")
	ctx := context.Background()
	_, agentKey := seedKeys(t, ctx, false, "twin", a, b)
	ts := newToolServer(t)
	runAgent(t, "twin", agentKey, a.agentURL(), ts.url, 300*time.Millisecond)
	eventually(t, "first agent on A", func() bool { return a.s.Agents.Connected("twin") })
	runAgent(t, "twin", agentKey, b.agentURL(), ts.url, 300*time.Millisecond)
	took := eventually(t, "both hubs see the fight", func() bool { return a.s.Agents.Fighting() == 1 && b.s.Agents.Fighting() == 1 })
	t.Logf("fight seen on both hubs after %v", took)
}

// BenchmarkForwardedCall compares a tools/call through the hub holding the agent with one
// through the other hub (forwarded over the cluster channel).
func BenchmarkForwardedCall(b *testing.B) {
	setupKeys(b)
	pg := storetest.PostgresURL(b)
	ha := startHub(b, pg, "hub-a")
	hb := startHub(b, pg, "hub-b")
	ctx := context.Background()
	ownerKey, agentKey := seedKeys(b, ctx, true, "laptop", ha, hb)
	ts := newToolServer(b)
	runAgent(b, "laptop", agentKey, ha.agentURL(), ts.url, 500*time.Millisecond)
	eventually(b, "B lists the agent", func() bool { return slices.Contains(toolNames(ctx, hb.url, ownerKey), "laptop__tools__progress") })
	for _, c := range []struct {
		name string
		h    *hub
	}{{"local", ha}, {"forwarded", hb}} {
		b.Run(c.name, func(b *testing.B) {
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{
				Endpoint: c.h.url + "/mcp", HTTPClient: &http.Client{Transport: bearer{ownerKey, http.DefaultTransport}}}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer cs.Close()
			for b.Loop() {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__tools__progress", Arguments: map[string]any{}})
				if err != nil || res.IsError {
					b.Fatalf("%+v %v", res, err)
				}
			}
		})
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key; the certificate is
// its own CA.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hub test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// A hub with TLS is reached over HTTP/2 with TLS, its certificate checked against the
// cluster's ca_file: with it the call goes through, without it the calling hub refuses the
// certificate and the call fails.
func TestForwardOverTLS(t *testing.T) {
	setupKeys(t)
	pg := storetest.PostgresURL(t)
	cert, key := selfSigned(t)
	a := startHub(t, pg, "hub-a", func(c *config.Config) {
		c.TLSCert, c.TLSKey = cert, key
		c.Cluster.URL = strings.Replace(c.Cluster.URL, "http://", "https://", 1)
	})
	b := startHub(t, pg, "hub-b", func(c *config.Config) { c.Cluster.CAFile = cert })
	c := startHub(t, pg, "hub-c") // trusts only the system's authorities
	ctx := context.Background()
	ownerKey, agentKey := seedKeys(t, ctx, true, "secure", a, b, c)
	ts := newToolServer(t)
	runAgent(t, "secure", agentKey, a.agentURL(), ts.url, 500*time.Millisecond, func(c *agentconfig.Config) { c.Agent.TLSSkipVerify = true })
	for _, h := range []*hub{b, c} {
		eventually(t, h.id+" lists the agent on the TLS hub", func() bool {
			return slices.Contains(toolNames(ctx, h.url, ownerKey), "secure__tools__progress")
		})
	}
	call := func(h *hub) (*mcp.CallToolResult, error) {
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "tls", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{
			Endpoint: h.url + "/mcp", HTTPClient: &http.Client{Transport: bearer{ownerKey, http.DefaultTransport}}}, nil)
		if err != nil {
			return nil, err
		}
		defer cs.Close()
		return cs.CallTool(ctx, &mcp.CallToolParams{Name: "secure__tools__progress", Arguments: map[string]any{}})
	}
	if res, err := call(b); err != nil || res.IsError {
		t.Fatalf("through the hub that trusts the CA: %+v %v", res, err)
	}
	res, err := call(c)
	if err == nil && !res.IsError {
		t.Fatal("through the hub that does not trust the CA: the call went through")
	}
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("through the hub that does not trust the CA: %+v %v, want a certificate error", res, err)
	}
}

// With three hubs, the agent process pushed out of hub A by one on hub B comes back through
// hub C, which never saw either before: C finds the fight from the presence table's history.
func TestFightFoundByAThirdHub(t *testing.T) {
	setupKeys(t)
	pg := storetest.PostgresURL(t)
	a := startHub(t, pg, "hub-a")
	b := startHub(t, pg, "hub-b")
	c := startHub(t, pg, "hub-c")
	ctx := context.Background()
	_, agentKey := seedKeys(t, ctx, false, "twin", a, b, c)
	ts := newToolServer(t)
	lb := newSwitchProxy(t, strings.TrimPrefix(a.url, "http://"))
	runAgent(t, "twin", agentKey, "ws://"+lb.ln.Addr().String()+"/agent/ws", ts.url, 300*time.Millisecond)
	eventually(t, "first agent claimed on A", func() bool {
		p, err := a.s.Store.GetPresence(ctx, "twin")
		return err == nil && p.HubID == "hub-a"
	})
	lb.target.Store(strings.TrimPrefix(c.url, "http://")) // its next connection goes to C
	runAgent(t, "twin", agentKey, b.agentURL(), ts.url, time.Hour)
	eventually(t, "the first agent, pushed out, comes back on C", func() bool { return c.s.Agents.Connected("twin") })
	took := eventually(t, "hub C sees the fight", func() bool { return c.s.Agents.Fighting() == 1 })
	t.Logf("hub C flagged the fight %v after the agent connected there", took)
}

// A hub that drains keeps an agent while a call forwarded to it from another hub runs:
// the call finishes, then the agent moves.
func TestDrainWaitsForForwardedCalls(t *testing.T) {
	setupKeys(t)
	pg := storetest.PostgresURL(t)
	a := startHub(t, pg, "hub-a", func(c *config.Config) { c.DrainTimeout.Duration = time.Minute })
	b := startHub(t, pg, "hub-b")
	ctx := context.Background()
	ownerKey, agentKey := seedKeys(t, ctx, true, "laptop", a, b)
	ts := newToolServer(t)
	runAgent(t, "laptop", agentKey, a.agentURL(), ts.url, time.Hour)
	eventually(t, "B lists the agent on A", func() bool { return slices.Contains(toolNames(ctx, b.url, ownerKey), "laptop__tools__hold") })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "drain", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint: b.url + "/mcp", HTTPClient: &http.Client{Transport: bearer{ownerKey, http.DefaultTransport}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	type outcome struct {
		res *mcp.CallToolResult
		err error
	}
	out := make(chan outcome, 1)
	go func() {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__tools__hold", Arguments: map[string]any{}})
		out <- outcome{res, err}
	}()
	select {
	case <-ts.entered:
	case <-time.After(60 * time.Second):
		t.Fatal("hold never reached the backend")
	}
	stopped := make(chan struct{})
	go func() { a.stop(); close(stopped) }()
	eventually(t, "A drains (/readyz 503)", func() bool {
		resp, err := http.Get(a.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	select {
	case o := <-out:
		t.Fatalf("the forwarded call ended while A drained, before its backend answered: %+v %v", o.res, o.err)
	case <-time.After(time.Second): // the drain would move the agent at once without counting the call
	}
	close(ts.release)
	o := <-out
	if o.err != nil || o.res.IsError || o.res.Content[0].(*mcp.TextContent).Text != "released" {
		t.Fatalf("the forwarded call: %+v %v", o.res, o.err)
	}
	select {
	case <-stopped:
	case <-time.After(60 * time.Second):
		t.Fatal("A did not finish draining after the call ended")
	}
}

// GET /api/v1/agents answers for the whole cluster: every hub lists every connected agent
// with the hub that holds it; only the holder shows the tunnel's session. An agent that
// leaves is shown disconnected everywhere. Before, each hub listed only its own agents.
func TestAgentsListedClusterWide(t *testing.T) {
	setupKeys(t)
	pg := storetest.PostgresURL(t)
	a := startHub(t, pg, "hub-a")
	b := startHub(t, pg, "hub-b")
	ctx := context.Background()
	_, ownerKey, err := auth.CreateOwner(ctx, a.s.Store, "owner")
	if err != nil {
		t.Fatal(err)
	}
	_, agentKey, err := auth.EnrollAgent(ctx, a.s.Store, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth.EnrollAgent(ctx, a.s.Store, "idle"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []*hub{a, b} {
		if err := h.s.Keys.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	type agentView struct {
		ID        string          `json:"id"`
		Connected bool            `json:"connected"`
		Hub       string          `json:"hub"`
		Session   json.RawMessage `json:"session"`
	}
	list := func(h *hub) map[string]agentView {
		req, _ := http.NewRequest(http.MethodGet, h.url+"/api/v1/agents", nil)
		req.Header.Set("Authorization", "Bearer "+ownerKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Items []agentView }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /agents on %s: %d %v", h.id, resp.StatusCode, err)
		}
		m := map[string]agentView{}
		for _, v := range out.Items {
			m[v.ID] = v
		}
		return m
	}
	ts := newToolServer(t)
	stop := runAgent(t, "laptop", agentKey, a.agentURL(), ts.url, time.Hour)
	eventually(t, "B lists the agent on A as connected, held by hub-a", func() bool {
		v := list(b)["laptop"]
		return v.Connected && v.Hub == "hub-a"
	})
	onA, onB := list(a), list(b)
	if v := onA["laptop"]; !v.Connected || v.Hub != "hub-a" || len(v.Session) == 0 || string(v.Session) == "null" {
		t.Fatalf("the holder's view: %+v", v)
	}
	if v := onB["laptop"]; len(v.Session) != 0 && string(v.Session) != "null" {
		t.Fatalf("B shows a session it does not hold: %+v", v)
	}
	for _, m := range []map[string]agentView{onA, onB} {
		if v := m["idle"]; v.Connected || v.Hub != "" {
			t.Fatalf("an agent never connected is shown connected: %+v", v)
		}
	}
	stop()
	eventually(t, "both hubs show the agent disconnected", func() bool {
		va, vb := list(a)["laptop"], list(b)["laptop"]
		return !va.Connected && !vb.Connected && va.Hub == "" && vb.Hub == ""
	})
}

// A client subscribed to an agent's resource through a hub that does not hold the agent
// gets its notifications/resources/updated: the holder tells the other hubs (a broadcast on
// the change channel) and each delivers to its own subscribers. Both ways: a client on the
// same hub that did not subscribe gets nothing; one subscribed through the holder gets it
// too, once. Before, only the holder's clients got updates.
func TestResourceUpdatesReachSubscribersOnAnyHub(t *testing.T) {
	setupKeys(t)
	pg := storetest.PostgresURL(t)
	a := startHub(t, pg, "hub-a")
	b := startHub(t, pg, "hub-b")
	ctx := ctxTimeout(t, 2*time.Minute)
	ownerKey, agentKey := seedKeys(t, ctx, true, "laptop", a, b)
	subscribed := make(chan string, 4)
	srv := mcp.NewServer(&mcp.Implementation{Name: "watched", Version: "1"}, &mcp.ServerOptions{
		SubscribeHandler: func(_ context.Context, r *mcp.SubscribeRequest) error {
			subscribed <- r.Params.URI
			return nil
		},
		UnsubscribeHandler: func(context.Context, *mcp.UnsubscribeRequest) error { return nil },
	})
	srv.AddResource(&mcp.Resource{URI: "test://watched", Name: "watched", MIMEType: "text/plain"},
		func(_ context.Context, r *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: r.Params.URI, Text: "v"}}}, nil
		})
	hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	t.Cleanup(func() { hs.CloseClientConnections(); hs.Close() })
	runAgent(t, "laptop", agentKey, a.agentURL(), hs.URL, time.Hour)
	eventually(t, "agent connected to hub A", func() bool { return a.s.Agents.Connected("laptop") })

	type subscriber struct {
		cs      *mcp.ClientSession
		updates chan string
	}
	connect := func(h *hub) *subscriber {
		s := &subscriber{updates: make(chan string, 16)}
		client := mcp.NewClient(&mcp.Implementation{Name: "subscriber", Version: "1"}, &mcp.ClientOptions{
			ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) { s.updates <- r.Params.URI },
		})
		cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.url + "/mcp",
			HTTPClient: &http.Client{Transport: bearer{ownerKey, http.DefaultTransport}}}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cs.Close() })
		s.cs = cs
		return s
	}
	onB, idleB, onA := connect(b), connect(b), connect(a)
	var uri string
	eventually(t, "B lists the agent's resource", func() bool {
		res, err := onB.cs.ListResources(ctx, nil)
		if err != nil {
			return false
		}
		for _, r := range res.Resources {
			if strings.HasSuffix(r.URI, "watched") {
				uri = r.URI
			}
		}
		return uri != ""
	})
	for _, s := range []*subscriber{onB, onA} {
		if err := s.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); err != nil {
			t.Fatalf("subscribe %s: %v", uri, err)
		}
	}
	select {
	case got := <-subscribed:
		if got != "test://watched" {
			t.Fatalf("the backend was asked to subscribe to %q", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the subscription never reached the backend")
	}
	if err := srv.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: "test://watched"}); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*subscriber{"through hub B (not the holder)": onB, "through hub A (the holder)": onA} {
		select {
		case got := <-s.updates:
			if got != uri {
				t.Fatalf("%s: updated %q, want %q", name, got, uri)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no resources/updated for the client subscribed %s", name)
		}
	}
	// A second update arrives once per subscriber; the unsubscribed client on B gets none.
	if err := srv.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: "test://watched"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*subscriber{onB, onA} {
		select {
		case <-s.updates:
		case <-time.After(30 * time.Second):
			t.Fatal("no second update")
		}
	}
	// Anything more would have come with the second update (one broadcast, one delivery per
	// hub); ping both sessions of B so that anything in flight on B's streams lands first.
	for _, s := range []*subscriber{onB, idleB} {
		if err := s.cs.Ping(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(onB.updates) + len(onA.updates) + len(idleB.updates); n != 0 {
		t.Fatalf("%d updates more than one per subscriber and update (idle client on B: %d)", n, len(idleB.updates))
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// A hub-local backend created through the REST API with hubs = [...] runs on the hubs named
// only; changing hubs moves it, and empty hubs runs it on every hub. Bad hubs lists are
// refused, and so is hubs on a hub without [cluster].
func TestBackendOnTheHubsNamed(t *testing.T) {
	setupKeys(t)
	pg := storetest.PostgresURL(t)
	ts := newToolServer(t) // first: closed after the hubs, whose backends hold streams to it
	hubs := []*hub{startHub(t, pg, "hub-a"), startHub(t, pg, "hub-b"), startHub(t, pg, "hub-c")}
	a, c := hubs[0], hubs[2]
	ctx := ctxTimeout(t, 2*time.Minute)
	_, ownerKey, err := auth.CreateOwner(ctx, a.s.Store, "owner")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hubs {
		if err := h.s.Keys.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	api := func(h *hub, method, path string, body any) (int, string) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, h.url+"/api/v1"+path, strings.NewReader(string(b)))
		req.Header.Set("Authorization", "Bearer "+ownerKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	runs := func(h *hub) bool { return slices.Contains(toolNames(ctx, h.url, ownerKey), "tools__progress") }
	// where waits until exactly the hubs named run the backend.
	where := func(what string, ids ...string) {
		t.Helper()
		eventually(t, what, func() bool {
			for _, h := range hubs {
				if runs(h) != slices.Contains(ids, h.id) {
					return false
				}
			}
			return true
		})
	}
	if st, body := api(a, "POST", "/backends/tools", map[string]any{"transport": "http", "url": ts.url, "hubs": []string{"hub-b"}}); st != http.StatusCreated ||
		!strings.Contains(body, `"state":"elsewhere"`) {
		t.Fatalf("create on A for hub-b: %d %s", st, body)
	}
	where("the backend runs on hub-b only", "hub-b")
	if st, body := api(c, "GET", "/backends", nil); st != http.StatusOK || !strings.Contains(body, `"state":"elsewhere"`) || !strings.Contains(body, `"hubs":["hub-b"]`) {
		t.Fatalf("C's list: %d %s", st, body)
	}
	if st, body := api(c, "PUT", "/backends/tools", map[string]any{"transport": "http", "url": ts.url, "hubs": []string{"hub-a", "hub-c"}}); st != http.StatusOK {
		t.Fatalf("move to hub-a and hub-c: %d %s", st, body)
	}
	where("the backend moved to hub-a and hub-c", "hub-a", "hub-c")
	if st, body := api(a, "PUT", "/backends/tools", map[string]any{"transport": "http", "url": ts.url}); st != http.StatusOK {
		t.Fatalf("hubs emptied: %d %s", st, body)
	}
	where("the backend runs on every hub", "hub-a", "hub-b", "hub-c")

	for _, bad := range []struct {
		hubs []string
		says string
	}{
		{[]string{""}, "not a hub id"},
		{[]string{" hub-a"}, "not a hub id"},
		{[]string{"hub-a", "hub-a"}, "twice"},
		{[]string{strings.Repeat("h", 201)}, "not a hub id"},
	} {
		st, body := api(a, "POST", "/backends/bad", map[string]any{"transport": "http", "url": ts.url, "hubs": bad.hubs})
		if st != http.StatusBadRequest || !strings.Contains(body, bad.says) {
			t.Errorf("hubs %q: %d %s, want 400 saying %q", bad.hubs, st, body, bad.says)
		}
	}
	single := hubtest.Start(t, nil)
	req, _ := http.NewRequest("POST", single.URL+"/api/v1/backends/x", strings.NewReader(`{"transport":"http","url":"`+ts.url+`","hubs":["hub-a"]}`))
	req.Header.Set("Authorization", "Bearer "+single.OwnerKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "no [cluster]") {
		t.Fatalf("hubs on a hub without [cluster]: %d %s", resp.StatusCode, body)
	}
}

// seedKeys makes, on the first hub's store (one database for all), an owner when owner is
// set and an agent id with its key, then has every hub load the keys. It returns the owner's
// key ("" without one) and the agent's.
func seedKeys(tb testing.TB, ctx context.Context, owner bool, agentID string, hubs ...*hub) (ownerKey, agentKey string) {
	tb.Helper()
	var err error
	if owner {
		if _, ownerKey, err = auth.CreateOwner(ctx, hubs[0].s.Store, "owner"); err != nil {
			tb.Fatal(err)
		}
	}
	if _, agentKey, err = auth.EnrollAgent(ctx, hubs[0].s.Store, agentID); err != nil {
		tb.Fatal(err)
	}
	for _, h := range hubs {
		if err := h.s.Keys.Refresh(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	return ownerKey, agentKey
}
