package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
)

// DefaultHub is where the admin commands find the hub's REST API without --hub.
const DefaultHub = "http://127.0.0.1:3200"

// remote is a REST API client for the admin commands.
type remote struct {
	hub, key string
	json     bool // print raw JSON instead of tables
	env      Env
	http     *http.Client
}

// remoteFlags registers --hub, --key and --json on fs.
func remoteFlags(fs *flag.FlagSet, env Env) *remote {
	r := &remote{env: env, http: &http.Client{Timeout: 60 * time.Second}}
	hub := os.Getenv("MCPGW_HUB")
	if hub == "" {
		hub = DefaultHub
	}
	fs.StringVar(&r.hub, "hub", hub, "the hub's base URL (env MCPGW_HUB)")
	// Not a flag default: usage messages print defaults, and this one is a secret.
	r.key = os.Getenv("MCPGW_KEY")
	fs.Var(secretFlag{&r.key}, "key", "API key or access token (default: env MCPGW_KEY)")
	fs.BoolVar(&r.json, "json", false, "print the API's JSON")
	return r
}

// secretFlag is a string flag whose value is never shown (flag usage prints String()).
type secretFlag struct{ p *string }

func (f secretFlag) String() string { return "" }

func (f secretFlag) Set(v string) error { *f.p = v; return nil }

// remoteMode reports whether keys/agents commands should use the REST API: when --hub or
// --key is given, or MCPGW_KEY is set, and no store flag (--config, --data-dir,
// --database-url) asks for the offline store.
func remoteMode(args []string) bool {
	has := func(name string) bool {
		for _, a := range args {
			if a == "--"+name || a == "-"+name || strings.HasPrefix(a, "--"+name+"=") || strings.HasPrefix(a, "-"+name+"=") {
				return true
			}
		}
		return false
	}
	if has("config") || has("data-dir") || has("database-url") {
		return false
	}
	return has("hub") || has("key") || os.Getenv("MCPGW_KEY") != ""
}

// apiError is a non-2xx answer of the hub.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("hub answered %d %s: %s", e.Status, e.Code, e.Message)
}

// do sends a request to /api/v1+path and returns the body of a 2xx answer.
func (r *remote) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	if err := r.needKey(); err != nil {
		return nil, err
	}
	return r.send(ctx, method, path, body)
}

// stream sends a GET and copies a 2xx answer's body to w as it arrives (audit export).
func (r *remote) stream(ctx context.Context, path string, w io.Writer) error {
	if err := r.needKey(); err != nil {
		return err
	}
	client := *r.http
	client.Timeout = 0 // an export may take long; ctx still ends it
	resp, err := r.request(ctx, &client, "GET", path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

func (r *remote) needKey() error {
	if r.key == "" {
		return fmt.Errorf("no credentials: pass --key or set MCPGW_KEY (an API key or access token): %w", ErrUsage)
	}
	return nil
}

// decodeAPIError turns a non-2xx answer into an *apiError.
func decodeAPIError(status int, raw []byte) error {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
		return &apiError{Status: status, Code: "http", Message: strings.TrimSpace(string(raw))}
	}
	return &apiError{Status: status, Code: e.Error.Code, Message: e.Error.Message}
}

// send is do without requiring credentials (for login).
func (r *remote) send(ctx context.Context, method, path string, body any) ([]byte, error) {
	resp, err := r.request(ctx, r.http, method, path, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read the hub's answer: %w", err)
	}
	return raw, nil
}

// request sends method /api/v1+path with body as JSON (nil: none) and the credential, if
// any. It returns a 2xx response, whose body the caller closes; any other is an *apiError.
func (r *remote) request(ctx context.Context, client *http.Client, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(r.hub, "/")+api.Prefix+path, rd)
	if err != nil {
		return nil, fmt.Errorf("hub URL %q: %w", r.hub, err)
	}
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the hub at %s: %w", r.hub, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		raw, _ := readAll(resp.Body)
		return nil, decodeAPIError(resp.StatusCode, raw)
	}
	return resp, nil
}

// show prints an answer: raw JSON with --json, else a table of items (lists) or the
// object's fields.
func (r *remote) show(raw []byte, cols ...string) error {
	if r.json || len(raw) == 0 {
		_, err := r.env.Stdout.Write(raw)
		return err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("the hub's answer is not JSON: %w", err)
	}
	obj, _ := v.(map[string]any)
	if items, ok := obj["items"].([]any); ok && len(cols) > 0 {
		return r.table(items, cols)
	}
	tw := tabwriter.NewWriter(r.env.Stdout, 2, 4, 2, ' ', 0)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(tw, "%s:\t%s\n", k, cell(obj[k]))
	}
	return tw.Flush()
}

func (r *remote) table(items []any, cols []string) error {
	tw := tabwriter.NewWriter(r.env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, it := range items {
		m, _ := it.(map[string]any)
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = cell(m[c])
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return x
	case bool, float64:
		return fmt.Sprint(x)
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

// query builds "?k=v&…" from the non-empty values.
func query(kv map[string]string) string {
	q := url.Values{}
	for k, v := range kv {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// pathEscape escapes one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }
