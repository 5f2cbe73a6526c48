package releases

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// Module is the Go module a source tree must be for `releases build` to build its agent.
const Module = "github.com/mcp-gateway/mcp-gateway"

// agentPackage is the agent's main package, relative to the source tree.
const agentPackage = "./agent/cmd/mcp-gateway-agent"

// BuildOptions say what `mcp-gateway-hub releases build` builds and where it writes it.
type BuildOptions struct {
	// Source is a checkout of this repository (go.mod names Module).
	Source string
	// Version is the release's version; empty means BuildVersion(the hub's version, now).
	Version string
	// Targets are "os/arch" pairs; empty means every platform of release.Platforms.
	Targets []string
	// Paths is where the release and its signing key go.
	Paths LocalPaths
	// Go is the go command; empty means "go" from PATH.
	Go string
	// Progress receives one line per step (nil: discarded).
	Progress io.Writer
}

// Built is what Build made.
type Built struct {
	Version   string
	Dir       string // the release directory, Paths.Releases()/Version
	PublicKey string // base64; the install scripts and the agents built trust it
	KeyMade   bool   // the signing key was made by this build
	Targets   []string
}

// BuildVersion is the version given to agents built from source: the hub's own version when
// it is a release version (a tag, or the pseudo-version Go stamps a build in a checkout
// with), else v0.0.0-dev.<UTC time>, which orders after every earlier such build.
func BuildVersion(current string, now time.Time) string {
	if _, err := release.ParseVersion(current); err == nil && release.CheckFileName(current) == nil {
		return current
	}
	return "v0.0.0-dev." + now.UTC().Format("20060102150405")
}

// CheckSource reports whether dir is a checkout of Module with the agent's main package.
func CheckSource(dir string) error {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return fmt.Errorf("%s is not the hub's source tree (no go.mod): run this in a checkout of %s, or pass --source DIR", dir, Module)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if mod, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			if strings.Trim(strings.TrimSpace(mod), `"`) != Module {
				return fmt.Errorf("%s/go.mod is module %s, not %s: pass --source with a checkout of %s", dir, mod, Module, Module)
			}
			if _, err := os.Stat(filepath.Join(dir, agentPackage)); err != nil {
				return fmt.Errorf("%s has no %s: %w", dir, agentPackage, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%s/go.mod names no module", dir)
}

// Build compiles the agent for each target from the source tree with the release's version
// and public key linked in, and writes a signed release (archives, checksums.txt and its
// Ed25519 signature) to Paths.Releases()/<version>, replacing one of the same version. The
// release appears whole: it is written beside the directory and renamed into place, so a
// running hub never serves half of it.
func Build(ctx context.Context, o BuildOptions) (Built, error) {
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	if err := CheckSource(o.Source); err != nil {
		return Built{}, err
	}
	targets := o.Targets
	if len(targets) == 0 {
		targets = release.Platforms()
	}
	for _, t := range targets {
		goos, goarch, _ := strings.Cut(t, "/")
		if err := release.CheckPlatform(goos, goarch); err != nil {
			return Built{}, fmt.Errorf("target %q: %w (targets: %s)", t, err, strings.Join(release.Platforms(), ", "))
		}
	}
	if _, err := release.ParseVersion(o.Version); err != nil {
		return Built{}, err
	}
	if err := release.CheckFileName(o.Version); err != nil {
		return Built{}, err
	}
	goCmd := o.Go
	if goCmd == "" {
		goCmd = "go"
	}
	if _, err := exec.LookPath(goCmd); err != nil {
		return Built{}, fmt.Errorf("building the agent needs the Go toolchain (%s): %w", goCmd, err)
	}
	key, pub, made, err := o.Paths.SigningKey()
	if err != nil {
		return Built{}, err
	}
	root := o.Paths.Releases()
	if err := os.MkdirAll(root, 0o755); err != nil {
		return Built{}, fmt.Errorf("releases directory: %w", err)
	}
	tmp, err := os.MkdirTemp(root, ".build-") // a dot name is never taken for a version
	if err != nil {
		return Built{}, fmt.Errorf("releases directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	src, err := filepath.Abs(o.Source)
	if err != nil {
		return Built{}, err
	}
	files := map[string]string{}
	for _, t := range targets {
		goos, goarch, _ := strings.Cut(t, "/")
		out := filepath.Join(tmp, "bin", goos+"_"+goarch, release.BinaryName(goos))
		fmt.Fprintf(progress, "building %s for %s … ", release.Program, t)
		if err := goBuild(ctx, goCmd, src, out, goos, goarch, o.Version, pub); err != nil {
			fmt.Fprintln(progress, "failed")
			return Built{}, err
		}
		if info, err := os.Stat(out); err == nil {
			fmt.Fprintf(progress, "%.1f MB\n", float64(info.Size())/(1<<20))
		}
		files[t] = out
	}
	if err := release.WriteReleaseFiles(tmp, o.Version, key, files); err != nil {
		return Built{}, err
	}
	dst := filepath.Join(root, o.Version)
	if err := replaceDir(filepath.Join(tmp, o.Version), dst, tmp); err != nil {
		return Built{}, err
	}
	return Built{Version: o.Version, Dir: dst, PublicKey: pub, KeyMade: made, Targets: targets}, nil
}

// goBuild runs `go build` of the agent for one target, reproducibly (-trimpath, no cgo), with
// the version and release key linked in.
func goBuild(ctx context.Context, goCmd, src, out, goos, goarch, version, pub string) error {
	const v = "github.com/mcp-gateway/mcp-gateway/shared/version."
	ldflags := "-s -w -X " + v + "Version=" + version + " -X " + v + "ReleaseKey=" + pub
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-ldflags", ldflags, "-o", out, agentPackage)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s/%s: %w\n%s", agentPackage, goos, goarch, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// replaceDir moves src to dst, replacing a dst that exists (moved aside into scratch first).
func replaceDir(src, dst, scratch string) error {
	if _, err := os.Stat(dst); err == nil {
		if err := os.Rename(dst, filepath.Join(scratch, "previous")); err != nil {
			return fmt.Errorf("replace release %s: %w", dst, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("write release %s: %w", dst, err)
	}
	return nil
}
