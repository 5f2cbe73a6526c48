package config

import (
	"fmt"
	"net/url"
	"regexp"
)

// publicURLChars are the characters allowed in public_url: it is written into the install
// scripts between single quotes, so nothing a shell or PowerShell interprets may appear.
var publicURLChars = regexp.MustCompile(`^[A-Za-z0-9._~:/%\[\]-]+$`)

// checkPublicURL accepts "" or an absolute http(s) URL without user, query or fragment.
func checkPublicURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("public_url %q: want an absolute http:// or https:// URL such as https://mcp.example.com", raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return fmt.Errorf("public_url %q: must not contain a user, a query or a fragment", raw)
	case !publicURLChars.MatchString(raw):
		return fmt.Errorf("public_url %q: only letters, digits and ._~:/%%[]- are allowed", raw)
	}
	return nil
}
