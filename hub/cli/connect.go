package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mcp-gateway/mcp-gateway/hub/clientconf"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
)

const connectUsage = `Usage: mcp-gateway-hub connect CLIENT [flags]

Prints the entry that points CLIENT at this hub's /mcp, or with --write merges it into the
client's own configuration file (a backup FILE.bak-<time> is kept; other entries are kept).

Clients: claude-desktop, claude-code, cursor, vscode, windsurf, codex, gemini, stdio
(docs/CLIENTS.md shows every entry and where each format comes from).

Flags:
`

// DefaultKeyEnv is the environment variable a client entry reads the MCP key from, where
// the client can read one. It is not MCPGW_KEY: that one holds the administrator's key for
// the admin commands, and an AI client should get a key of its own (keys create --name cursor).
const DefaultKeyEnv = "MCP_GATEWAY_KEY"

// connectOpts is a parsed connect command line.
type connectOpts struct {
	client, url, name, key, keyEnv, file string
	write, printOnly                     bool
}

var serverNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

func connectCmd(_ context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, connectUsage); fs.PrintDefaults() }
	var o connectOpts
	var configPath string
	fs.StringVar(&o.url, "url", "", "the hub's MCP endpoint (default: public_url + /mcp, else http://LISTEN/mcp)")
	fs.StringVar(&configPath, "config", "", "hub.toml to take public_url/listen from")
	fs.Var(secretFlag{&o.key}, "key", "write this key into the entry in clear (default: the entry reads --key-env)")
	fs.StringVar(&o.keyEnv, "key-env", DefaultKeyEnv, "environment variable the client reads the MCP key from")
	fs.StringVar(&o.name, "name", "mcp-gateway", "the server's name in the client")
	fs.BoolVar(&o.write, "write", false, "merge the entry into the client's configuration file")
	fs.StringVar(&o.file, "file", "", "the configuration file to write (default: the client's own)")
	fs.BoolVar(&o.printOnly, "print-only", false, "print the entry, write nothing (the default)")
	pfs := &flagSet{FlagSet: fs}
	if err := pfs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return ErrUsage
	}
	if pfs.NArg() != 1 {
		fs.Usage()
		return ErrUsage
	}
	o.client = pfs.Arg(0)
	c, ok := clientconf.Clients[o.client]
	if !ok {
		return fmt.Errorf("unknown client %q: one of %s: %w", o.client, strings.Join(clientconf.Names(), ", "), ErrUsage)
	}
	if o.write && o.printOnly {
		return fmt.Errorf("--write and --print-only exclude each other: %w", ErrUsage)
	}
	if !serverNameRE.MatchString(o.name) {
		return fmt.Errorf("--name %q: a letter, then letters, digits, '-' or '_' (64 at most): %w", o.name, ErrUsage)
	}
	if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(o.keyEnv) {
		return fmt.Errorf("--key-env %q is not an environment variable name: %w", o.keyEnv, ErrUsage)
	}
	if o.url == "" {
		u, err := defaultMCPURL(configPath)
		if err != nil {
			return err
		}
		o.url = u
	}
	if err := checkMCPURL(o.url); err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	e, err := c.Build(clientconf.Opts{URL: o.url, Name: o.name, Write: o.write}, clientconf.KeyRef{Literal: o.key, Env: o.keyEnv})
	if errors.Is(err, clientconf.ErrNoKey) {
		return fmt.Errorf("%w: %w", err, ErrUsage)
	}
	if err != nil {
		return err
	}
	if pu, _ := url.Parse(o.url); pu.Scheme == "http" && !clientconf.IsLoopbackHost(pu.Hostname()) {
		fmt.Fprintf(env.Stderr, "warning: %s is plain HTTP beyond this machine: the key crosses the network in clear (set public_url to an https:// address)\n", o.url)
	}
	if !o.write {
		out, err := e.Snippet(o.name)
		if err != nil {
			return err
		}
		env.Stdout.Write(out)
		if c.Path != nil {
			fmt.Fprintf(env.Stderr, "%s: merge this into %s (or run with --write)\n", c.Title, c.Path("~", "."))
		}
		if e.Embeds {
			fmt.Fprintln(env.Stderr, "warning: this entry contains the key in clear")
		}
		for _, h := range e.Hints {
			fmt.Fprintln(env.Stderr, h)
		}
		return nil
	}
	path := o.file
	if path == "" {
		if c.Path == nil {
			return fmt.Errorf("%s has no configuration file of its own: pass --file FILE: %w", o.client, ErrUsage)
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("find the home directory: %w", err)
		}
		cwd, err := os.Getwd()
		if err != nil {
			return err
		}
		path = c.Path(home, cwd)
	}
	res, err := mergeConfigFile(path, o.name, e, time.Now())
	if err != nil {
		return err
	}
	switch {
	case res.unchanged:
		fmt.Fprintf(env.Stdout, "%s is already up to date (%q)\n", path, o.name)
	case res.backup != "":
		fmt.Fprintf(env.Stdout, "wrote %q into %s (backup: %s)\n", o.name, path, res.backup)
	default:
		fmt.Fprintf(env.Stdout, "wrote %q into %s (new file)\n", o.name, path)
	}
	if res.commentsLost {
		fmt.Fprintf(env.Stderr, "warning: %s was rewritten as a whole to replace the entry: its comments are only in the backup\n", path)
	}
	if e.Embeds {
		fmt.Fprintf(env.Stderr, "warning: the key is written in clear into %s (file mode 0600); use --key-env where the client can read the environment\n", path)
	}
	for _, h := range e.Hints {
		fmt.Fprintln(env.Stderr, h)
	}
	return nil
}

