package backend

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	stopGrace     = 2 * time.Second // SIGTERM to the group, then SIGKILL
	maxStderrLine = 4096            // longer stderr lines are cut
)

// process is the stdio server's process group.
type process struct {
	cmd    *exec.Cmd
	stderr *lineLogger
}

// dialStdio starts the server in its own process group with a clean environment.
// mcp.CommandTransport gives the Connection; its Close only signals the leader, so stop
// takes care of the rest of the group (npx, for one, runs the server as a child of node).
func (b *Backend) dialStdio(ctx context.Context) (mcp.Connection, *process, error) {
	cmd := exec.Command(b.cfg.Command, b.cfg.Args...)
	cmd.Env = cleanEnv(os.LookupEnv, baseEnvKeys(), b.cfg.Env)
	cmd.Dir = b.cfg.Cwd
	cmd.WaitDelay = stopGrace // do not wait forever for stderr held open by an escaped child
	setProcessGroup(cmd)
	lw := &lineLogger{log: b.log}
	cmd.Stderr = lw
	t := &mcp.CommandTransport{Command: cmd, TerminateDuration: stopGrace}
	conn, err := t.Connect(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", b.cfg.Command, err)
	}
	return conn, &process{cmd: cmd, stderr: lw}, nil
}

// stop ends the whole process group: SIGTERM, closing stdin (conn.Close, which also reaps
// the leader), and SIGKILL for whatever is left after stopGrace. It returns how the leader
// exited.
func (p *process) stop(conn mcp.Connection) error {
	pid := p.cmd.Process.Pid
	deadline := time.Now().Add(stopGrace)
	signalGroup(p.cmd.Process, pid, sigTerm)
	closed := make(chan error, 1)
	go func() { closed <- conn.Close() }() // returns once the leader is reaped
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	var err error
	reaped := false
	select {
	case err = <-closed:
		reaped = true
	case <-timer.C:
	}
	// The leader may be gone while its children still handle SIGTERM: same grace for them.
	for reaped && groupAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	signalGroup(p.cmd.Process, pid, sigKill)
	if !reaped {
		err = <-closed
	}
	p.stderr.flush()
	return err
}

// cleanEnv builds a stdio server's environment: the keys from the agent's own environment
// (PATH and HOME; a few more on Windows, which cannot start programs without them) and the
// configured variables, which win. Sorted, for stable logs and tests.
func cleanEnv(lookup func(string) (string, bool), keys []string, extra map[string]string) []string {
	env := make(map[string]string, len(keys)+len(extra))
	for _, k := range keys {
		if v, ok := lookup(k); ok {
			env[k] = v
		}
	}
	for k, v := range extra {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// lineLogger logs a server's stderr line by line, cutting long lines, and remembers the
// last line for the failure message.
type lineLogger struct {
	log  *slog.Logger
	mu   sync.Mutex
	buf  []byte
	cut  bool // the current line was longer than maxStderrLine
	last string
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := maxStderrLine - len(l.buf); len(chunk) > room {
			chunk, l.cut = chunk[:room], true
		}
		l.buf = append(l.buf, chunk...)
		if i < 0 {
			break
		}
		l.emitLocked()
		p = p[i+1:]
	}
	return n, nil
}

func (l *lineLogger) emitLocked() {
	line := string(bytes.TrimRight(l.buf, "\r"))
	if l.cut {
		line += " …(cut)"
	}
	l.buf, l.cut = l.buf[:0], false
	if line == "" {
		return
	}
	l.last = line
	l.log.Info("server stderr", "line", line)
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emitLocked()
	}
}

func (l *lineLogger) lastLine() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}
