// Package tui is the agent's live terminal dashboard: connection state, backends, recent
// calls and logs, read from an agent/status Tracker (the agent's own, or a mirror of one).
package tui

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
)

// Options connect the dashboard to an agent. Only Tracker is required; a missing action
// makes its key say that it is not available.
type Options struct {
	// Tracker is the state shown.
	Tracker *status.Tracker
	// Title names the mode in the header, e.g. "run" or "dashboard".
	Title string
	// Reconnect asks the agent to connect now (key r).
	Reconnect func() error
	// CheckUpdate looks for a newer release and describes what it found (key u).
	CheckUpdate func(ctx context.Context) (string, error)
	// Setup runs the setup wizard with the terminal handed over to it (key s).
	Setup func(stdin io.Reader, stdout, stderr io.Writer) error
	// Link says what is wrong with the way to the agent ("" when nothing is), for a
	// dashboard attached through the control socket.
	Link func() string
	// FPS caps redraws per second; default 10. Bursts of changes are coalesced into one.
	FPS int
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
}

// panel identifies the three panels, in tab order.
type panel int

const (
	panelBackends panel = iota
	panelCalls
	panelLogs
	panelCount
)

// maxLogLines bounds the log lines the model keeps, as the tracker does.
const maxLogLines = status.DefaultMaxLogs

// Model is the bubbletea model of the dashboard.
type Model struct {
	opts   Options
	keys   keyMap
	help   help.Model
	styles styles

	width, height int
	focus         panel
	scroll        [panelCount]int // lines scrolled: from the top, and for logs from the bottom
	showHelp      bool

	snap    status.Snapshot
	logs    []status.LogLine
	lastSeq uint64
	seen    uint64 // tracker version shown
	stale   bool   // refresh even if the version did not move
	now     time.Time

	msg     string
	msgErr  bool
	msgTime time.Time
	link    string
}

type tickMsg time.Time

// actionMsg carries the outcome of r, u or s.
type actionMsg struct {
	text string
	err  error
}

// New returns the model; Run is the usual way to show it.
func New(opts Options) Model {
	if opts.FPS <= 0 {
		opts.FPS = 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := Model{opts: opts, keys: defaultKeys(), help: help.New(), styles: defaultStyles(), width: 80, height: 24, stale: true}
	m.refresh()
	return m
}

// Run shows the dashboard until the user quits or ctx ends. Program options choose the
// terminal (tea.WithInput, tea.WithOutput, …); the alternate screen is used.
func Run(ctx context.Context, opts Options, popts ...tea.ProgramOption) error {
	popts = append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}, popts...)
	_, err := tea.NewProgram(New(opts), popts...).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// Init starts the redraw tick.
func (m Model) Init() tea.Cmd { return m.tick() }

func (m Model) tick() tea.Cmd {
	return tea.Tick(time.Second/time.Duration(m.opts.FPS), func(t time.Time) tea.Msg { return tickMsg(t) })
}

// refresh copies what changed in the tracker since the last refresh.
func (m *Model) refresh() {
	m.now = m.opts.Now()
	if m.opts.Link != nil {
		m.link = m.opts.Link()
	}
	v := m.opts.Tracker.Version()
	if v == m.seen && !m.stale {
		return
	}
	m.seen, m.stale = v, false
	m.snap = m.opts.Tracker.Snapshot()
	if fresh := m.opts.Tracker.LogsSince(m.lastSeq); len(fresh) > 0 {
		m.lastSeq = fresh[len(fresh)-1].Seq
		m.logs = append(m.logs, fresh...)
		if extra := len(m.logs) - maxLogLines; extra > 0 {
			m.logs = append(m.logs[:0:0], m.logs[extra:]...)
		}
		if m.scroll[panelLogs] > 0 { // keep the lines in view while new ones arrive
			m.scroll[panelLogs] += len(fresh)
		}
	}
}

// Update handles keys, resizes, the tick and the outcome of actions.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		m.refresh()
		return m, m.tick()
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		m.clampScroll()
		return m, nil
	case actionMsg:
		m.say(msg.text, msg.err)
		m.stale = true // show the effect at the next tick
		return m, nil
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m *Model) say(text string, err error) {
	m.msg, m.msgErr, m.msgTime = text, err != nil, m.opts.Now()
	if err != nil {
		m.msg = err.Error()
		if text != "" {
			m.msg = text + ": " + err.Error()
		}
	}
}

