package status

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// LogHandler is a slog.Handler that adds records at or above its level to a Tracker as
// LogLines and passes every record to the next handler too (when there is one).
type LogHandler struct {
	t     *Tracker
	level slog.Leveler
	next  slog.Handler // may be nil
	pre   string       // attributes from WithAttrs, formatted
	group string       // key prefix from WithGroup, "a.b."
}

var _ slog.Handler = (*LogHandler)(nil)

// NewLogHandler tees records of at least level into t, and all records to next (nil: none).
func NewLogHandler(t *Tracker, level slog.Leveler, next slog.Handler) *LogHandler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &LogHandler{t: t, level: level, next: next}
}

// Enabled reports whether the tracker or the next handler wants the level.
func (h *LogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() || (h.next != nil && h.next.Enabled(ctx, l))
}

// Handle adds the record to the tracker and passes it on.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= h.level.Level() {
		var b strings.Builder
		b.WriteString(h.pre)
		r.Attrs(func(a slog.Attr) bool {
			appendAttr(&b, h.group, a)
			return true
		})
		h.t.Log(LogLine{Time: r.Time, Level: r.Level.String(), Message: r.Message, Attrs: strings.TrimSpace(b.String())})
	}
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	var b strings.Builder
	b.WriteString(h.pre)
	for _, a := range attrs {
		appendAttr(&b, h.group, a)
	}
	c.pre = b.String()
	if h.next != nil {
		c.next = h.next.WithAttrs(attrs)
	}
	return &c
}

// WithGroup returns a handler that qualifies later attributes with name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group = h.group + name + "."
	if h.next != nil {
		c.next = h.next.WithGroup(name)
	}
	return &c
}

func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range v.Group() {
			appendAttr(b, prefix, g)
		}
		return
	}
	if a.Key == "" {
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix)
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(quote(valueString(v)))
}

func valueString(v slog.Value) string {
	switch v.Kind() {
	case slog.KindTime:
		return v.Time().Format(time.RFC3339)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return err.Error()
		}
		return fmt.Sprint(v.Any())
	default:
		return v.String()
	}
}

// quote quotes s when it would not read back as one value.
func quote(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if unicode.IsSpace(r) || r == '"' || r == '=' || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
