package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mcp-gateway/mcp-gateway/agent/status"
)

// layout is how the screen's height is shared: data rows per panel, 0 for a hidden panel.
type layout struct {
	header int
	rows   [panelCount]int
	shown  [panelCount]bool
}

// chrome is the lines a panel takes besides its data rows: borders, title, column heads.
var chrome = [panelCount]int{4, 4, 3}

const messageShownFor = 10 * time.Second

func (m Model) layout() layout {
	l := layout{header: len(m.headerLines())}
	avail := m.height - l.header - 1 // the footer
	body := avail - chrome[0] - chrome[1] - chrome[2]
	if body < 3 { // too short for all three: the focused panel alone
		l.shown[m.focus] = true
		l.rows[m.focus] = max(0, avail-chrome[m.focus])
		return l
	}
	l.shown = [panelCount]bool{true, true, true}
	l.rows[panelBackends] = max(1, min(len(m.snap.Backends), body/2))
	l.rows[panelCalls] = max(1, (body-l.rows[panelBackends])/2)
	l.rows[panelLogs] = body - l.rows[panelBackends] - l.rows[panelCalls]
	return l
}

// View renders the whole screen: exactly height lines, none wider than width.
func (m Model) View() string {
	l := m.layout()
	out := make([]string, 0, m.height)
	for _, h := range m.headerLines() {
		out = append(out, fit(h, m.width))
	}
	if m.showHelp {
		out = append(out, m.box("Help — esc or ? to close", m.helpLines(), m.height-len(out)-4, true)...)
	} else {
		for p := range panelCount {
			if l.shown[p] {
				out = append(out, m.panel(p, l.rows[p])...)
			}
		}
	}
	for len(out) < m.height-1 {
		out = append(out, "")
	}
	out = append(out[:min(len(out), max(0, m.height-1))], fit(m.footer(), m.width))
	return strings.Join(out, "\n")
}

// headerLines are who and where (with a pending update), then the connection state.
func (m Model) headerLines() []string {
	s, st := m.snap, m.styles
	title := "mcp-gateway-agent " + s.Version
	if m.opts.Title != "" {
		title += " · " + m.opts.Title
	}
	who := st.Title.Render(title) + st.Dim.Render(" │ ") + s.AgentID + st.Dim.Render(" → ") + s.HubURL
	if s.UpdateAvailable != "" {
		who += st.Dim.Render(" │ ") + st.Warn.Render("update "+s.UpdateAvailable+" available (u)")
	}
	state := st.state(s.State).Render(m.stateText())
	switch {
	case m.link != "":
		state = st.Error.Render("⚠ "+m.link) + st.Dim.Render(" │ last known: ") + state
	case s.State != status.StateConnected && s.LastError != "" && s.State != status.StateRefused:
		state += st.Dim.Render(" │ last error: " + oneLine(s.LastError))
	}
	return []string{who, state}
}

// stateText is the connection state in words, with a live countdown.
func (m Model) stateText() string {
	s := m.snap
	retry := ""
	if d := s.RetryAt.Sub(m.now); !s.RetryAt.IsZero() && d > 0 {
		retry = ((d + time.Second - 1) / time.Second * time.Second).String() // whole seconds, rounded up
	}
	switch s.State {
	case status.StateConnected:
		return "● connected · up " + m.now.Sub(s.Since).Truncate(time.Second).String()
	case status.StateReconnecting:
		if retry != "" {
			return "◌ reconnecting in " + retry
		}
		return "◌ reconnecting…"
	case status.StateRefused:
		if retry != "" {
			return "✖ refused: " + s.Refusal + " · retry in " + retry
		}
		return "✖ refused: " + s.Refusal + " · retrying…"
	case "":
		return "…"
	}
	return "◌ " + s.State + "…"
}

func (m Model) panel(p panel, rows int) []string {
	var title, head string
	var n int
	var row func(int) string
	switch p {
	case panelBackends:
		title = fmt.Sprintf("Backends (%d)", len(m.snap.Backends))
		head, n, row = m.backendRows()
	case panelCalls:
		title = fmt.Sprintf("Recent calls (%d shown, %d total)", len(m.snap.Calls), m.snap.CallsTotal)
		head, n, row = m.callRows()
	case panelLogs:
		title = fmt.Sprintf("Logs (%d)", len(m.logs))
		n, row = m.logRows()
	}
	off := min(m.scroll[p], max(0, n-rows))
	from, to := off, min(n, off+rows)
	if p == panelLogs { // counted from the bottom
		from, to = max(0, n-off-rows), n-off
		if off > 0 {
			title += fmt.Sprintf(" — %d newer below, end to follow", off)
		}
	} else if off > 0 {
		title += fmt.Sprintf(" — %d above", off)
	}
	body := []string{}
	if head != "" {
		body = append(body, m.styles.Header.Render(head))
	}
	height := rows + len(body)
	for i := from; i < to; i++ { // only the rows in view are rendered
		body = append(body, row(i))
	}
	return m.box(title, body, height, m.focus == p)
}