func (m Model) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Quit):
		return m, tea.Quit
	case key.Matches(k, m.keys.Help):
		m.showHelp = !m.showHelp
	case key.Matches(k, m.keys.Close):
		m.showHelp = false
	case key.Matches(k, m.keys.Next):
		m.focus = (m.focus + 1) % panelCount
	case key.Matches(k, m.keys.Prev):
		m.focus = (m.focus + panelCount - 1) % panelCount
	case key.Matches(k, m.keys.Up):
		m.scrollBy(-1)
	case key.Matches(k, m.keys.Down):
		m.scrollBy(1)
	case key.Matches(k, m.keys.PageUp):
		m.scrollBy(-m.pageSize())
	case key.Matches(k, m.keys.PageDown):
		m.scrollBy(m.pageSize())
	case key.Matches(k, m.keys.Top):
		m.scrollBy(-1 << 30)
	case key.Matches(k, m.keys.Bottom):
		m.scrollBy(1 << 30)
	case key.Matches(k, m.keys.Reconnect):
		return m.reconnect()
	case key.Matches(k, m.keys.Update):
		return m.checkUpdate()
	case key.Matches(k, m.keys.Setup):
		return m.setup()
	}
	return m, nil
}

// scrollBy moves the focused panel's view by n lines, down when n > 0. The logs panel
// counts from the bottom, so that at 0 it follows new lines.
func (m *Model) scrollBy(n int) {
	if m.focus == panelLogs {
		n = -n
	}
	m.scroll[m.focus] += n
	m.clampScroll()
}

func (m *Model) clampScroll() {
	rows := [panelCount]int{len(m.snap.Backends), len(m.snap.Calls), len(m.logs)}
	l := m.layout()
	for p := range panelCount {
		m.scroll[p] = max(0, min(m.scroll[p], rows[p]-l.rows[p]))
	}
}

func (m Model) pageSize() int { return max(1, m.layout().rows[m.focus]-1) }

func (m Model) reconnect() (tea.Model, tea.Cmd) {
	if m.opts.Reconnect == nil {
		m.say("reconnect is not available here", nil)
		return m, nil
	}
	m.say("reconnecting now…", nil)
	f := m.opts.Reconnect
	return m, func() tea.Msg {
		if err := f(); err != nil {
			return actionMsg{text: "reconnect", err: err}
		}
		return actionMsg{text: "reconnect asked for"}
	}
}

func (m Model) checkUpdate() (tea.Model, tea.Cmd) {
	if m.opts.CheckUpdate == nil {
		m.say("update checks are not available in this build; see `mcp-gateway-agent update --check`", nil)
		return m, nil
	}
	m.say("checking for updates…", nil)
	f := m.opts.CheckUpdate
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		text, err := f(ctx)
		if err != nil {
			return actionMsg{text: "update check failed", err: err}
		}
		return actionMsg{text: text}
	}
}

func (m Model) setup() (tea.Model, tea.Cmd) {
	if m.opts.Setup == nil {
		m.say("setup is not available here; run `mcp-gateway-agent setup` in another terminal", nil)
		return m, nil
	}
	return m, tea.Exec(&execFunc{run: m.opts.Setup}, func(err error) tea.Msg {
		if err != nil {
			return actionMsg{text: "setup", err: err}
		}
		return actionMsg{text: "setup finished"}
	})
}

// execFunc runs a function as a tea.ExecCommand, with the terminal released to it.
type execFunc struct {
	run             func(io.Reader, io.Writer, io.Writer) error
	stdin           io.Reader
	stdout, stderrW io.Writer
}

func (e *execFunc) Run() error            { return e.run(e.stdin, e.stdout, e.stderrW) }
func (e *execFunc) SetStdin(r io.Reader)  { e.stdin = r }
func (e *execFunc) SetStdout(w io.Writer) { e.stdout = w }
func (e *execFunc) SetStderr(w io.Writer) { e.stderrW = w }
