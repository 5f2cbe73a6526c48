package setup

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// HubURLs derives the [agent] gateway_url (ws/wss) and dashboard_url (http/https) from what
// a person types: the hub's web address (https://hub.example.com, with or without a path
// prefix), its tunnel URL (wss://hub.example.com/agent/ws), or a bare host[:port], which
// means https — or http for a loopback address, where a hub listens without TLS by default.
func HubURLs(raw string) (gateway, dashboard string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", errors.New("the hub URL is empty")
	}
	if !strings.Contains(raw, "://") {
		scheme := "https://"
		if isLoopback(raw) {
			scheme = "http://"
		}
		raw = scheme + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("the hub URL %q does not parse: %w", raw, err)
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return "", "", fmt.Errorf("the hub URL %q has no host", raw)
	case u.User != nil:
		return "", "", fmt.Errorf("the hub URL %q must not carry a user or password; the key goes in its own field", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return "", "", fmt.Errorf("the hub URL %q must not have a query or a fragment", raw)
	}
	secure := false
	switch strings.ToLower(u.Scheme) {
	case "https", "wss":
		secure = true
	case "http", "ws":
	default:
		return "", "", fmt.Errorf("the hub URL %q must start with https://, http://, wss:// or ws://", raw)
	}
	path := strings.TrimRight(u.Path, "/")
	web := path
	tunnel := path + protocol.AgentPath
	if prefix, ok := strings.CutSuffix(path, protocol.AgentPath); ok {
		web, tunnel = prefix, path
	} else if ws := strings.HasPrefix(strings.ToLower(u.Scheme), "ws"); ws && path != "" {
		tunnel = path // an explicit tunnel path is kept as it is
		web = ""
	}
	wsScheme, httpScheme := "ws", "http"
	if secure {
		wsScheme, httpScheme = "wss", "https"
	}
	gw := url.URL{Scheme: wsScheme, Host: u.Host, Path: tunnel}
	dash := url.URL{Scheme: httpScheme, Host: u.Host, Path: web}
	return gw.String(), dash.String(), nil
}

func isLoopback(hostport string) bool {
	host := hostport
	if i := strings.IndexAny(host, "/"); i >= 0 {
		host = host[:i]
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// PlaintextWarning is a warning for a tunnel URL that is not encrypted (ws://) and leads off
// this machine: the agent key, and every call and result, would cross the network in clear.
// It is "" for wss:// and for a loopback host.
func PlaintextWarning(gatewayURL string) string {
	u, err := url.Parse(gatewayURL)
	if err != nil || !strings.EqualFold(u.Scheme, "ws") || isLoopback(u.Host) {
		return ""
	}
	return fmt.Sprintf("the tunnel to %s is not encrypted (%s): the agent key and every call and result "+
		"cross the network in clear; use https:// (wss://) unless this network is trusted end to end", u.Host, gatewayURL)
}
