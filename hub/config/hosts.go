package config

import (
	"net"
	"net/url"
	"slices"
	"strings"
)

// Hosts is the list of Host header values the hub accepts (DNS-rebinding protection); nil
// means any. allowed_hosts when set; else, on a loopback listener, the loopback names and
// the host of public_url (the name a reverse proxy on this machine passes on); else nil.
func (c *Config) Hosts() []string {
	if len(c.AllowedHosts) > 0 || !c.Loopback() {
		return c.AllowedHosts
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if u, err := url.Parse(c.PublicURL); err == nil && u.Hostname() != "" && !slices.Contains(hosts, u.Hostname()) {
		hosts = append(hosts, u.Hostname())
	}
	return hosts
}

// HostAllowed reports whether host, a Host header (a name or address, with or without a
// port), is one of allowed, with or without its port; names compare without regard to
// case. An empty allowed list accepts any host. The one check behind /mcp, /api/v1,
// /agent/ws and the install scripts' URL.
func HostAllowed(allowed []string, host string) bool {
	if len(allowed) == 0 {
		return true
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.Trim(h, "[]")
	return slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, host) || strings.EqualFold(a, h) })
}
