package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// CallPath is the hub-to-hub endpoint of forwarded calls.
const CallPath = "/cluster/v1/call"

// Failure codes of the Refusal frame that ends a forwarded call without a Result.
const (
	failAgentGone = "agent_gone" // the receiving hub does not hold the agent (any more)
	failDeadline  = "deadline"   // the call's deadline passed
	failCancelled = "cancelled"  // the caller gave up
	failError     = "error"      // anything else
)

// cancelGrace is how long a cancelled forwarded call waits for the holder to end it
// before the stream is reset.
const cancelGrace = 5 * time.Second

// newClient speaks HTTP/2 only: over TLS for https:// URLs, h2c (prior knowledge) for
// http:// ones, so that one connection per hub pair carries every forwarded call.
func newClient(roots *x509.CertPool) *http.Client {
	p := new(http.Protocols)
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{
		Protocols: p, ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
		DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 15 * time.Second}).DialContext,
		HTTP2:       &http.HTTP2Config{SendPingTimeout: 10 * time.Second, PingTimeout: 5 * time.Second},
	}}
}

// Call forwards a call for an agent another hub holds to that hub and returns its result.
// Progress and log notifications reach c.Sink.Notify and the backend's requests to the client
// c.Sink.Request as in a local call; when ctx ends the holder is told to cancel.
func (n *Node) Call(ctx context.Context, agentID, backendName string, c *backend.Call) (*jsonrpc.Response, error) {
	url, hubID, ok := n.holder(agentID)
	if !ok {
		return nil, &agents.AgentError{Agent: agentID, Reason: "is not connected"}
	}
	msg, err := mcp.EncodeMessage(c.Request)
	if err != nil {
		return nil, fmt.Errorf("forward call for agent %q: %w", agentID, err)
	}
	frame := protocol.Call{Backend: backendName, Message: msg, Caller: c.Caller,
		ClientCapabilities: c.ClientCapabilities, PassInputRequired: c.PassInputRequired, LogLevel: c.LogLevel}
	if d, ok := ctx.Deadline(); ok {
		frame.Deadline = d.Add(time.Millisecond - time.Nanosecond).UnixMilli()
	}
	rctx, reset := context.WithCancel(context.WithoutCancel(ctx))
	defer reset()
	pr, pw := io.Pipe()
	defer pw.Close()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, strings.TrimSuffix(url, "/")+CallPath, pr)
	if err != nil {
		return nil, fmt.Errorf("forward call for agent %q to hub %s: %w", agentID, hubID, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	sign(req, n.opts.Key, n.opts.HubID, agentID, time.Now())
	w := protocol.NewFrameWriter(pw)
	go func() {
		if err := w.WriteCall(&frame); err != nil {
			pw.CloseWithError(err)
		}
	}()
	unreachable := func(err error) error {
		return &agents.AgentError{Agent: agentID, Reason: "is held by hub " + hubID + ", which did not answer", Err: err}
	}
	// The caller giving up: tell the holder, and reset the stream if it does not end the
	// call within cancelGrace.
	stop := context.AfterFunc(ctx, func() {
		reason := "the caller gave up"
		if cause := context.Cause(ctx); cause != nil {
			reason = cause.Error()
		}
		go func() { _ = w.WriteJSON(protocol.TypeCancel, protocol.Cancel{Reason: reason}) }()
		time.AfterFunc(cancelGrace, reset)
	})
	defer stop()
	resp, err := n.client.Do(req)
	if err != nil {
		if e := agents.Expired(ctx); e != nil {
			return nil, e
		}
		return nil, unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, unreachable(fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body))))
	}
	var answering sync.WaitGroup
	actx, cancelAnswers := context.WithCancel(ctx)
	defer func() {
		// Answers still being asked or written are moot once the call is over: their
		// writes to the closed pipe fail at once rather than wait for a stream that ended.
		cancelAnswers()
		pw.Close()
		answering.Wait()
	}()
	for {
		t, payload, err := protocol.ReadFrame(resp.Body)
		if err != nil {
			if e := agents.Expired(ctx); e != nil {
				return nil, e
			}
			return nil, &agents.AgentError{Agent: agentID, Reason: "disconnected during the call", Err: fmt.Errorf("hub %s: %w", hubID, err)}
		}
		switch t {
		case protocol.TypeNotify:
			if c.Sink != nil {
				if m, err := protocol.DecodeRequest(t, payload); err == nil {
					c.Sink.Notify(m)
				}
			}
		case protocol.TypeRequest:
			m, err := protocol.DecodeRequest(t, payload)
			if err != nil {
				return nil, fmt.Errorf("hub %s sent a bad request frame: %w", hubID, err)
			}
			answering.Go(func() { _ = w.WriteMessage(protocol.TypeResponse, ask(actx, c.Sink, m)) })
		case protocol.TypeResult:
			if e := agents.Expired(ctx); e != nil {
				return nil, e
			}
			return protocol.DecodeResponse(t, payload)
		case protocol.TypeRefusal:
			var f protocol.Refusal
			if err := protocol.Decode(t, payload, &f); err != nil {
				return nil, fmt.Errorf("hub %s sent a bad refusal: %w", hubID, err)
			}
			return nil, failure(ctx, agentID, hubID, f)
		default:
			return nil, fmt.Errorf("hub %s sent an unexpected %s frame on a forwarded call", hubID, t)
		}
	}
}

// ask puts a server→client request to the caller's client, as agents' calls do.
func ask(ctx context.Context, sink backend.Sink, req *jsonrpc.Request) *jsonrpc.Response {
	resp := &jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{
		Code: jsonrpc.CodeMethodNotFound, Message: "the client cannot answer " + req.Method}}
	if sink != nil {
		got, err := sink.Request(ctx, req)
		switch {
		case err != nil:
			resp.Error = protocol.WireError(err)
		case got != nil:
			resp = &jsonrpc.Response{ID: req.ID, Result: got.Result, Error: got.Error}
		}
	}
	return resp
}

// failure turns the holder's refusal into the error a local call would have given.
func failure(ctx context.Context, agentID, hubID string, f protocol.Refusal) error {
	if e := agents.Expired(ctx); e != nil {
		return e
	}
	switch f.Code {
	case failAgentGone:
		return &agents.AgentError{Agent: agentID, Reason: "left hub " + hubID, Err: errors.New(f.Message)}
	case failDeadline:
		return fmt.Errorf("hub %s: %s: %w", hubID, f.Message, context.DeadlineExceeded)
	default:
		return fmt.Errorf("hub %s: %s", hubID, f.Message)
	}
}
