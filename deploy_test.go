package mcpgateway

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
)

// The deployment files under docs/deploy (docs/DEPLOY.md) are checked here, offline: every
// YAML file parses; the compose file, the Kubernetes manifests and the Dockerfile say what
// a hub cluster needs (probes, drain time, non-root, shared secrets, a data dir per hub);
// hub.toml files load with the hub's own config loader; HAProxy checks its configuration
// itself (haproxy -c, from Debian: e2e/setup.sh installs it). No container is built or
// run: no registry is reachable from CI.

const deployDir = "docs/deploy"

// shutdownAfterDrain is what Server.Run allows the HTTP shutdown after the drain.
const shutdownAfterDrain = 10 * time.Second

// loadHubTOML loads a hub.toml with the hub's loader and validates it.
func loadHubTOML(t *testing.T, path string) config.Config {
	t.Helper()
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
}

// dig walks nested maps (string keys) and lists (int keys); nil when a step is missing.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// ---------------------------------------------------------------- compose

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

// ---------------------------------------------------------------- Kubernetes

type k8sObjects map[string][]map[string]any // kind → objects

func loadK8s(t *testing.T, dir string) (k8sObjects, map[string]any) {
	t.Helper()
	kust := yamlDocs(t, filepath.Join(dir, "kustomization.yaml"))[0]
	objs := k8sObjects{}
	for _, r := range kust["resources"].([]any) {
		for _, o := range yamlDocs(t, filepath.Join(dir, str(r))) {
			objs[str(o["kind"])] = append(objs[str(o["kind"])], o)
		}
	}
	return objs, kust
}

// checkK8s returns what is wrong with the hub's manifests; secrets are the objects of the
// Secret example, dir where to write the ConfigMap's hub.toml for loading.
func checkK8s(t *testing.T, objs k8sObjects, kust map[string]any, secrets []map[string]any) []string {
	var bad []string
	for kind, list := range objs {
		for _, o := range list {
			if str(o["apiVersion"]) == "" || str(dig(o, "metadata", "name")) == "" {
				bad = append(bad, fmt.Sprintf("a %s without apiVersion or metadata.name", kind))
			}
		}
	}
	sets := append(objs["StatefulSet"], objs["Deployment"]...)
	if len(sets) != 1 {
		return append(bad, fmt.Sprintf("want one StatefulSet or Deployment of hubs, have %d", len(sets)))
	}
	set := sets[0]
	pod := dig(set, "spec", "template", "spec")
	labels, _ := dig(set, "spec", "template", "metadata", "labels").(map[string]any)
	selects := func(sel any) bool {
		m, ok := sel.(map[string]any)
		if !ok || len(m) == 0 {
			return false
		}
		for k, v := range m {
			if str(labels[k]) != str(v) {
				return false
			}
		}
		return true
	}
	if !selects(dig(set, "spec", "selector", "matchLabels")) {
		bad = append(bad, "the hubs' selector does not match their pod labels")
	}
	pdbs := objs["PodDisruptionBudget"]
	if len(pdbs) == 0 || !selects(dig(pdbs[0], "spec", "selector", "matchLabels")) ||
		(dig(pdbs[0], "spec", "maxUnavailable") == nil && dig(pdbs[0], "spec", "minAvailable") == nil) {
		bad = append(bad, "want a PodDisruptionBudget with maxUnavailable or minAvailable that selects the hubs' pods")
	}
	if svcs := objs["Service"]; len(svcs) == 0 || !selects(dig(svcs[0], "spec", "selector")) {
		bad = append(bad, "want a Service that selects the hubs' pods")
	}
	if dig(pod, "securityContext", "runAsNonRoot") != true {
		bad = append(bad, "pod securityContext: want runAsNonRoot: true")
	}
	c := dig(pod, "containers", 0)
	image := str(dig(c, "image"))
	knownImage := false
	for _, im := range asList(kust["images"]) {
		knownImage = knownImage || str(dig(im, "name")) == image
	}
	if image == "" || !knownImage {
		bad = append(bad, fmt.Sprintf("container image %q is not one kustomization.yaml's images: sets", image))
	}
	ports := map[string]int{}
	for _, p := range asList(dig(c, "ports")) {
		n, _ := strconv.Atoi(str(dig(p, "containerPort")))
		ports[str(dig(p, "name"))] = n
	}
	for _, probe := range []struct{ name, path string }{{"readinessProbe", "/readyz"}, {"livenessProbe", "/healthz"}} {
		if got := str(dig(c, probe.name, "httpGet", "path")); got != probe.path {
			bad = append(bad, fmt.Sprintf("%s: want httpGet %s, have %q", probe.name, probe.path, got))
		}
		if _, ok := ports[str(dig(c, probe.name, "httpGet", "port"))]; !ok {
			bad = append(bad, fmt.Sprintf("%s: port %v is not a named container port", probe.name, dig(c, probe.name, "httpGet", "port")))
		}
	}
	for _, r := range []string{"cpu", "memory"} {
		if dig(c, "resources", "requests", r) == nil {
			bad = append(bad, "container: want resources.requests."+r)
		}
	}
	sc := dig(c, "securityContext")
	if dig(sc, "readOnlyRootFilesystem") != true || dig(sc, "allowPrivilegeEscalation") != false ||
		!slices.Contains(asList(dig(sc, "capabilities", "drop")), any("ALL")) {
		bad = append(bad, "container securityContext: want readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities.drop: [ALL]")
	}
	// Secrets: DATABASE_URL and MCPGW_MASTER_KEY from keys the Secret example has.
	secretKeys := map[string]bool{}
	for _, s := range secrets {
		for k := range asMap(s["stringData"]) {
			secretKeys[str(dig(s, "metadata", "name"))+"/"+k] = true
		}
		for k, v := range asMap(s["stringData"]) {
			if str(v) != "" {
				bad = append(bad, "the Secret example holds a value for "+k+": no default secrets")
			}
		}
	}
	fromSecret := map[string]bool{}
	for _, e := range asList(dig(c, "env")) {
		ref := dig(e, "valueFrom", "secretKeyRef")
		if ref == nil {
			continue
		}
		if k := str(dig(ref, "name")) + "/" + str(dig(ref, "key")); !secretKeys[k] {
			bad = append(bad, fmt.Sprintf("env %s refers to %s, which the Secret example does not have", str(dig(e, "name")), k))
		}
		fromSecret[str(dig(e, "name"))] = true
	}
	for _, env := range []string{"DATABASE_URL", "MCPGW_MASTER_KEY"} {
		if !fromSecret[env] {
			bad = append(bad, env+" must come from the Secret")
		}
	}
	// hub.toml from the ConfigMap, mounted where --config points; its port is the container's.
	mounts := map[string]string{}
	for _, m := range asList(dig(c, "volumeMounts")) {
		mounts[str(dig(m, "mountPath"))] = str(dig(m, "name"))
	}
	args := asList(dig(c, "args"))
	conf := ""
	for i, a := range args {
		if a == "--config" && i+1 < len(args) {
			conf = str(args[i+1])
		}
	}
	hubConf, err := configMapTOML(t, objs, pod, mounts, conf)
	if err != nil {
		return append(bad, err.Error())
	}
	if _, ok := mounts[hubConf.DataDir]; !ok {
		bad = append(bad, fmt.Sprintf("data_dir %s is not a mounted volume: the root filesystem is read-only", hubConf.DataDir))
	}
	_, port, _ := strings.Cut(hubConf.Listen, ":")
	if p, _ := strconv.Atoi(port); p != ports["http"] {
		bad = append(bad, fmt.Sprintf("hub.toml listens on %s, the container port http is %d", hubConf.Listen, ports["http"]))
	}
	// Drain: the grace period covers preStop, drain_timeout and the shutdown after it.
	grace, _ := strconv.Atoi(str(dig(pod, "terminationGracePeriodSeconds")))
	pre, _ := strconv.Atoi(str(dig(c, "lifecycle", "preStop", "sleep", "seconds")))
	if need := time.Duration(pre)*time.Second + hubConf.DrainTimeout.Duration + shutdownAfterDrain; time.Duration(grace)*time.Second < need {
		bad = append(bad, fmt.Sprintf("terminationGracePeriodSeconds %d is shorter than preStop (%ds) + drain_timeout (%s) + 10 s: the drain would be cut", grace, pre, hubConf.DrainTimeout.Duration))
	}
	if hubConf.DrainTimeout.Duration == 0 {
		bad = append(bad, "hub.toml turns draining off (drain_timeout = 0)")
	}
	return bad
}

