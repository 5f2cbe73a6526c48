//go:build !windows

package control

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

func waitMirror(t *testing.T, mirror *status.Tracker, what string, ok func(status.Snapshot, []status.LogLine) bool) {
	t.Helper()
	sub := mirror.Subscribe(16)
	defer sub.Close()
	deadline := time.After(10 * time.Second)
	for !ok(mirror.Snapshot(), mirror.LogsSince(0)) {
		select {
		case <-sub.C():
		case <-deadline:
			t.Fatalf("mirror never had %s: %+v", what, mirror.Snapshot())
		}
	}
}

// Follow keeps a mirror equal to the agent: state, backends, calls and log lines, and a
// burst of 10,000 calls arrives as a handful of snapshots.
func TestFollowMirrorsTheAgent(t *testing.T) {
	src := status.New(status.Options{Version: "v1", AgentID: "laptop", HubURL: "ws://h"})
	src.Log(status.LogLine{Level: "INFO", Message: "before"})
	path := serve(t, &Server{Tracker: src})
	mirror := status.New(status.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	connected := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- (&Client{Path: path}).Follow(ctx, mirror, func() { close(connected) }) }()
	<-connected
	waitMirror(t, mirror, "the first snapshot and the backlog", func(s status.Snapshot, l []status.LogLine) bool {
		return s.AgentID == "laptop" && len(l) == 1 && l[0].Message == "before"
	})

	src.Backend(protocol.Backend{Name: "fs", State: protocol.StateReady})
	src.Disconnected("lost", "", time.Minute)
	src.Log(status.LogLine{Level: "WARN", Message: "after"})
	waitMirror(t, mirror, "the changes", func(s status.Snapshot, l []status.LogLine) bool {
		return s.State == status.StateReconnecting && len(s.Backends) == 1 && len(l) == 2 && l[1].Message == "after"
	})

	for i := range 10000 {
		src.Call(status.Call{Tool: fmt.Sprint(i)})
	}
	waitMirror(t, mirror, "all calls", func(s status.Snapshot, _ []status.LogLine) bool { return s.CallsTotal == 10000 })
	if s := mirror.Snapshot(); len(s.Calls) != status.DefaultMaxCalls || s.Calls[0].Tool != "9999" {
		t.Fatalf("mirror calls: %d, newest %q", len(s.Calls), s.Calls[0].Tool)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Follow after cancel: %v", err)
	}
}

// A burst is coalesced: far fewer snapshot lines than changes.
func TestSubscribeCoalesces(t *testing.T) {
	src := status.New(status.Options{})
	path := serve(t, &Server{Tracker: src, Interval: 50 * time.Millisecond})
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintln(conn, `{"op":"subscribe"}`)
	r := newReader(conn)
	if m, err := r.next(); err != nil || m.Type != TypeSnapshot {
		t.Fatalf("first message: %+v %v", m, err)
	}
	for range 10000 {
		src.Call(status.Call{})
	}
	snapshots := 0
	for {
		m, err := r.next()
		if err != nil {
			t.Fatal(err)
		}
		snapshots++
		if m.Snapshot.CallsTotal == 10000 {
			break
		}
	}
	t.Logf("10000 calls arrived in %d snapshot lines", snapshots)
	if snapshots > 50 {
		t.Fatalf("%d snapshot lines for one burst", snapshots)
	}
}

// A dashboard that stops reading never slows the agent, and is dropped.
func TestSlowSubscriberIsDropped(t *testing.T) {
	src := status.New(status.Options{})
	path := serve(t, &Server{Tracker: src, Interval: time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintln(conn, `{"op":"subscribe"}`)
	start := time.Now()
	for i := range 50000 {
		src.Call(status.Call{Tool: "some_tool_with_a_long_name", Caller: "someone", Error: fmt.Sprint(i)})
		src.Log(status.LogLine{Message: "a log line that takes some room in the socket buffer"})
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("writes took %s with a stalled reader", d)
	}
	_ = conn.(*net.UnixConn).SetReadBuffer(1)
	buf := make([]byte, 64<<10)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for { // drain until the server gives up on us
		if _, err := conn.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the server never dropped the stalled reader")
			}
			return
		}
		time.Sleep(300 * time.Millisecond) // read slower than WriteTimeout allows
	}
}

// Following again after a lost connection adds only new log lines; following a restarted
// agent (a new Started) adds all of its lines, though their numbers start again.
func TestFollowAgainDoesNotRepeatLogs(t *testing.T) {
	src := status.New(status.Options{})
	src.Log(status.LogLine{Message: "one"})
	src.Log(status.LogLine{Message: "two"})
	c := &Client{Path: serve(t, &Server{Tracker: src})}
	mirror := status.New(status.Options{})
	followUntil := func(n int) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Follow(ctx, mirror, nil) }()
		waitMirror(t, mirror, fmt.Sprint(n, " log lines"), func(_ status.Snapshot, l []status.LogLine) bool { return len(l) >= n })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	followUntil(2)
	src.Log(status.LogLine{Message: "three"})
	followUntil(3)
	restarted := status.New(status.Options{Now: func() time.Time { return time.Now().Add(time.Hour) }})
	restarted.Log(status.LogLine{Message: "fresh"})
	c.Path = serve(t, &Server{Tracker: restarted})
	followUntil(4)
	var got []string
	for _, l := range mirror.LogsSince(0) {
		got = append(got, l.Message)
	}
	if fmt.Sprint(got) != "[one two three fresh]" {
		t.Fatalf("mirrored lines: %q", got)
	}
}
