package connector

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// Errors of Check, matched with errors.Is.
var (
	// ErrRefused: the hub answered and refused this agent (unknown or revoked key, key bound
	// to another agent id, unsupported version). The error text carries the hub's reason.
	ErrRefused = errors.New("the hub refused the agent")
	// ErrUnreachable: no hub answered at the URL (DNS, connection refused, timeout, proxy).
	ErrUnreachable = errors.New("the hub is unreachable")
)

// Check connects once with the [agent] settings, says hello with no backends, and returns
// the hub's welcome. It proves that the URL, the key and the agent id work together; setup
// uses it before writing the config. A running agent with the same id is replaced for that
// moment and reconnects by itself.
func Check(ctx context.Context, cfg config.Agent, opts Options) (protocol.Welcome, error) {
	a, err := New(&config.Config{Agent: cfg}, opts)
	if err != nil {
		return protocol.Welcome{}, err
	}
	sess, err := a.dial(ctx)
	if err != nil {
		return protocol.Welcome{}, classifyDial(cfg.GatewayURL, err)
	}
	defer sess.Close()
	ctrl, _, welcome, err := a.handshake(sess)
	if ctrl != nil {
		defer ctrl.Close()
	}
	var refused *refusedError
	if errors.As(err, &refused) {
		return welcome, &RefusalError{Refusal: refused.Refusal}
	}
	if err != nil {
		return welcome, fmt.Errorf("handshake with %s: %w", cfg.GatewayURL, err)
	}
	return welcome, nil
}

// RefusalError is Check's error for a hub that answered with a Refusal frame; it matches
// ErrRefused, and carries the frame (with the bound agent id of an agent_id_mismatch).
type RefusalError struct{ protocol.Refusal }

func (e *RefusalError) Error() string {
	return fmt.Sprintf("%v: %s (%s)", ErrRefused, e.Message, e.Code)
}

func (e *RefusalError) Is(target error) bool { return target == ErrRefused }

func classifyDial(url string, err error) error {
	var hs *tunnel.HandshakeError
	var certErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &certErr), errors.As(err, &authErr), errors.As(err, &hostErr):
		return fmt.Errorf("the hub's TLS certificate at %s is not trusted: %w", url, err)
	case errors.As(err, &hs) && (hs.StatusCode == http.StatusUnauthorized || hs.StatusCode == http.StatusForbidden):
		return fmt.Errorf("%w: %s (HTTP %d)", ErrRefused, bodyOrStatus(hs), hs.StatusCode)
	case errors.As(err, &hs):
		return fmt.Errorf("%s answered HTTP %d (%s); is this the hub's address?", url, hs.StatusCode, bodyOrStatus(hs))
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("%w at %s: %w", ErrUnreachable, url, err)
}

func bodyOrStatus(hs *tunnel.HandshakeError) string {
	if hs.Body != "" {
		return hs.Body
	}
	return http.StatusText(hs.StatusCode)
}