// defaultMCPURL is public_url + /mcp, else http://LISTEN/mcp with an unspecified host as
// 127.0.0.1.
func defaultMCPURL(configPath string) (string, error) {
	c, err := config.Load(configPath)
	if err != nil {
		return "", err
	}
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/") + "/mcp", nil
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return "", fmt.Errorf("listen %q: want host:port", c.Listen)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/mcp", nil
}

func checkMCPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%q: want http(s)://HOST[:PORT]/mcp", s)
	}
	return nil
}

type mergeResult struct {
	backup       string
	unchanged    bool
	commentsLost bool
}

// mergeConfigFile puts the entry into the file at path, keeping every other setting. A file
// that does not parse is refused and left as it is; a changed file is first copied to
// path.bak-<UTC time>; a file that already holds the entry is not touched.
func mergeConfigFile(path, name string, e clientconf.Entry, now time.Time) (mergeResult, error) {
	var res mergeResult
	// A configuration file kept as a symlink (dotfiles) is written through the link, not
	// replaced by a regular file.
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("read %s: %w", path, err)
	}
	var out []byte
	if e.Format == "toml" {
		out, res.unchanged, res.commentsLost, err = mergeTOML(path, old, name, e)
	} else {
		out, res.unchanged, err = mergeJSON(path, old, name, e)
	}
	if err != nil || res.unchanged {
		return res, err
	}
	mode := os.FileMode(0o600)
	if exists {
		if fi, err := os.Stat(path); err == nil && !e.Embeds {
			mode = fi.Mode().Perm()
		}
		res.backup = path + ".bak-" + now.UTC().Format("20060102T150405Z")
		for i := 2; ; i++ { // never replace an earlier backup made in the same second
			if _, err := os.Lstat(res.backup); errors.Is(err, os.ErrNotExist) {
				break
			}
			res.backup = fmt.Sprintf("%s.bak-%s-%d", path, now.UTC().Format("20060102T150405Z"), i)
		}
		if err := writeFileAtomic(res.backup, old, 0o600); err != nil {
			return res, fmt.Errorf("back up %s: %w", path, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return res, err
	}
	if err := writeFileAtomic(path, out, mode); err != nil {
		return res, fmt.Errorf("write %s: %w", path, err)
	}
	return res, nil
}

func mergeJSON(path string, old []byte, name string, e clientconf.Entry) ([]byte, bool, error) {
	doc := map[string]any{}
	if len(bytes.TrimSpace(old)) > 0 {
		if err := json.Unmarshal(old, &doc); err != nil {
			return nil, false, fmt.Errorf("%s is not valid JSON (%v): not overwritten; fix it or pass --file", path, err)
		}
		if doc == nil {
			doc = map[string]any{}
		}
	}
	servers, _ := doc[e.Container].(map[string]any)
	if v, ok := doc[e.Container]; ok && servers == nil {
		return nil, false, fmt.Errorf("%s: %q is a %T, not an object: not overwritten", path, e.Container, v)
	}
	if servers == nil {
		servers = map[string]any{}
	}
	before, _ := json.Marshal(doc)
	servers[name] = e.Entry
	doc[e.Container] = servers
	if len(e.Inputs) > 0 {
		list, ok := doc["inputs"].([]any)
		if v, present := doc["inputs"]; present && !ok {
			return nil, false, fmt.Errorf("%s: \"inputs\" is a %T, not a list: not overwritten", path, v)
		}
		for _, in := range e.Inputs {
			id := in.(map[string]any)["id"]
			replaced := false
			for i, have := range list {
				if m, ok := have.(map[string]any); ok && m["id"] == id {
					list[i], replaced = in, true
				}
			}
			if !replaced {
				list = append(list, in)
			}
		}
		doc["inputs"] = list
	}
	after, _ := json.Marshal(doc)
	if bytes.Equal(before, after) {
		return nil, true, nil
	}
	out, err := clientconf.MarshalJSON(doc)
	return out, false, err
}

// mergeTOML appends the entry's table to the file's text when the file has no entry of that
// name (comments and layout stay); it re-encodes the whole file only to replace an entry.
func mergeTOML(path string, old []byte, name string, e clientconf.Entry) (out []byte, unchanged, commentsLost bool, err error) {
	doc := map[string]any{}
	if _, err := toml.Decode(string(old), &doc); err != nil {
		return nil, false, false, fmt.Errorf("%s is not valid TOML (%v): not overwritten; fix it or pass --file", path, err)
	}
	servers, _ := doc[e.Container].(map[string]any)
	if v, ok := doc[e.Container]; ok && servers == nil {
		return nil, false, false, fmt.Errorf("%s: %q is a %T, not a table: not overwritten", path, e.Container, v)
	}
	if have, ok := servers[name]; ok {
		if reflect.DeepEqual(have, e.Entry) {
			return nil, true, false, nil
		}
		servers[name] = e.Entry
		return encodeTOML(doc)
	}
	block, err := e.Snippet(name)
	if err != nil {
		return nil, false, false, err
	}
	text := append([]byte{}, old...)
	if len(text) > 0 && !bytes.HasSuffix(text, []byte("\n")) {
		text = append(text, '\n')
	}
	if len(text) > 0 {
		text = append(text, '\n')
	}
	text = append(text, block...)
	// TOML does not let a [table] extend an inline table (mcp_servers = { … }); the parser
	// here is lenient about that, Codex's is not: such a file is re-encoded instead.
	inline := regexp.MustCompile(`(?m)^\s*["']?` + regexp.QuoteMeta(e.Container) + `["']?\s*=`).Match(old)
	check := map[string]any{}
	if _, err := toml.Decode(string(text), &check); err == nil && !inline {
		if s, _ := check[e.Container].(map[string]any); s != nil && reflect.DeepEqual(s[name], e.Entry) {
			return text, false, false, nil
		}
	}
	if servers == nil {
		servers = map[string]any{}
	}
	servers[name] = e.Entry
	doc[e.Container] = servers
	return encodeTOML(doc)
}

func encodeTOML(doc map[string]any) ([]byte, bool, bool, error) {
	var b bytes.Buffer
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(doc); err != nil {
		return nil, false, false, err
	}
	return b.Bytes(), false, true, nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it over path, so a
// reader (the client) never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
