package mcpgateway

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
)

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
