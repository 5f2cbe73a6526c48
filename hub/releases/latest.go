package releases

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// source is where releases come from: a directory or an upstream release server.
type source interface {
	// newest is the newest release that is not a pre-release.
	newest(ctx context.Context) (string, error)
	// previous is the newest release older than v, or "" when there is none (or it is unknown).
	previous(ctx context.Context, v release.Version) (string, error)
	// checksums is version's parsed checksums.txt.
	checksums(ctx context.Context, version string) (release.Checksums, error)
	// serve writes one file of a release (version and file were checked by the caller), or
	// returns an error before writing anything.
	serve(w http.ResponseWriter, r *http.Request, version, file string) error
}

func (h *Handler) latest(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	goos, goarch, agent := q.Get("os"), q.Get("arch"), q.Get("agent")
	if err := release.CheckPlatform(goos, goarch); err != nil {
		writeError(w, http.StatusBadRequest, "os/arch: "+err.Error()+" (want ?os=linux&arch=amd64)")
		return
	}
	if agent != "" && release.CheckFileName(agent) != nil {
		writeError(w, http.StatusBadRequest, "agent: want an agent id of letters, digits, '-', '_'")
		return
	}
	target, err := h.target(r.Context())
	if err != nil {
		h.writeErr(w, err)
		return
	}
	if !inRollout(agent, target.String(), h.cfg.RolloutPercent) {
		prev, err := h.src.previous(r.Context(), target)
		if err != nil {
			h.writeErr(w, err)
			return
		}
		if prev == "" || !h.hasArchive(r.Context(), prev, goos, goarch) {
			w.WriteHeader(http.StatusNoContent) // outside the rollout, nothing older to offer
			return
		}
		target, _ = release.ParseVersion(prev)
	}
	v := target.String()
	cs, err := h.src.checksums(r.Context(), v)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	name := release.ArchiveName(v, goos, goarch)
	if _, ok := cs.Lookup(name); !ok {
		writeError(w, http.StatusNotFound, "release "+v+" has no archive for "+goos+"/"+goarch+" (no "+name+" in its "+release.ChecksumsFile+")")
		return
	}
	base := Prefix + v + "/"
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(Latest{
		Version: v, OS: goos, Arch: goarch, Archive: name, URL: base + name,
		ChecksumsURL: base + release.ChecksumsFile, SignatureURL: base + release.SignatureFile,
	})
}

// target is the pinned version, or else the newest release.
func (h *Handler) target(ctx context.Context) (release.Version, error) {
	v := h.cfg.PinnedVersion
	if v == "" {
		var err error
		if v, err = h.src.newest(ctx); err != nil {
			return release.Version{}, err
		}
	}
	return release.ParseVersion(v)
}

func (h *Handler) hasArchive(ctx context.Context, version, goos, goarch string) bool {
	cs, err := h.src.checksums(ctx, version)
	if err != nil {
		return false
	}
	_, ok := cs.Lookup(release.ArchiveName(version, goos, goarch))
	return ok
}

// listed reports whether file belongs to version: its checksums, signature or a listed file.
func listed(ctx context.Context, src source, version, file string) (bool, error) {
	if file == release.ChecksumsFile || file == release.SignatureFile {
		return true, nil
	}
	cs, err := src.checksums(ctx, version)
	if err != nil {
		return false, err
	}
	_, ok := cs.Lookup(file)
	return ok, nil
}
