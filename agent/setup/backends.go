package setup

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// PutBackend adds b to cfg, or replaces the backend of the same name when replace is set.
// The entry is validated first.
func PutBackend(cfg *config.Config, b backend.Config, replace bool) error {
	if err := b.Validate(); err != nil {
		return err
	}
	i := slices.IndexFunc(cfg.Backends, func(o backend.Config) bool { return o.Name == b.Name })
	switch {
	case i >= 0 && !replace:
		return fmt.Errorf("a backend named %q already exists (use --replace to change it)", b.Name)
	case i >= 0:
		cfg.Backends[i] = b
	default:
		cfg.Backends = append(cfg.Backends, b)
	}
	return nil
}

// RemoveBackend removes the backend called name.
func RemoveBackend(cfg *config.Config, name string) error {
	i := slices.IndexFunc(cfg.Backends, func(o backend.Config) bool { return o.Name == name })
	if i < 0 {
		return fmt.Errorf("no backend named %q (have: %s)", name, strings.Join(backendNames(cfg), ", "))
	}
	cfg.Backends = slices.Delete(cfg.Backends, i, i+1)
	return nil
}

func backendNames(cfg *config.Config) []string {
	names := make([]string, len(cfg.Backends))
	for i, b := range cfg.Backends {
		names[i] = b.Name
	}
	return names
}

// Describe is a one-line summary of a backend: what it runs or where it points, and the
// names (never the values) of its variables and headers. The URL is shown without its
// password and query values, where services put API keys.
func Describe(b backend.Config) string {
	var s string
	if b.Transport == backend.TransportStdio {
		s = JoinWords(append([]string{b.Command}, b.Args...))
	} else {
		s = redactURL(b.URL)
	}
	if len(b.Env) > 0 {
		s += "  env: " + strings.Join(sortedNames(b.Env), ", ")
	}
	if len(b.Headers) > 0 {
		s += "  headers: " + strings.Join(sortedNames(b.Headers), ", ")
	}
	return s
}

// redactURL hides the password and the query values of a URL ("xxxxx"), keeping the names.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"xxxxx"}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func sortedNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// ParsePairs reads KEY=VALUE items (env variables, headers) into a map.
func ParsePairs(items []string, what string) (map[string]string, error) {
	if len(items) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(items))
	for _, it := range items {
		k, v, ok := strings.Cut(it, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s %q: want NAME=VALUE", what, it)
		}
		m[strings.TrimSpace(k)] = v
	}
	return m, nil
}
