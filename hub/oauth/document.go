package oauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Bounds of fetching a Client ID Metadata Document.
const (
	documentTimeout = 5 * time.Second
	documentMaxAge  = 5 * time.Minute // a stored copy younger than this is used as it is
	maxDocumentURL  = 2000
)

// documents fetches Client ID Metadata Documents without letting a client_id reach inside
// the hub's network: the address actually dialled (after DNS) must be public unless
// allowPrivate, no redirect is followed, and the body and time are bounded.
type documents struct {
	client       *http.Client
	allowPrivate bool
	log          *slog.Logger
}

func newDocuments(allowPrivate bool, roots *x509.CertPool, log *slog.Logger) *documents {
	d := &documents{allowPrivate: allowPrivate, log: log}
	dialer := &net.Dialer{Timeout: documentTimeout, Control: d.control}
	d.client = &http.Client{
		Timeout: documentTimeout,
		Transport: &http.Transport{
			DialContext:            dialer.DialContext,
			TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    documentTimeout,
			ResponseHeaderTimeout:  documentTimeout,
			MaxResponseHeaderBytes: 16 << 10,
			DisableKeepAlives:      true,
			Proxy:                  nil, // a proxy would dial for us, past the address check
		},
		// A document is at its client_id URL: a redirect elsewhere is refused, which also
		// keeps a public URL from bouncing the hub to an internal one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect },
	}
	return d
}

var errRedirect = errors.New("the client_id URL redirects; a Client ID Metadata Document must be served at the client_id URL itself")

// control runs before each connection with the resolved address: the one place where the
// address dialled is known, so DNS rebinding cannot slip past it.
func (d *documents) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("client metadata document: address %q: %w", address, err)
	}
	if !d.allowPrivate && !PublicAddr(ap.Addr()) {
		return fmt.Errorf("client metadata document: %s is not a public address (oauth.document_allow_private is off)", ap.Addr())
	}
	return nil
}

// PublicAddr reports whether an address is on the public internet: not loopback, private
// (RFC 1918, fc00::/7), link-local, CGNAT (100.64.0.0/10), unspecified, multicast or
// otherwise reserved.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("240.0.0.0/4"), netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"), netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("100::/64"),
}

// CheckDocumentURL accepts a client_id that names a metadata document: an https URL with a
// path other than "/", no user info, query or fragment, and no dot segments (the
// draft's rules). http is accepted only with allowLoopbackHTTP, to a loopback address.
func CheckDocumentURL(raw string, allowLoopbackHTTP bool) (*url.URL, error) {
	if len(raw) > maxDocumentURL {
		return nil, fmt.Errorf("client_id URL is longer than %d characters", maxDocumentURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("client_id %q is not a URL: %w", raw, err)
	}
	switch {
	case u.Scheme == "http" && allowLoopbackHTTP && loopbackHost(u.Hostname()):
	case u.Scheme != "https":
		return nil, fmt.Errorf("client_id %q: a metadata document URL must be https", raw)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("client_id %q has no host", raw)
	case u.User != nil:
		return nil, fmt.Errorf("client_id %q has user info", raw)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("client_id %q has a query or a fragment", raw)
	case u.Path == "" || u.Path == "/":
		return nil, fmt.Errorf("client_id %q has no path: a metadata document URL names a document", raw)
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg == "." || seg == ".." || strings.EqualFold(seg, "%2e") || strings.EqualFold(seg, "%2e%2e") {
			return nil, fmt.Errorf("client_id %q has a dot segment", raw)
		}
	}
	return u, nil
}

// fetch gets and checks the document at id; it returns the parsed metadata and its bytes.
func (d *documents) fetch(ctx context.Context, id string) (*ClientMetadata, []byte, error) {
	if _, err := CheckDocumentURL(id, d.allowPrivate); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, documentTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("client_id %q: %w", id, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch the client metadata document %s: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("fetch the client metadata document %s: HTTP %d", id, resp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, nil, fmt.Errorf("client metadata document %s: content type %q, want application/json", id, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read the client metadata document %s: %w", id, err)
	}
	m, err := ParseClientMetadata(body)
	if err != nil {
		return nil, nil, fmt.Errorf("client metadata document %s: %w", id, err)
	}
	if m.ClientID != id {
		return nil, nil, fmt.Errorf("client metadata document %s names client_id %q: it must be the document's own URL", id, m.ClientID)
	}
	return m, body, nil
}
