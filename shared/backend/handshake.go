package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// protocolVersion is the MCP version the gateway asks its backends for.
const protocolVersion = "2025-11-25"

// maxPages bounds one listing, against a server that keeps returning a cursor.
const maxPages = 1000

// kind is a set of list kinds, for fetching and re-fetching.
type kind uint8

const (
	kindTools     kind = 1 << iota
	kindResources      // resources/list and resources/templates/list
	kindPrompts
)

// lists is what a server lists, as raw JSON objects.
type lists struct {
	tools, resources, templates, prompts []json.RawMessage
}

// initResult is the part of the initialize result the backend keeps.
type initResult struct {
	ProtocolVersion string          `json:"protocolVersion"`
	Capabilities    json.RawMessage `json:"capabilities"`
	ServerInfo      json.RawMessage `json:"serverInfo"`
	Instructions    string          `json:"instructions"`
}

// handshake finds the server's era, initializes the session if it is a legacy one, and
// fetches the lists the server declares. The era is probed with server/discover; an error
// or an answer without the stateless version means initialize, as today, except a -32022
// (unsupported protocol version): its list of supported versions decides (see
// negotiate).
func (s *session) handshake(ctx context.Context) (*initResult, *lists, error) {
	legacyVersion := protocolVersion
	// The deprecated HTTP+SSE transport has no stateless era.
	if s.b.cfg.Era != EraLegacy && s.b.cfg.Transport != TransportSSE && !s.b.legacyOnly.Load() {
		if s.hdr != nil {
			s.hdr.unavailable.Store(false)
		}
		init, err := s.discover(ctx)
		var unsupported *jsonrpc.Error
		if errors.As(err, &unsupported) && unsupported.Code == codeUnsupportedVersion && !s.isDone() {
			// 2026-07-28: the client picks a version from the error's list and retries; it
			// may not fall back to initialize unless the server speaks a legacy version.
			modern, legacy, nerr := negotiate(unsupported)
			switch {
			case nerr != nil:
				return nil, nil, fmt.Errorf("server/discover: %w", nerr)
			case modern != "":
				s.b.log.Debug("server/discover refused the version; retrying with one it advertises", "version", modern)
				init, err = s.discover(ctx)
				if errors.As(err, &unsupported) && unsupported.Code == codeUnsupportedVersion {
					return nil, nil, fmt.Errorf("server/discover: refused version %s, which it advertises as supported: %w", modern, err)
				}
			default:
				s.b.log.Debug("server/discover refused; the server speaks only legacy versions", "version", legacy)
				legacyVersion, err = legacy, nil
			}
		}
		switch {
		case init != nil:
			if s.hdr != nil {
				s.hdr.setVersion(modernVersion)
			}
			ls, err := s.afterHandshake(ctx, init)
			return init, ls, err
		case s.isDone():
			// The probe cost the connection: a stdio server that exits on an unknown method.
			// Speak only initialize to it from now on.
			if s.proc != nil {
				s.b.legacyOnly.Store(true)
			}
			return nil, nil, fmt.Errorf("server/discover: %w", s.failErr)
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			s.b.log.Debug("server/discover unanswered; speaking initialize from now on", "timeout", s.b.opts.DiscoverTimeout)
			s.b.legacyOnly.Store(true) // a server that ignores it: do not wait again
		case err != nil && s.hdr != nil && s.hdr.unavailable.Load():
			// A 502/503/504 (a server restarting behind a proxy, say) is no answer about the
			// era: falling back to initialize would pin a modern server to the legacy era once
			// it is back. Fail this attempt; the supervisor tries again with backoff.
			return nil, nil, fmt.Errorf("server/discover: server unavailable: %w", err)
		case err != nil:
			s.b.log.Debug("server/discover refused; speaking initialize", "error", err)
		}
	}
	init, ls, err := s.initialize(ctx, legacyVersion)
	if err != nil && !(s.proc != nil && s.isDone()) {
		// Not a legacy server after all, or a modern one that was slow during the probe:
		// probe again next time. Not when the process is gone: a strict legacy server that
		// read the probe late (after it timed out) exits on it while initialize waits, and
		// forgetting that would probe, and restart it, forever. A modern server that merely
		// crashed is probed again once initialize gets an answer that refuses it.
		s.b.legacyOnly.Store(false)
	}
	return init, ls, err
}

// legacyVersions are the session-based protocol versions the gateway speaks with
// initialize, newest first.
var legacyVersions = []string{protocolVersion, "2025-06-18", "2025-03-26", "2024-11-05"}

// negotiate reads the supported versions of a -32022 answer to server/discover. It returns
// the stateless version to retry discover with, or else the legacy version to initialize
// with, or an error when the server advertises nothing the gateway speaks.
func negotiate(e *jsonrpc.Error) (modern, legacy string, err error) {
	var data struct {
		Supported []string `json:"supported"`
	}
	if len(e.Data) == 0 || json.Unmarshal(e.Data, &data) != nil || len(data.Supported) == 0 {
		return "", "", fmt.Errorf("unsupported protocol version, and the error lists no supported versions (data %s): %w", e.Data, e)
	}
	if slices.Contains(data.Supported, modernVersion) {
		return modernVersion, "", nil
	}
	for _, v := range legacyVersions {
		if slices.Contains(data.Supported, v) {
			return "", v, nil
		}
	}
	return "", "", fmt.Errorf("no protocol version in common: the server supports %q, the gateway speaks %q: %w",
		data.Supported, append([]string{modernVersion}, legacyVersions...), e)
}

