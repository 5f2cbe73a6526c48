package mcp

import "strings"

// URIScheme starts every prefixed resource URI.
const URIScheme = "mcpgw://"

// PrefixURI returns the exposed form of a backend's resource URI (or URI template):
// "mcpgw://" + prefix + "/" + uri, with uri appended verbatim so templates keep their
// {variables}. prefix must not contain '/'; sanitized prefixes never do.
func PrefixURI(prefix, uri string) string {
	return URIScheme + prefix + "/" + uri
}

// SplitURI reverses PrefixURI. ok is false when u does not start with "mcpgw://", has no
// '/' after the prefix, or has an empty prefix.
func SplitURI(u string) (prefix, uri string, ok bool) {
	rest, found := strings.CutPrefix(u, URIScheme)
	if !found {
		return "", "", false
	}
	prefix, uri, found = strings.Cut(rest, "/")
	if !found || prefix == "" {
		return "", "", false
	}
	return prefix, uri, true
}
