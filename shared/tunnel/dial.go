package tunnel

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gorilla/websocket"
)

// agentBufferSize is the agent's WebSocket read and write buffer. One agent has one tunnel, so
// large buffers cost little and cut syscalls on bulk transfers. The write buffer gets
// wsFrameSlack more, room for gorilla's frame header and the yamux header: a 256 KiB yamux data
// frame then leaves in one write instead of 256 KiB plus a 26-byte straggler (measured: +20-25%
// bulk throughput).
const (
	agentBufferSize = 256 << 10
	wsFrameSlack    = 64
)

// maxErrorBody bounds how much of a refused handshake's body goes into HandshakeError.
const maxErrorBody = 512

// DialConfig configures the agent's side of a tunnel.
type DialConfig struct {
	// URL of the hub's agent endpoint: ws:// or wss:// (http:// and https:// are mapped to them).
	URL string

	// Header is sent with the upgrade request, e.g. "Authorization: Bearer <agent key>".
	Header http.Header

	// TLSConfig is the base TLS configuration for wss (e.g. a private RootCAs); nil means defaults.
	TLSConfig *tls.Config

	// InsecureSkipVerify disables verification of the hub's certificate.
	InsecureSkipVerify bool

	// ProxyURL is an explicit proxy, or ProxyDirect; empty means the environment. See ProxyFunc.
	ProxyURL string

	// HandshakeTimeout bounds connecting, proxying, TLS and the upgrade. Default 30 s; ctx may
	// end it sooner.
	HandshakeTimeout time.Duration

	// Direct turns the tunnel's direct streams on at once: set it when the agent speaks
	// protocol capability 4. A hub sends direct messages only to an agent whose hello said
	// so, and the agent says nothing before its hello.
	Direct bool

	// Config tunes the tunnel once established.
	Config
}

// HandshakeError is returned by Dial when the hub answered the upgrade with an HTTP error.
type HandshakeError struct {
	StatusCode int
	Body       string // start of the response body, trimmed, at most 512 bytes
	// RetryAfter is the wait the hub asked for with Retry-After (a busy hub answers 503 with
	// it), or zero when it named none or an unreadable one.
	RetryAfter time.Duration
}

func (e *HandshakeError) Error() string {
	msg := e.Body
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("tunnel: hub refused the connection: %d: %s", e.StatusCode, msg)
}

// Unwrap lets errors.Is(err, websocket.ErrBadHandshake) hold.
func (e *HandshakeError) Unwrap() error { return websocket.ErrBadHandshake }

// Dial connects to the hub and starts the agent's yamux session (the yamux client). The context
// bounds the handshake only; the session lives until closed or until the tunnel dies. The
// response is the hub's upgrade answer (also on a HandshakeError), or nil if none came.
func Dial(ctx context.Context, dc DialConfig) (*Session, *http.Response, error) {
	target, err := wsURL(dc.URL)
	if err != nil {
		return nil, nil, err
	}
	d, err := dc.dialer()
	if err != nil {
		return nil, nil, err
	}
	ws, resp, err := d.DialContext(ctx, target, dc.Header)
	if err != nil {
		if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
			return nil, resp, handshakeError(resp)
		}
		return nil, resp, fmt.Errorf("tunnel: dial %s: %w", redact(target), err)
	}
	sess, err := newSession(NewConn(ws, dc.Config), true)
	if err != nil {
		return nil, resp, err
	}
	if dc.Direct {
		sess.direct.Enable()
	}
	return sess, resp, nil
}

// dialer builds the agent's WebSocket dialer.
func (dc DialConfig) dialer() (*websocket.Dialer, error) {
	proxy, err := ProxyFunc(dc.ProxyURL)
	if err != nil {
		return nil, fmt.Errorf("tunnel: proxy setting: %w", err)
	}
	d := &websocket.Dialer{
		Proxy:            proxy,
		TLSClientConfig:  tlsConfig(dc),
		HandshakeTimeout: dc.HandshakeTimeout,
		ReadBufferSize:   agentBufferSize,
		WriteBufferSize:  agentBufferSize + wsFrameSlack,
	}
	if d.HandshakeTimeout <= 0 {
		d.HandshakeTimeout = 30 * time.Second
	}
	return d, nil
}

// wsURL checks the hub URL and maps http(s) to ws(s).
func wsURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("tunnel: hub URL: %w", err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("tunnel: hub URL %q: scheme must be ws or wss", redact(raw))
	}
	if u.Host == "" {
		return "", fmt.Errorf("tunnel: hub URL %q: no host", redact(raw))
	}
	return u.String(), nil
}

// redact drops credentials and query from a URL for error messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

func tlsConfig(dc DialConfig) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if dc.TLSConfig != nil {
		cfg = dc.TLSConfig.Clone()
	}
	if dc.InsecureSkipVerify {
		cfg.InsecureSkipVerify = true
	}
	return cfg
}

// handshakeError reads what the hub said (gorilla keeps the first KiB of the body).
func handshakeError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	text := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, strings.ToValidUTF8(string(body), ""))
	return &HandshakeError{StatusCode: resp.StatusCode, Body: strings.TrimSpace(text),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// maxRetryAfter caps a Retry-After the agent honours, so that a wrong one cannot park it
// for hours.
const maxRetryAfter = 10 * time.Minute

// retryAfter reads a Retry-After value: delay seconds or an HTTP date. Anything else, or a
// time already past, is zero.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
