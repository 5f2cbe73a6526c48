package tui

import "github.com/charmbracelet/lipgloss"

// styles are the dashboard's colours and borders, in one place. Colours are ANSI 16 so that
// they follow the terminal's theme.
type styles struct {
	Title, Dim, Bold, Header, Message, Error lipgloss.Style
	OK, Warn, Bad, Off                       lipgloss.Style
	Panel, Focused                           lipgloss.Style
	Level                                    map[string]lipgloss.Style
}

func defaultStyles() styles {
	c := func(color string) lipgloss.Style { return lipgloss.NewStyle().Foreground(lipgloss.Color(color)) }
	panel := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("8")).Padding(0, 1)
	s := styles{
		Title:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("14")),
		Dim:     c("8"),
		Bold:    lipgloss.NewStyle().Bold(true),
		Header:  lipgloss.NewStyle().Bold(true).Underline(true),
		Message: c("11"),
		Error:   c("9"),
		OK:      c("10"),
		Warn:    c("11"),
		Bad:     c("9"),
		Off:     c("8"),
		Panel:   panel,
		Focused: panel.BorderForeground(lipgloss.Color("14")),
	}
	s.Level = map[string]lipgloss.Style{"DEBUG": s.Dim, "INFO": c("12"), "WARN": s.Warn, "ERROR": s.Bad}
	return s
}

// state colours a backend or call state.
func (s styles) state(v string) lipgloss.Style {
	switch v {
	case "ready", "ok", "connected":
		return s.OK
	case "starting", "connecting", "reconnecting", "cancelled", "timeout", "needs_login":
		return s.Warn
	case "failed", "error", "refused":
		return s.Bad
	}
	return s.Off
}
