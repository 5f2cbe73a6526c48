package backend

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"slices"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Services put API keys in the backend's URL (?api_key=…, user:password@), and net/http names
// the URL in its errors. Those errors become the backend's state (the agent's dashboard, the
// hub's API), its log lines and the errors calls return to MCP clients; scrub keeps the
// secrets out of all three.

// redacted replaces a secret in text.
const redacted = "xxxxx"

// minSecret is the shortest value treated as a secret: shorter query values (region=eu,
// v=2) would garble messages and protect nothing.
const minSecret = 4

// urlSecrets lists the password and the query values of raw, as written and decoded.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	add := func(s string) {
		if len(s) >= minSecret && !strings.Contains(redacted, s) {
			out = append(out, s)
		}
	}
	if p, ok := u.User.Password(); ok {
		add(p)
		add(url.UserPassword("", p).String()[1:]) // as escaped in a URL
	}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		_, v, _ := strings.Cut(pair, "=")
		add(v)
		if d, err := url.QueryUnescape(v); err == nil && d != v {
			add(d)
		}
	}
	return out
}

// scrubText replaces every secret in s.
func scrubText(s string, secrets []string) string {
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	return s
}

// scrubSnapshot removes the hub's secrets (Options.Secrets) from what the backend published
// about itself: its lists (tool descriptions, schemas, resources, prompts), server info and
// instructions, which reach GET /tools, tools/list and the dashboards. Lists without a secret
// are kept as they are (no copy).
func (b *Backend) scrubSnapshot(snap *protocol.Backend) {
	sec := b.hubSecrets
	if len(sec) == 0 {
		return
	}
	snap.Tools = scrubRaws(snap.Tools, sec)
	snap.Resources = scrubRaws(snap.Resources, sec)
	snap.ResourceTemplates = scrubRaws(snap.ResourceTemplates, sec)
	snap.Prompts = scrubRaws(snap.Prompts, sec)
	snap.ServerInfo, _ = scrubJSON(snap.ServerInfo, sec)
	snap.Instructions = scrubText(snap.Instructions, sec)
	snap.Error = scrubText(snap.Error, sec)
	snap.LastError = scrubText(snap.LastError, sec)
}

func scrubRaws(list []json.RawMessage, secrets []string) []json.RawMessage {
	var out []json.RawMessage
	for i, m := range list {
		if c, changed := scrubJSON(m, secrets); changed {
			if out == nil {
				out = slices.Clone(list)
			}
			out[i] = c
		}
	}
	if out == nil {
		return list
	}
	return out
}

// scrubJSON replaces the secrets in a JSON value, as written and as JSON escapes them; m
// itself is returned, unchanged, when it holds none.
func scrubJSON(m json.RawMessage, secrets []string) (json.RawMessage, bool) {
	if len(m) == 0 {
		return m, false
	}
	s := string(m)
	clean := s
	for _, sec := range secrets {
		clean = strings.ReplaceAll(clean, sec, redacted)
		if q, err := json.Marshal(sec); err == nil && string(q[1:len(q)-1]) != sec {
			clean = strings.ReplaceAll(clean, string(q[1:len(q)-1]), redacted)
		}
	}
	if clean == s {
		return m, false
	}
	return json.RawMessage(clean), true
}

// scrubbedError is an error whose message had secrets removed; it still matches its cause.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrub returns err with the URL's secrets removed from its message.
func (b *Backend) scrub(err error) error {
	if err == nil || len(b.secrets) == 0 {
		return err
	}
	msg := err.Error()
	if clean := scrubText(msg, b.secrets); clean != msg {
		return &scrubbedError{msg: clean, err: err}
	}
	return err
}

// scrubHandler removes secrets from the values of a backend's log lines.
type scrubHandler struct {
	slog.Handler
	secrets []string
}

func (h scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, scrubText(r.Message, h.secrets), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h scrubHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		attrs := v.Group()
		clean := make([]any, len(attrs))
		for i, g := range attrs {
			clean[i] = h.attr(g)
		}
		return slog.Group(a.Key, clean...)
	}
	s := v.String()
	if clean := scrubText(s, h.secrets); clean != s {
		return slog.String(a.Key, clean)
	}
	return a
}

func (h scrubHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return scrubHandler{Handler: h.Handler.WithAttrs(clean), secrets: h.secrets}
}

func (h scrubHandler) WithGroup(name string) slog.Handler {
	return scrubHandler{Handler: h.Handler.WithGroup(name), secrets: h.secrets}
}
