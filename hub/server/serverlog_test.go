package server

import (
	"bytes"
	"log"
	"log/slog"
	"strings"
	"testing"
)

// net/http's error lines reach the operator at the level they deserve: accept errors at
// Warn, panics at Error, a client's broken handshake at Debug.
func TestServerLogLevels(t *testing.T) {
	var buf bytes.Buffer
	l := log.New(serverLog{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}, "", 0)
	for _, tc := range []struct{ line, level string }{
		{"http: Accept error: accept tcp [::]:3200: accept4: too many open files; retrying in 5ms", "WARN"},
		{"http: panic serving 10.0.0.1:5555: boom", "ERROR"},
		{"http: TLS handshake error from 10.0.0.1:5555: EOF", "DEBUG"},
	} {
		buf.Reset()
		l.Print(tc.line)
		if !strings.Contains(buf.String(), "level="+tc.level) || !strings.Contains(buf.String(), tc.line[:20]) {
			t.Errorf("%q logged as %s", tc.line, buf.String())
		}
	}
}
