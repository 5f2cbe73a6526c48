package tunnel

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func bearerAuth(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer good" {
		http.Error(w, "invalid agent key", http.StatusUnauthorized)
		return false
	}
	return true
}

func TestDialSendsHeaderAndReportsRefusal(t *testing.T) {
	h := startHub(t, Config{}, bearerAuth)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, resp, err := Dial(ctx, DialConfig{URL: h.url(), Header: http.Header{"Authorization": {"Bearer bad"}}})
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != 401 || he.Body != "invalid agent key" {
		t.Fatalf("err = %v, want HandshakeError 401 invalid agent key", err)
	}
	if !strings.Contains(err.Error(), "401: invalid agent key") || !errors.Is(err, websocket.ErrBadHandshake) {
		t.Fatalf("error text %q", err)
	}
	if resp == nil || resp.StatusCode != 401 {
		t.Fatalf("response %v", resp)
	}

	sess, _, err := Dial(ctx, DialConfig{URL: h.url(), Header: http.Header{"Authorization": {"Bearer good"}}})
	if err != nil {
		t.Fatalf("good key: %v", err)
	}
	_ = sess.Close()
}

func TestHandshakeErrorBodyIsBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write(append([]byte("no\x00\x1b[31m"), bytes.Repeat([]byte("x"), 5000)...))
	}))
	defer srv.Close()
	_, _, err := Dial(context.Background(), DialConfig{URL: srv.URL})
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != 403 {
		t.Fatalf("err = %v", err)
	}
	if len(he.Body) > maxErrorBody || strings.ContainsAny(he.Body, "\x00\x1b") {
		t.Fatalf("body not bounded/sanitised: %d bytes %q", len(he.Body), he.Body[:20])
	}
}

func TestAcceptRejectsBrowserOrigin(t *testing.T) {
	h := startHub(t, Config{}, nil)
	_, _, err := Dial(context.Background(), DialConfig{URL: h.url(), Header: http.Header{"Origin": {"https://evil.example"}}})
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden {
		t.Fatalf("err = %v, want 403", err)
	}
}

func TestDialWSS(t *testing.T) {
	up := NewUpgrader(Config{})
	accepted := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sess, err := up.Accept(w, r); err == nil {
			serveEcho(sess)
			accepted <- struct{}{}
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	url := "wss" + strings.TrimPrefix(srv.URL, "https")

	if _, _, err := Dial(context.Background(), DialConfig{URL: url}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("unverified certificate accepted: %v", err)
	}
	agent := dial(t, DialConfig{URL: url, InsecureSkipVerify: true})
	<-accepted
	if err := echoOnce(agent, 5000, 4); err != nil {
		t.Fatal(err)
	}
}

func TestDialURLChecks(t *testing.T) {
	for _, u := range []string{"ftp://hub/", "ws://", "::"} {
		if _, _, err := Dial(context.Background(), DialConfig{URL: u}); err == nil {
			t.Errorf("Dial(%q) succeeded", u)
		}
	}
	got, err := wsURL("https://hub.example.com/agent/ws")
	if err != nil || got != "wss://hub.example.com/agent/ws" {
		t.Fatalf("wsURL = %q, %v", got, err)
	}
}

func TestYamuxLogLevels(t *testing.T) {
	var buf bytes.Buffer
	l := yamuxLogger{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Printf("[ERR] yamux: keepalive failed: %v", "x")
	l.Println("[WARN] yamux: discarding")
	l.Print("other")
	out := buf.String()
	for _, want := range []string{"level=WARN msg=\"[ERR] yamux: keepalive failed: x\"", "level=INFO", "level=DEBUG msg=other"} {
		if !strings.Contains(out, want) {
			t.Errorf("log output lacks %q:\n%s", want, out)
		}
	}
}
