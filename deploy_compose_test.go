package mcpgateway

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
)

// composeFile is the part of a compose file the checks read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       *composeBuild     `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	StopGrace   string            `yaml:"stop_grace_period"`
	ReadOnly    bool              `yaml:"read_only"`
	CapDrop     []string          `yaml:"cap_drop"`
	Networks    any               `yaml:"networks"`
	DependsOn   any               `yaml:"depends_on"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

// checkCompose returns what is wrong with a compose file of hubs behind HAProxy: dir holds
// it and the files it mounts.
func checkCompose(t *testing.T, dir string, raw []byte) []string {
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return []string{"compose.yaml does not parse: " + err.Error()}
	}
	var bad []string
	var hubs []string
	for name, s := range c.Services {
		if strings.HasPrefix(s.Image, "mcp-gateway-hub") {
			hubs = append(hubs, name)
		}
	}
	slices.Sort(hubs)
	if len(hubs) < 2 {
		bad = append(bad, fmt.Sprintf("want two or more hubs (image mcp-gateway-hub), have %v", hubs))
	}
	if _, ok := c.Services["postgres"]; !ok {
		bad = append(bad, "no postgres service")
	}
	secretRef := regexp.MustCompile(`\$\{[A-Z_]+:\?[^}]+\}`)
	dataVolumes := map[string]string{}
	var first *composeService
	for _, name := range hubs {
		s := c.Services[name]
		if first == nil {
			first = &s
		}
		for _, env := range []string{"DATABASE_URL", "MCPGW_MASTER_KEY"} {
			v := s.Environment[env]
			if !secretRef.MatchString(v) {
				bad = append(bad, fmt.Sprintf("%s: %s must come from the environment with ${VAR:?message} (no default), is %q", name, env, v))
			}
			if v != first.Environment[env] {
				bad = append(bad, fmt.Sprintf("%s: %s differs from the first hub's: every hub needs the same", name, env))
			}
		}
		if s.Build == nil || !exists(filepath.Join(dir, s.Build.Context, s.Build.Dockerfile)) {
			bad = append(bad, fmt.Sprintf("%s: build names no existing Dockerfile: %+v", name, s.Build))
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") {
			bad = append(bad, fmt.Sprintf("%s: want read_only: true and cap_drop: [ALL]", name))
		}
		conf := ""
		for i, a := range s.Command {
			if a == "--config" && i+1 < len(s.Command) {
				conf = s.Command[i+1]
			}
		}
		var hubConf config.Config
		for _, v := range s.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			dst, _, _ = strings.Cut(dst, ":")
			switch {
			case strings.HasPrefix(src, "."):
				if !exists(filepath.Join(dir, src)) {
					bad = append(bad, fmt.Sprintf("%s: mounts %s, which does not exist", name, src))
				} else if dst == conf {
					hubConf = loadHubTOML(t, filepath.Join(dir, src))
				}
			case dst == "/data":
				if _, ok := c.Volumes[src]; !ok {
					bad = append(bad, fmt.Sprintf("%s: data volume %s is not declared under volumes", name, src))
				}
				if other, ok := dataVolumes[src]; ok {
					bad = append(bad, fmt.Sprintf("%s and %s share the data volume %s: each hub needs its own data dir", other, name, src))
				}
				dataVolumes[src] = name
			}
		}
		if conf == "" || hubConf.Listen == "" {
			bad = append(bad, fmt.Sprintf("%s: want serve --config FILE with FILE mounted from this folder", name))
			continue
		}
		if hubConf.DataDir != "/data" {
			bad = append(bad, fmt.Sprintf("%s: data_dir is %q, the volume is at /data", name, hubConf.DataDir))
		}
		if !slices.Contains(values(dataVolumes), name) {
			bad = append(bad, fmt.Sprintf("%s: no volume of its own at /data", name))
		}
		grace, err := time.ParseDuration(s.StopGrace)
		if need := hubConf.DrainTimeout.Duration + shutdownAfterDrain; err != nil || grace < need {
			bad = append(bad, fmt.Sprintf("%s: stop_grace_period %q is shorter than drain_timeout + 10 s = %s: the drain would be cut", name, s.StopGrace, need))
		}
	}
	bad = append(bad, checkHAProxy(t, dir, c, hubs)...)
	return bad
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// checkHAProxy: the balancer mounts an existing haproxy.cfg whose servers are the hubs,
// checked by /readyz.
func checkHAProxy(t *testing.T, dir string, c composeFile, hubs []string) []string {
	lb, ok := c.Services["lb"]
	if !ok {
		return []string{"no lb service"}
	}
	cfg := ""
	for _, v := range lb.Volumes {
		if src, dst, _ := strings.Cut(v, ":"); strings.HasSuffix(strings.Split(dst, ":")[0], "haproxy.cfg") {
			cfg = filepath.Join(dir, src)
		}
	}
	b, err := os.ReadFile(cfg)
	if err != nil {
		return []string{"lb mounts no readable haproxy.cfg: " + fmt.Sprint(err)}
	}
	var bad []string
	text := string(b)
	if !regexp.MustCompile(`(?m)^\s*option httpchk GET /readyz\s*$`).MatchString(text) {
		bad = append(bad, "haproxy.cfg does not check /readyz (option httpchk GET /readyz)")
	}
	for _, h := range hubs {
		if !regexp.MustCompile(`(?m)^\s*server ` + h + ` ` + h + `:3200\b`).MatchString(text) {
			bad = append(bad, fmt.Sprintf("haproxy.cfg has no `server %s %s:3200`", h, h))
		}
	}
	return bad
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestDeployCompose(t *testing.T) {
	dir := filepath.Join(deployDir, "compose")
	raw, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range checkCompose(t, dir, raw) {
		t.Error(e)
	}
	// The checks can fail: a copy with a shared data volume, a short grace period and a
	// literal master key is refused for each.
	broken := strings.Replace(string(raw), "hub2-data:/data", "hub1-data:/data", 1)
	broken = strings.Replace(broken, "stop_grace_period: 45s", "stop_grace_period: 10s", 1)
	broken = regexp.MustCompile(`MCPGW_MASTER_KEY: \$\{[^}]+\}`).ReplaceAllString(broken, "MCPGW_MASTER_KEY: c2VjcmV0")
	got := strings.Join(checkCompose(t, dir, []byte(broken)), "\n")
	for _, want := range []string{"share the data volume hub1-data", "stop_grace_period \"10s\"", "MCPGW_MASTER_KEY must come from the environment"} {
		if !strings.Contains(got, want) {
			t.Errorf("a broken compose file was not refused for %q; problems found:\n%s", want, got)
		}
	}
}

// TestDeployHAProxyConfig: HAProxy parses the balancer's configuration itself. The hubs'
// names resolve only inside compose's network, so the one warning allowed is about that.
func TestDeployHAProxyConfig(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil && exists("/usr/sbin/haproxy") { // not on a non-root PATH
		bin, err = "/usr/sbin/haproxy", nil
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("haproxy is not installed: run e2e/setup.sh")
		}
		t.Skip("haproxy is not installed: run e2e/setup.sh")
	}
	out, err := exec.Command(bin, "-c", "-f", filepath.Join(deployDir, "compose", "haproxy.cfg")).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("Configuration file is valid")) {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := sc.Text(); strings.Contains(l, "[WARNING]") && !strings.Contains(l, "could not resolve address") {
			t.Errorf("haproxy -c warns: %s", l)
		}
	}
}
