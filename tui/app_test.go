package tui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// These tests drive the model the way bubbletea does — Update with messages, then View —
// against a real status.Tracker; agent/cli has the run under tmux.

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newClock() *clock { return &clock{t: time.Date(2026, 3, 4, 10, 0, 0, 0, time.Local)} }

func fixture(c *clock) *status.Tracker {
	tr := status.New(status.Options{Version: "v1.2.3", HubURL: "ws://hub.test/agent/ws", AgentID: "laptop", Now: c.now})
	tr.Backend(protocol.Backend{Name: "fs", Transport: "stdio", State: protocol.StateReady, Tools: make([]json.RawMessage, 3)})
	tr.Backend(protocol.Backend{Name: "web", Transport: "http", State: protocol.StateFailed, Error: "connection refused"})
	tr.Connected("hub-1")
	tr.Call(status.Call{Time: c.t, Caller: "alice", Application: "cursor", Backend: "fs", Tool: "read_file", Status: status.CallOK, Duration: 12 * time.Millisecond})
	tr.Call(status.Call{Time: c.t, Caller: "bob", Backend: "web", Tool: "fetch", Status: status.CallError, Error: "backend not ready", Duration: 300 * time.Microsecond})
	tr.Log(status.LogLine{Time: c.t, Level: "INFO", Message: "connected to the hub", Attrs: "hub_version=hub-1"})
	return tr
}

func send(t *testing.T, m Model, msgs ...tea.Msg) Model {
	t.Helper()
	for _, msg := range msgs {
		next, _ := m.Update(msg)
		m = next.(Model)
	}
	return m
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "end":
		return tea.KeyMsg{Type: tea.KeyEnd}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// screen renders m and checks the frame's size; it returns the text without colours.
func screen(t *testing.T, m Model) string {
	t.Helper()
	view := m.View()
	lines := strings.Split(view, "\n")
	if len(lines) != m.height {
		t.Fatalf("%d lines for a %d-line terminal:\n%s", len(lines), m.height, ansi.Strip(view))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > m.width {
			t.Fatalf("line %d is %d cells wide, terminal %d: %q", i, w, m.width, ansi.Strip(l))
		}
	}
	return ansi.Strip(view)
}

func mustContain(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Fatalf("screen lacks %q:\n%s", w, text)
		}
	}
}

func TestPanelsRender(t *testing.T) {
	c := newClock()
	tr := fixture(c)
	c.t = c.t.Add(75 * time.Second)
	m := send(t, New(Options{Tracker: tr, Title: "run", Now: c.now}), tea.WindowSizeMsg{Width: 120, Height: 30}, tickMsg{})
	s := screen(t, m)
	mustContain(t, s,
		"mcp-gateway-agent v1.2.3 · run", "laptop → ws://hub.test/agent/ws", "● connected · up 1m15s",
		"▶ Backends (2)", "NAME", "RESTARTS", "fs", "stdio", "ready", "3", "web", "failed", "connection refused",
		"Recent calls (2 shown, 2 total)", "alice (cursor)", "fs/read_file", "12ms", "web/fetch", "error", "300µs", "backend not ready",
		"Logs (1)", "INFO  connected to the hub hub_version=hub-1",
		"q quit", "? help")
	if strings.Index(s, "web/fetch") > strings.Index(s, "fs/read_file") {
		t.Error("calls are not newest first")
	}
}

func TestHeaderFollowsConnectionState(t *testing.T) {
	c := newClock()
	tr := status.New(status.Options{Version: "v1", HubURL: "ws://h/agent/ws", AgentID: "a", Now: c.now})
	link := ""
	m := send(t, New(Options{Tracker: tr, Now: c.now, Link: func() string { return link }}), tea.WindowSizeMsg{Width: 120, Height: 20})
	mustContain(t, screen(t, m), "◌ connecting…")

	tr.Disconnected("dial tcp 127.0.0.1:1: connect: connection refused", "", 4*time.Second)
	c.t = c.t.Add(500 * time.Millisecond)
	m = send(t, m, tickMsg{})
	mustContain(t, screen(t, m), "◌ reconnecting in 4s", "last error: dial tcp 127.0.0.1:1: connect: connection refused")
	c.t = c.t.Add(2 * time.Second) // the countdown moves without any change in the tracker
	m = send(t, m, tickMsg{})
	mustContain(t, screen(t, m), "reconnecting in 2s")

	tr.Disconnected("hub refused the agent (revoked): key revoked", "revoked: key revoked", 5*time.Minute)
	m = send(t, m, tickMsg{})
	mustContain(t, screen(t, m), "✖ refused: revoked: key revoked · retry in 5m0s")

	tr.SetUpdateAvailable("v2.0.0")
	link = "agent not reachable at /x/agent.sock: connection refused; retrying"
	m = send(t, m, tickMsg{})
	mustContain(t, screen(t, m), "update v2.0.0 available (u)", "agent not reachable at /x/agent.sock")
}