// initialize runs the legacy handshake.
func (s *session) initialize(ctx context.Context, version string) (*initResult, *lists, error) {
	params, err := json.Marshal(map[string]any{
		"protocolVersion": version,
		"clientInfo":      map[string]string{"name": s.b.opts.ClientName, "version": s.b.opts.ClientVersion},
		// The hub answers these on behalf of the real client.
		"capabilities": map[string]any{
			"sampling": struct{}{}, "elicitation": struct{}{}, "roots": map[string]bool{"listChanged": true},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	result, err := s.request(ctx, "initialize", params)
	if err != nil {
		return nil, nil, fmt.Errorf("initialize: %w", err)
	}
	var init initResult
	if err := json.Unmarshal(result, &init); err != nil {
		return nil, nil, fmt.Errorf("initialize: decode result: %w", err)
	}
	if s.hdr != nil {
		s.hdr.setVersion(init.ProtocolVersion)
	}
	if err := s.conn.Write(ctx, &jsonrpc.Request{Method: "notifications/initialized"}); err != nil {
		return nil, nil, fmt.Errorf("send notifications/initialized: %w", err)
	}
	ls, err := s.afterHandshake(ctx, &init)
	return &init, ls, err
}

// afterHandshake asks a legacy server for all its log messages and fetches the lists.
func (s *session) afterHandshake(ctx context.Context, init *initResult) (*lists, error) {
	var caps map[string]json.RawMessage
	_ = json.Unmarshal(init.Capabilities, &caps)
	_, s.logging = caps["logging"]
	if s.logging && !s.modern {
		// The session is shared by every client, so the server sends all its log messages
		// and the hub filters them per client session by the level each client set.
		if _, err := s.request(ctx, "logging/setLevel", json.RawMessage(`{"level":"debug"}`)); err != nil {
			s.b.log.Debug("backend refused logging/setLevel", "err", err)
		}
	}
	var want kind
	for name, k := range map[string]kind{"tools": kindTools, "resources": kindResources, "prompts": kindPrompts} {
		if _, ok := caps[name]; ok {
			want |= k
		}
	}
	ls := &lists{}
	if err := s.fetch(ctx, want, ls); err != nil {
		return nil, err
	}
	return ls, nil
}

// request makes an internal call and returns its result; an error response is an error.
func (s *session) request(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	id, _ := jsonrpc.MakeID(float64(0))
	resp, err := s.do(ctx, &Call{Request: &jsonrpc.Request{ID: id, Method: method, Params: params}})
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	return resp.Result, nil
}

// fetch fills the lists of the kinds in want.
func (s *session) fetch(ctx context.Context, want kind, ls *lists) error {
	var err error
	if want&kindTools != 0 {
		if ls.tools, err = s.list(ctx, "tools/list", "tools"); err != nil {
			return err
		}
		s.indexTools(ls.tools)
	}
	if want&kindResources != 0 {
		if ls.resources, err = s.list(ctx, "resources/list", "resources"); err != nil {
			return err
		}
		if ls.templates, err = s.list(ctx, "resources/templates/list", "resourceTemplates"); err != nil {
			return err
		}
	}
	if want&kindPrompts != 0 {
		if ls.prompts, err = s.list(ctx, "prompts/list", "prompts"); err != nil {
			return err
		}
	}
	return nil
}

// list follows nextCursor through every page of one list method. Items stay raw.
func (s *session) list(ctx context.Context, method, field string) ([]json.RawMessage, error) {
	var items []json.RawMessage
	var params json.RawMessage
	for range maxPages {
		result, err := s.request(ctx, method, params)
		var we *jsonrpc.Error
		if errors.As(err, &we) && we.Code == jsonrpc.CodeMethodNotFound {
			return nil, nil // the server does not have this list after all
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		var page map[string]json.RawMessage
		if err := json.Unmarshal(result, &page); err != nil {
			return nil, fmt.Errorf("%s: decode result: %w", method, err)
		}
		var got []json.RawMessage
		if raw, ok := page[field]; ok {
			if err := json.Unmarshal(raw, &got); err != nil {
				return nil, fmt.Errorf("%s: decode %s: %w", method, field, err)
			}
		}
		items = append(items, got...)
		var cursor string
		_ = json.Unmarshal(page["nextCursor"], &cursor)
		if cursor == "" {
			return items, nil
		}
		params, _ = json.Marshal(map[string]string{"cursor": cursor})
	}
	return nil, fmt.Errorf("%s: more than %d pages", method, maxPages)
}

// requestRelist asks the relist loop to fetch kind again; requests made while it works are
// merged into its next round.
func (s *session) requestRelist(k kind) {
	s.mu.Lock()
	s.relistMask |= k
	s.mu.Unlock()
	select {
	case s.relistCh <- struct{}{}:
	default:
	}
}

// relistLoop re-fetches lists after list_changed notifications and publishes them.
func (s *session) relistLoop() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.relistCh:
		}
		s.mu.Lock()
		want := s.relistMask
		s.relistMask = 0
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(s.ctx, relistTimeout)
		ls := &lists{}
		err := s.fetch(ctx, want, ls)
		cancel()
		if err != nil {
			if s.ctx.Err() == nil {
				s.b.log.Warn("re-list after list_changed failed", "error", err)
			}
			continue
		}
		s.b.relists.Add(1)
		s.b.publish(s, func(snap *protocol.Backend) { ls.apply(want, snap) })
	}
}

// apply copies the lists of the kinds in k into snap.
func (ls *lists) apply(k kind, snap *protocol.Backend) {
	if k&kindTools != 0 {
		snap.Tools = ls.tools
	}
	if k&kindResources != 0 {
		snap.Resources, snap.ResourceTemplates = ls.resources, ls.templates
	}
	if k&kindPrompts != 0 {
		snap.Prompts = ls.prompts
	}
}
