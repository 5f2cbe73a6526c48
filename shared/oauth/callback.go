package oauth

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"time"
)

// CallbackPath is the path of the loopback redirect URI.
const CallbackPath = "/callback"

// CallbackResult is what the authorization server sent to the redirect URI.
type CallbackResult struct {
	Code  string `json:"code"`
	State string `json:"state"`
	Iss   string `json:"iss,omitempty"`
	// Error is the error (and its description) of a refused authorization.
	Error string `json:"error,omitempty"`
}

// ParseCallback reads an authorization response from the redirect URI's query.
func ParseCallback(q url.Values) (CallbackResult, error) {
	r := CallbackResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}
	if e := q.Get("error"); e != "" {
		r.Error = e
		if d := q.Get("error_description"); d != "" {
			r.Error += ": " + d
		}
		return r, nil
	}
	if r.Code == "" || r.State == "" {
		return r, errors.New("the authorization response has no code or no state")
	}
	return r, nil
}

// Callback is the loopback HTTP server that receives the authorization response (RFC 8252
// section 7.3): 127.0.0.1 on a port the system picks.
type Callback struct {
	URL     string // the redirect URI: http://127.0.0.1:PORT/callback
	srv     *http.Server
	results chan CallbackResult
}

// ListenCallback starts the callback server. Close it when the login is over.
func ListenCallback() (*Callback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loopback callback: %w", err)
	}
	cb := &Callback{URL: "http://" + ln.Addr().String() + CallbackPath, results: make(chan CallbackResult, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+CallbackPath, cb.serve)
	cb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go cb.srv.Serve(ln) //nolint:errcheck // ends with Close
	return cb, nil
}

func (cb *Callback) serve(w http.ResponseWriter, r *http.Request) {
	res, err := ParseCallback(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if res.Error != "" {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<!doctype html><title>mcp-gateway</title><p>Authorization refused: %s</p>", html.EscapeString(res.Error))
	} else {
		fmt.Fprint(w, "<!doctype html><title>mcp-gateway</title><p>Authorized. You can close this window.</p>")
	}
	select {
	case cb.results <- res:
	default: // a second response: the first one counts
	}
}

// Wait returns the first authorization response, or ctx's error.
func (cb *Callback) Wait(ctx context.Context) (CallbackResult, error) {
	select {
	case r := <-cb.results:
		return r, nil
	case <-ctx.Done():
		return CallbackResult{}, fmt.Errorf("waiting for the browser to come back to %s: %w", cb.URL, ctx.Err())
	}
}

// Close stops the callback server.
func (cb *Callback) Close() error { return cb.srv.Close() }

// Login runs a whole login: callback, Start, open the URL (print it, start a browser, or in
// tests follow it with an HTTP client), wait for the redirect, Finish.
func Login(ctx context.Context, cfg FlowConfig, open func(ctx context.Context, authURL string) error) (*Credentials, error) {
	cb, err := ListenCallback()
	if err != nil {
		return nil, err
	}
	defer cb.Close()
	cfg.RedirectURL = cb.URL
	f, authURL, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := open(ctx, authURL); err != nil {
		f.Cancel()
		return nil, err
	}
	res, err := cb.Wait(ctx)
	if err != nil {
		f.Cancel()
		return nil, err
	}
	return f.Finish(ctx, res)
}

// OpenBrowser tries to open u in the desktop's browser; an error means the operator must
// open it by hand (the caller printed it first).
func OpenBrowser(u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() //nolint:errcheck // the browser's exit status says nothing about the login
	return nil
}

// FollowRedirects opens authURL with an HTTP client, following the authorization server's
// redirects to the callback: for an authorization server that approves without a person
// (the conformance suite's, and the tests').
func FollowRedirects(client *http.Client) func(ctx context.Context, authURL string) error {
	return func(ctx context.Context, authURL string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("open %s: %w", authURL, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("open the authorization URL: %s", resp.Status)
		}
		return nil
	}
}
