package auth

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddress is the client address that failed logins are counted by, from a remote
// address as in http.Request.RemoteAddr ("host:port", or a bare address): the IP, an
// IPv4-mapped IPv6 address as IPv4, and an IPv6 address by its /64, which one site or
// customer holds whole (one attacker has all of it). Anything unparsable is taken as is.
func ClientAddress(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return host
	case ip.To4() != nil:
		return ip.To4().String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// maxForwardHops bounds the X-Forwarded-For entries ClientFrom looks at, from the right.
const maxForwardHops = 32

// ClientFrom is the client address of r for counting failed logins: ClientAddress of the
// connection's peer; or, when the peer is one of trusted (the reverse proxies the operator
// named in trusted_proxies), of the rightmost X-Forwarded-For entry that is not a trusted
// proxy: the address the nearest untrusted hop connected from. Entries left of it were
// written by the client and are not believed. If that entry does not parse, or there is
// none, the peer's address it is (all clients of the proxy then count together).
func ClientFrom(r *http.Request, trusted []netip.Prefix) string {
	if len(trusted) == 0 || !isTrusted(hostAddr(r.RemoteAddr), trusted) {
		return ClientAddress(r.RemoteAddr)
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0 && i >= len(hops)-maxForwardHops; i-- {
		a := hostAddr(strings.TrimSpace(hops[i]))
		if !a.IsValid() {
			break
		}
		if !isTrusted(a, trusted) {
			return ClientAddress(a.String())
		}
	}
	return ClientAddress(r.RemoteAddr)
}

// hostAddr parses "ip", "ip:port" or "[ip]:port"; the zero Addr if it is none of them.
func hostAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}
	}
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