func TestKeys(t *testing.T) {
	c := newClock()
	reconnects := 0
	var setupOut bytes.Buffer
	opts := Options{Tracker: fixture(c), Now: c.now,
		Reconnect:   func() error { reconnects++; return nil },
		CheckUpdate: func(context.Context) (string, error) { return "v9.9.9 is available", nil },
		Setup: func(_ io.Reader, out, _ io.Writer) error {
			_, err := fmt.Fprint(out, "wizard ran")
			return err
		},
	}
	m := send(t, New(opts), tea.WindowSizeMsg{Width: 100, Height: 30})

	m = send(t, m, keyMsg("tab"))
	mustContain(t, screen(t, m), "▶ Recent calls")
	m = send(t, m, keyMsg("tab"), keyMsg("tab"))
	mustContain(t, screen(t, m), "▶ Backends")
	m = send(t, m, keyMsg("left"))
	mustContain(t, screen(t, m), "▶ Logs")
	m = send(t, m, keyMsg("shift+tab"))
	mustContain(t, screen(t, m), "▶ Recent calls")

	m = send(t, m, keyMsg("?"))
	mustContain(t, screen(t, m), "Help — esc or ? to close", "reconnect now", "check for updates", "next panel", "refused: the hub's reason")
	m = send(t, m, keyMsg("esc"))
	if strings.Contains(screen(t, m), "Help —") {
		t.Fatal("esc did not close help")
	}

	run := func(k string) Model {
		next, cmd := m.Update(keyMsg(k))
		m = next.(Model)
		if cmd != nil {
			m = send(t, m, cmd())
		}
		return m
	}
	mustContain(t, screen(t, run("r")), "reconnect asked for")
	if reconnects != 1 {
		t.Errorf("Reconnect called %d times", reconnects)
	}
	mustContain(t, screen(t, run("u")), "v9.9.9 is available")

	_, cmd := m.Update(keyMsg("s"))
	if cmd == nil {
		t.Fatal("s gave no command")
	}
	e := &execFunc{run: opts.Setup}
	e.SetStdout(&setupOut)
	if err := e.Run(); err != nil || setupOut.String() != "wizard ran" {
		t.Fatalf("setup ran with %v, wrote %q", err, setupOut.String())
	}
	m = send(t, m, actionMsg{text: "setup", err: errors.New("hub refused the key")})
	mustContain(t, screen(t, m), "setup: hub refused the key")

	for _, k := range []string{"q", "ctrl+c"} {
		_, cmd := m.Update(keyMsg(k))
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Fatalf("%s does not quit", k)
		}
	}
}

func TestMissingActionsSaySo(t *testing.T) {
	c := newClock()
	m := send(t, New(Options{Tracker: fixture(c), Now: c.now}), tea.WindowSizeMsg{Width: 140, Height: 20})
	mustContain(t, screen(t, send(t, m, keyMsg("s"))), "setup is not available here; run `mcp-gateway-agent setup`")
	mustContain(t, screen(t, send(t, m, keyMsg("u"))), "update checks are not available in this build")
	mustContain(t, screen(t, send(t, m, keyMsg("r"))), "reconnect is not available here")
	m = send(t, m, keyMsg("r"))
	c.t = c.t.Add(time.Minute)
	if s := screen(t, send(t, m, tickMsg{})); strings.Contains(s, "not available") || !strings.Contains(s, "q quit") {
		t.Fatalf("an old message stays:\n%s", s)
	}
}

