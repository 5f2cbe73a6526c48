package tunnel

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// ProxyDirect as an explicit proxy setting means "connect directly, ignore the environment".
const ProxyDirect = "direct"

// ProxyFunc returns the proxy chooser the agent dialer uses. A non-empty explicit setting wins:
// a proxy URL (http://[user:pass@]host:port or socks5://host:port; a bare host:port means http)
// or ProxyDirect. Otherwise the environment decides, read now, with the rules of net/http's
// ProxyFromEnvironment: HTTPS_PROXY for wss/https URLs, HTTP_PROXY for ws/http, lower-case
// variants as fallback, NO_PROXY exclusions, and never a proxy for localhost or loopback IPs.
// Unlike http.ProxyFromEnvironment the environment is not cached for the life of the process.
func ProxyFunc(explicit string) (func(*http.Request) (*url.URL, error), error) {
	switch explicit = strings.TrimSpace(explicit); {
	case strings.EqualFold(explicit, ProxyDirect):
		return func(*http.Request) (*url.URL, error) { return nil, nil }, nil
	case explicit != "":
		u, err := parseProxy(explicit)
		if err != nil {
			return nil, err
		}
		return func(*http.Request) (*url.URL, error) { return u, nil }, nil
	}
	return envProxy(os.Getenv)
}

// envProxy builds the chooser from environment variables looked up with getenv.
func envProxy(getenv func(string) string) (func(*http.Request) (*url.URL, error), error) {
	lookup := func(upper string) string {
		if v := getenv(upper); v != "" {
			return v
		}
		return getenv(strings.ToLower(upper))
	}
	httpsProxy, err := parseProxy(lookup("HTTPS_PROXY"))
	if err != nil {
		return nil, fmt.Errorf("HTTPS_PROXY: %w", err)
	}
	httpProxy, err := parseProxy(lookup("HTTP_PROXY"))
	if err != nil {
		return nil, fmt.Errorf("HTTP_PROXY: %w", err)
	}
	np := parseNoProxy(lookup("NO_PROXY"))
	return func(req *http.Request) (*url.URL, error) {
		var proxy *url.URL
		port := "80"
		switch req.URL.Scheme {
		case "https", "wss":
			proxy, port = httpsProxy, "443"
		case "http", "ws":
			proxy = httpProxy
		}
		if proxy == nil {
			return nil, nil
		}
		if p := req.URL.Port(); p != "" {
			port = p
		}
		if !np.useProxy(strings.ToLower(req.URL.Hostname()), port) {
			return nil, nil
		}
		return proxy, nil
	}, nil
}

// parseProxy parses a proxy setting; "" is no proxy, and a value without scheme means http.
func parseProxy(s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error repeats the URL, which may hold a password
	}
	if err != nil {
		return nil, fmt.Errorf("invalid proxy URL: %w", err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid proxy URL %q: no host", redact(s))
	}
	return u, nil
}

// noProxy is a parsed NO_PROXY list.
type noProxy struct {
	all     bool
	cidrs   []*net.IPNet
	ips     []hostPort // host is an IP in canonical form
	domains []hostPort // host starts with "."; exact says the bare domain matches too
}

type hostPort struct {
	host, port string
	exact      bool
}

// parseNoProxy parses comma-separated entries: "*", IP, CIDR, domain (matches it and its
// subdomains), ".domain" (subdomains only), "*.domain", each optionally with ":port".
func parseNoProxy(list string) noProxy {
	var np noProxy
	for _, p := range strings.Split(list, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		switch {
		case p == "":
			continue
		case p == "*":
			return noProxy{all: true}
		}
		if _, cidr, err := net.ParseCIDR(p); err == nil {
			np.cidrs = append(np.cidrs, cidr)
			continue
		}
		host, port, err := net.SplitHostPort(p)
		if err != nil {
			host, port = p, ""
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if ip := net.ParseIP(host); ip != nil {
			np.ips = append(np.ips, hostPort{host: ip.String(), port: port})
			continue
		}
		host = strings.TrimPrefix(host, "*")
		if host == "" || host == "." {
			continue
		}
		exact := !strings.HasPrefix(host, ".")
		if exact {
			host = "." + host
		}
		np.domains = append(np.domains, hostPort{host: host, port: port, exact: exact})
	}
	return np
}

// useProxy reports whether a request to host:port should go through the proxy.
func (np noProxy) useProxy(host, port string) bool {
	if np.all || host == "localhost" {
		return false
	}
	portOK := func(p string) bool { return p == "" || p == port }
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsLoopback() {
			return false
		}
		for _, c := range np.cidrs {
			if c.Contains(ip) {
				return false
			}
		}
		for _, m := range np.ips {
			if m.host == ip.String() && portOK(m.port) {
				return false
			}
		}
	}
	for _, m := range np.domains {
		if (strings.HasSuffix(host, m.host) || (m.exact && host == m.host[1:])) && portOK(m.port) {
			return false
		}
	}
	return true
}