// configMapTOML finds the ConfigMap key that the container reads as its --config file and
// loads it with the hub's loader.
func configMapTOML(t *testing.T, objs k8sObjects, pod any, mounts map[string]string, conf string) (config.Config, error) {
	vol := mounts[filepath.Dir(conf)]
	cmName := ""
	for _, v := range asList(dig(pod, "volumes")) {
		if str(dig(v, "name")) == vol {
			cmName = str(dig(v, "configMap", "name"))
		}
	}
	for _, cm := range objs["ConfigMap"] {
		if str(dig(cm, "metadata", "name")) != cmName {
			continue
		}
		body := str(dig(cm, "data", filepath.Base(conf)))
		if body == "" {
			break
		}
		path := filepath.Join(t.TempDir(), "hub.toml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return loadHubTOML(t, path), nil
	}
	return config.Config{}, fmt.Errorf("--config %q is not a key of a ConfigMap mounted at %s", conf, filepath.Dir(conf))
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func TestDeployKubernetes(t *testing.T) {
	dir := filepath.Join(deployDir, "k8s")
	objs, kust := loadK8s(t, dir)
	secrets := yamlDocs(t, filepath.Join(dir, "secret.example.yaml"))
	for _, e := range checkK8s(t, objs, kust, secrets) {
		t.Error(e)
	}
	// The checks can fail: without the readiness probe, with a grace period shorter than
	// the drain, as root, and with a secret in the example, the manifests are refused.
	set := objs["StatefulSet"][0]
	c := dig(set, "spec", "template", "spec", "containers", 0).(map[string]any)
	delete(c, "readinessProbe")
	dig(set, "spec", "template", "spec").(map[string]any)["terminationGracePeriodSeconds"] = 30
	dig(set, "spec", "template", "spec", "securityContext").(map[string]any)["runAsNonRoot"] = false
	secrets[0]["stringData"].(map[string]any)["master-key"] = "c2VjcmV0"
	got := strings.Join(checkK8s(t, objs, kust, secrets), "\n")
	for _, want := range []string{"readinessProbe: want httpGet /readyz", "terminationGracePeriodSeconds 30 is shorter", "runAsNonRoot", "no default secrets"} {
		if !strings.Contains(got, want) {
			t.Errorf("broken manifests were not refused for %q; problems found:\n%s", want, got)
		}
	}
}

// ---------------------------------------------------------------- Dockerfile

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