func TestResize(t *testing.T) {
	c := newClock()
	m := New(Options{Tracker: fixture(c), Now: c.now})
	for _, size := range [][2]int{{120, 40}, {80, 24}, {60, 14}, {40, 8}, {200, 60}, {12, 3}, {1, 1}} {
		m = send(t, m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		s := screen(t, m)
		if size[1] >= 16 && !strings.Contains(s, "Logs") {
			t.Errorf("%v: logs panel missing:\n%s", size, s)
		}
		m = send(t, m, keyMsg("?"))
		screen(t, m)
		m = send(t, m, keyMsg("?"))
	}
}

func TestLogsScrollAndFollow(t *testing.T) {
	c := newClock()
	tr := status.New(status.Options{Now: c.now})
	for i := range 100 {
		tr.Log(status.LogLine{Time: c.t, Level: "INFO", Message: fmt.Sprintf("line-%03d", i)})
	}
	m := send(t, New(Options{Tracker: tr, Now: c.now}), tea.WindowSizeMsg{Width: 80, Height: 24}, keyMsg("tab"), keyMsg("tab"))
	mustContain(t, screen(t, m), "line-099", "▶ Logs (100)")
	m = send(t, m, keyMsg("up"), keyMsg("up"), keyMsg("up"))
	s := screen(t, m)
	mustContain(t, s, "line-096", "3 newer below")
	if strings.Contains(s, "line-099") {
		t.Fatal("scrolled up but the newest line is still shown")
	}
	tr.Log(status.LogLine{Time: c.t, Level: "WARN", Message: "line-100"})
	m = send(t, m, tickMsg{})
	if s = screen(t, m); strings.Contains(s, "line-100") || !strings.Contains(s, "line-096") || !strings.Contains(s, "4 newer below") {
		t.Fatalf("a new line moved the scrolled view:\n%s", s)
	}
	m = send(t, m, keyMsg("end"))
	mustContain(t, screen(t, m), "line-100")
	m = send(t, m, keyMsg("g"))
	mustContain(t, screen(t, m), "line-000")
}

// A burst of 10,000 calls while the dashboard ticks: memory stays bounded, every frame fits,
// and a frame costs the same as with a few calls.
func TestBurstStaysBounded(t *testing.T) {
	c := newClock()
	tr := status.New(status.Options{Now: c.now})
	m := send(t, New(Options{Tracker: tr, Now: c.now}), tea.WindowSizeMsg{Width: 120, Height: 40})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10000 {
			tr.Call(status.Call{Time: c.t, Caller: "load", Backend: "fs", Tool: fmt.Sprint("t", i), Status: status.CallOK})
		}
	}()
	frames := 0
	start := time.Now()
	for running := true; running; frames++ {
		select {
		case <-done:
			running = false
		default:
		}
		m = send(t, m, tickMsg{})
		screen(t, m)
	}
	perFrame := time.Since(start) / time.Duration(frames)
	m = send(t, m, tickMsg{})
	s := screen(t, m)
	if len(m.snap.Calls) != status.DefaultMaxCalls || m.snap.CallsTotal != 10000 {
		t.Fatalf("kept %d calls of %d", len(m.snap.Calls), m.snap.CallsTotal)
	}
	mustContain(t, s, "Recent calls (200 shown, 10000 total)", "fs/t9999")
	t.Logf("%d frames during the burst, %s per frame", frames, perFrame)
	if perFrame > 100*time.Millisecond {
		t.Errorf("a frame takes %s during a burst", perFrame)
	}
}

// A frame with full panels renders only the rows in view (1000 log lines, 200 calls).
func BenchmarkViewFullPanels(b *testing.B) {
	c := newClock()
	tr := status.New(status.Options{Now: c.now})
	for i := range 1000 {
		tr.Log(status.LogLine{Time: c.t, Level: "INFO", Message: fmt.Sprint("line ", i), Attrs: "a=b c=d"})
	}
	for i := range 200 {
		tr.Call(status.Call{Time: c.t, Caller: "load", Backend: "fs", Tool: fmt.Sprint("t", i), Status: status.CallOK})
	}
	mm, _ := New(Options{Tracker: tr, Now: c.now}).Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m := mm.(Model)
	m.refresh()
	b.ResetTimer()
	for range b.N {
		_ = m.View()
	}
}
