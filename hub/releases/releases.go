// Package releases serves agent releases to agents at /api/v1/agent/releases/: the version an
// agent should run (pinned version and staged rollout applied) and the release files, from a
// local directory or proxied from a release server. The agent verifies what it gets.
package releases

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// Prefix is the path under which the handler answers; mount it as "GET "+Prefix.
const Prefix = "/api/v1/agent/releases/"

// Latest is the answer of GET …/latest: the release this agent should run.
type Latest struct {
	Version      string `json:"version"`
	OS           string `json:"os"`
	Arch         string `json:"arch"`
	Archive      string `json:"archive"`
	URL          string `json:"url"`
	ChecksumsURL string `json:"checksums_url"`
	SignatureURL string `json:"signature_url"`
}

// Handler answers the release endpoints.
type Handler struct {
	cfg config.Releases
	src source
	log *slog.Logger
}

// New makes the handler for cfg (validated). client is used to reach the upstream; nil means
// a client with a 60 s timeout. With neither dir nor upstream set, every request gets 404.
func New(cfg config.Releases, client *http.Client, log *slog.Logger) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, log: log}
	switch {
	case cfg.Dir != "":
		src, err := newDirSource(cfg.Dir)
		if err != nil {
			return nil, err
		}
		h.src = src
	case cfg.Upstream != "":
		h.src = newUpstream(cfg, client)
	}
	return h, nil
}

// NewLocal makes the handler of a hub without a [releases] table: it serves the releases the
// hub built itself into p (releases build), newest first whatever its kind, to every agent.
func NewLocal(p LocalPaths, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: config.Releases{RolloutPercent: 100}, src: &dirSource{dir: p.Releases(), local: true}, log: log}
}

// ServeHTTP answers GET Prefix+"latest?os=&arch=&agent=" and GET Prefix+"{version}/{file}".
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.src == nil {
		writeError(w, http.StatusNotFound, "this hub serves no agent releases: [releases] dir or upstream is not set, and it has no data directory for releases it builds itself (docs/INSTALL.md)")
		return
	}
	parts, err := pathParts(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch {
	case len(parts) == 1 && parts[0] == "latest":
		h.latest(w, r)
	case len(parts) == 2:
		h.file(w, r, parts[0], parts[1])
	default:
		writeError(w, http.StatusNotFound, "no such release path; want "+Prefix+"latest or "+Prefix+"{version}/{file}")
	}
}

// pathParts splits the path after Prefix into unescaped segments, refusing any that could
// leave a release directory (an escaped "/", "..", a dot file).
func pathParts(r *http.Request) ([]string, error) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), Prefix)
	if !ok {
		return nil, fmt.Errorf("path %q is not under %s", r.URL.Path, Prefix)
	}
	var parts []string
	for _, seg := range strings.Split(rest, "/") {
		s, err := url.PathUnescape(seg)
		if err != nil {
			return nil, fmt.Errorf("bad path segment %q: %w", seg, err)
		}
		if err := release.CheckFileName(s); err != nil {
			return nil, fmt.Errorf("bad release path: %w", err)
		}
		parts = append(parts, s)
	}
	return parts, nil
}

func (h *Handler) file(w http.ResponseWriter, r *http.Request, version, file string) {
	if _, err := release.ParseVersion(version); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := h.src.serve(w, r, version, file); err != nil {
		h.writeErr(w, err)
	}
}

// inRollout places agent in the first percent of 100 stable buckets for version.
func inRollout(agent, version string, percent int) bool {
	if percent >= 100 {
		return true
	}
	if agent == "" || percent <= 0 {
		return false
	}
	sum := sha256.Sum256([]byte(agent + "\x00" + version))
	return binary.BigEndian.Uint64(sum[:8])%100 < uint64(percent)
}

// errStatus carries the HTTP status for an error a source returns.
type errStatus struct {
	code int
	msg  string
}

func (e *errStatus) Error() string { return e.msg }

func httpError(code int, format string, args ...any) error {
	return &errStatus{code: code, msg: fmt.Sprintf(format, args...)}
}

func (h *Handler) writeErr(w http.ResponseWriter, err error) {
	code, msg := http.StatusBadGateway, err.Error()
	var es *errStatus
	if errors.As(err, &es) {
		code, msg = es.code, es.msg
	}
	if code >= 500 {
		h.log.Warn("release request failed", "status", code, "err", msg)
	}
	writeError(w, code, msg)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]string{"error": msg})
}
