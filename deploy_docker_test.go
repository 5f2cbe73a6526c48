package mcpgateway

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeployDockerfile: a multi-stage build of a static, trimmed binary into a minimal
// non-root image, whose COPY lines bring in every file the hub is built from (what
// `go list -deps` names), data dir a volume.
func TestDeployDockerfile(t *testing.T) {
	path := filepath.Join(deployDir, "docker", "Dockerfile")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	var froms, copies []string
	var run, user, volume, env string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		rest := strings.Join(f[1:], " ")
		switch f[0] {
		case "FROM":
			froms = append(froms, rest)
			user = ""
		case "COPY":
			if !strings.HasPrefix(rest, "--from") {
				copies = append(copies, f[1:len(f)-1]...)
			}
		case "RUN":
			run += rest + "\n"
		case "USER":
			user = rest
		case "VOLUME":
			volume = rest
		case "ENV":
			env += rest + " "
		}
	}
	if len(froms) < 2 {
		t.Errorf("want a multi-stage build, have FROM %v", froms)
	}
	if final := froms[len(froms)-1]; !strings.Contains(final, "distroless/static") && final != "scratch" {
		t.Errorf("final stage %q: want distroless/static or scratch", final)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./hub/cmd/mcp-gateway-hub"} {
		if !strings.Contains(run, want) {
			t.Errorf("the build does not use %s", want)
		}
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("final stage USER %q: want a non-root user", user)
	}
	if !strings.Contains(volume, "/data") || !strings.Contains(env, "MCPGW_DATA_DIR=/data") {
		t.Errorf("want MCPGW_DATA_DIR=/data and VOLUME /data, have ENV %q VOLUME %q", env, volume)
	}
	covered := func(rel string) bool {
		for _, c := range copies {
			if c == rel || strings.HasPrefix(rel, strings.TrimSuffix(c, "/")+"/") {
				return true
			}
		}
		return false
	}
	out, err := exec.Command("go", "list", "-deps", "-f",
		`{{if .Module}}{{if eq .Module.Path "github.com/mcp-gateway/mcp-gateway"}}{{.Dir}}|{{join .GoFiles ","}},{{join .EmbedFiles ","}}{{end}}{{end}}`,
		"./hub/cmd/mcp-gateway-hub").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, _ := os.Getwd()
	for _, line := range strings.Fields(string(out)) {
		dir, files, _ := strings.Cut(line, "|")
		rel, _ := filepath.Rel(root, dir)
		for _, f := range strings.Split(files, ",") {
			if f == "" {
				continue
			}
			if p := filepath.ToSlash(filepath.Join(rel, f)); !covered(p) {
				t.Errorf("the hub is built from %s, which no COPY line brings into the image build", p)
			}
		}
	}
}