// box draws a bordered panel of exactly height content lines (title included).
func (m Model) box(title string, lines []string, height int, focused bool) []string {
	cw := max(1, m.width-4)
	style, mark := m.styles.Panel, "  "
	if focused {
		style, mark = m.styles.Focused, "▶ "
	}
	content := []string{m.styles.Bold.Render(fit(mark+title, cw))}
	for _, l := range lines {
		if len(content) > height {
			break
		}
		content = append(content, fit(l, cw))
	}
	for len(content) <= height {
		content = append(content, "")
	}
	return strings.Split(style.Width(cw+2).Render(strings.Join(content, "\n")), "\n")
}

// backendRows, callRows and logRows give a panel's column heads, its number of rows and
// how to render row i; an empty panel has one row that says so.
func (m Model) backendRows() (string, int, func(int) string) {
	head := col("NAME", 16) + col("TRANSPORT", 10) + col("STATE", 13) + rcol("TOOLS", 6) + rcol("RESTARTS", 9) + "  LAST ERROR"
	if len(m.snap.Backends) == 0 {
		return head, 1, m.placeholder("no backends configured — press s to set some up")
	}
	return head, len(m.snap.Backends), func(i int) string {
		b := m.snap.Backends[i]
		return col(b.Name, 16) + col(b.Transport, 10) + m.styles.state(b.State).Render(col(strings.ReplaceAll(b.State, "_", " "), 13)) +
			rcol(fmt.Sprint(b.Tools), 6) + rcol(fmt.Sprint(b.Restarts), 9) + "  " + m.styles.Dim.Render(oneLine(b.LastError))
	}
}

func (m Model) callRows() (string, int, func(int) string) {
	head := col("TIME", 9) + col("CALLER", 15) + col("BACKEND/TOOL", 32) + col("STATUS", 10) + rcol("DURATION", 9) + "  ERROR"
	if len(m.snap.Calls) == 0 {
		return head, 1, m.placeholder("no calls yet")
	}
	return head, len(m.snap.Calls), func(i int) string {
		c := m.snap.Calls[i]
		caller := c.Caller
		if c.Application != "" {
			caller += " (" + c.Application + ")"
		}
		return col(c.Time.Local().Format("15:04:05"), 9) + col(caller, 15) + col(c.Backend+"/"+c.Tool, 32) +
			m.styles.state(c.Status).Render(col(c.Status, 10)) + rcol(duration(c.Duration), 9) + "  " + m.styles.Dim.Render(oneLine(c.Error))
	}
}

func (m Model) logRows() (int, func(int) string) {
	if len(m.logs) == 0 {
		return 1, m.placeholder("no log lines yet")
	}
	return len(m.logs), func(i int) string {
		l := m.logs[i]
		return m.styles.Dim.Render(l.Time.Local().Format("15:04:05")) + " " + m.styles.Level[l.Level].Render(col(l.Level, 5)) +
			" " + oneLine(l.Message) + " " + m.styles.Dim.Render(oneLine(l.Attrs))
	}
}

func (m Model) placeholder(text string) func(int) string {
	return func(int) string { return m.styles.Dim.Render(text) }
}

func (m Model) helpLines() []string {
	text := []string{
		"The header shows the version, this agent's id, its hub and the connection state:",
		"connecting, connected, reconnecting in Ns, or refused: the hub's reason.",
		"Backends: state (starting, ready, failed, stopped), tools, restarts, last error.",
		"Recent calls: newest first — time, caller, backend/tool, status, duration.",
		"Logs: the agent's log lines; scroll up to stop following, end to follow again.",
		"",
	}
	return append(text, strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n")...)
}

func (m Model) footer() string {
	if m.msg != "" && m.now.Sub(m.msgTime) < messageShownFor {
		if m.msgErr {
			return m.styles.Error.Render(m.msg)
		}
		return m.styles.Message.Render(m.msg)
	}
	return m.help.ShortHelpView(m.keys.ShortHelp())
}

// fit cuts s to width cells.
func fit(s string, width int) string { return ansi.Truncate(s, max(0, width), "…") }

// col left-aligns s in a column of w cells, one of them a separating space.
func col(s string, w int) string {
	s = ansi.Truncate(s, w-1, "…")
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// rcol right-aligns s in a column of w cells.
func rcol(s string, w int) string {
	s = ansi.Truncate(s, w, "…")
	return strings.Repeat(" ", max(0, w-ansi.StringWidth(s))) + s
}

// oneLine keeps multi-line text on its row.
func oneLine(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r", ""), "\n", " ⏎ ")
}

func duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Truncate(time.Microsecond).String()
	case d < time.Second:
		return d.Truncate(time.Millisecond).String()
	default:
		return d.Truncate(100 * time.Millisecond).String()
	}
}
