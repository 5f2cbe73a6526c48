package server

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"net/http"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/cluster"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/connlimit"
	"github.com/mcp-gateway/mcp-gateway/hub/ratelimit"
)

// newFrontDoor builds the connection limiter ([limits] max_connections and
// max_connections_per_address) and the rate limiter (key_rate, application_rate).
func (s *Server) newFrontDoor() {
	l := s.cfg.Limits
	s.conns = connlimit.New(connlimit.Config{
		Max: l.MaxConnections, PerAddress: l.MaxConnectionsPerAddress,
		RefuseHTTP: s.cfg.TLSCert == "", Log: s.log.With("component", "connlimit"),
	})
	// Each connection is a file descriptor, and the hub needs more for its store, audit
	// journal and stdio backends: warn now rather than fail with accept errors later.
	if n := fdLimit(); n > 0 && l.MaxConnections > 0 && uint64(l.MaxConnections)+256 > n {
		s.log.Warn("limits.max_connections is above what the open-file limit allows; raise the limit (ulimit -n, LimitNOFILE=) or lower the cap",
			"max_connections", l.MaxConnections, "open_file_limit", n)
	}
	s.rates = ratelimit.New(ratelimit.Config{
		Key: ratelimit.Rate{PerSecond: l.KeyRate, Burst: l.KeyBurst}, Keys: rates(l.KeyRates),
		Application:  ratelimit.Rate{PerSecond: l.ApplicationRate, Burst: l.ApplicationBurst},
		Applications: rates(l.ApplicationRates),
	})
}

func rates(m map[string]config.Rate) map[string]ratelimit.Rate {
	out := make(map[string]ratelimit.Rate, len(m))
	for name, r := range m {
		out[name] = ratelimit.Rate{PerSecond: r.Rate, Burst: r.Burst}
	}
	return out
}

// ConnStats are the connection limiter's counters.
func (s *Server) ConnStats() connlimit.Stats { return s.conns.Stats() }

// RateStats are the rate limiter's counters.
func (s *Server) RateStats() ratelimit.Stats { return s.rates.Stats() }

// httpServer is the hub's front door: bounded header, body and idle times, connection
// states reported to the connection limiter, and the server's own errors in the log.
// There is no http.Server ReadTimeout or WriteTimeout: both would cut the long-lived SSE
// streams and the agents' WebSockets; bodyDeadline bounds the reading of bodies instead.
func (s *Server) httpServer() *http.Server {
	l := s.cfg.Limits
	srv := &http.Server{
		Handler:           bodyDeadline(s.Handler(), l.ReadTimeout.Duration),
		ReadHeaderTimeout: l.ReadHeaderTimeout.Duration,
		IdleTimeout:       l.IdleTimeout.Duration,
		ConnState:         s.conns.ConnState,
		ErrorLog:          log.New(serverLog{s.log.With("component", "http")}, "", 0),
	}
	s.clusterProtocols(srv)
	return srv
}

// bodyDeadline gives a request with a body d to deliver it. net/http lifts the deadline
// itself once the body has been read (HTTP/1 when it starts watching for the client to
// go away, HTTP/2 when the stream's body ends), so a handler that then streams its answer
// for minutes keeps its connection; TestBodyReadTimeout holds it to that.
func bodyDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A forwarded call's body is its stream of answers and cancel: open as long as the call.
		if r.Body != nil && r.Body != http.NoBody && d > 0 && r.URL.Path != cluster.CallPath {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		h.ServeHTTP(w, r)
	})
}

// serverLog takes net/http's own error lines: accept errors (out of file descriptors,
// say) and panics are an operator's business, at Warn and Error; a client's broken TLS
// handshake or malformed request is noise from the internet, at Debug.
type serverLog struct{ log *slog.Logger }

func (l serverLog) Write(p []byte) (int, error) {
	msg := string(bytes.TrimSpace(p))
	level := slog.LevelDebug
	switch {
	case bytes.Contains(p, []byte("Accept error")):
		level = slog.LevelWarn
	case bytes.Contains(p, []byte("panic serving")):
		level = slog.LevelError
	}
	l.log.Log(context.Background(), level, msg)
	return len(p), nil
}
