package tui

import "github.com/charmbracelet/bubbles/key"

// keyMap is every key the dashboard answers to; help renders it.
type keyMap struct {
	Quit, Help, Setup, Update, Reconnect                       key.Binding
	Next, Prev, Up, Down, PageUp, PageDown, Top, Bottom, Close key.Binding
}

func defaultKeys() keyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Quit:      b([]string{"q", "ctrl+c"}, "q", "quit"),
		Help:      b([]string{"?"}, "?", "help"),
		Setup:     b([]string{"s"}, "s", "setup"),
		Update:    b([]string{"u"}, "u", "check for updates"),
		Reconnect: b([]string{"r"}, "r", "reconnect now"),
		Next:      b([]string{"tab", "right", "l"}, "tab/→", "next panel"),
		Prev:      b([]string{"shift+tab", "left", "h"}, "shift+tab/←", "previous panel"),
		Up:        b([]string{"up", "k"}, "↑/k", "scroll up"),
		Down:      b([]string{"down", "j"}, "↓/j", "scroll down"),
		PageUp:    b([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown:  b([]string{"pgdown", "ctrl+d", " "}, "pgdn", "page down"),
		Top:       b([]string{"home", "g"}, "home/g", "newest calls / oldest logs"),
		Bottom:    b([]string{"end", "G"}, "end/G", "follow the newest logs"),
		Close:     b([]string{"esc"}, "esc", "close help"),
	}
}

// ShortHelp is the footer line.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Quit, k.Setup, k.Update, k.Reconnect, k.Next, k.Up, k.Help}
}

// FullHelp is the help screen, in columns.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Quit, k.Setup, k.Update, k.Reconnect, k.Help, k.Close},
		{k.Next, k.Prev, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
	}
}
