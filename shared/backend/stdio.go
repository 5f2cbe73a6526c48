package backend

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	stopGrace     = 2 * time.Second        // SIGTERM to the group, then SIGKILL
	exitDrain     = 200 * time.Millisecond // after the leader's exit, for its last output
	maxStderrLine = 4096                   // longer stderr lines are cut
)

// process is the stdio server's process group and our ends of its pipes. The pipes are
// *os.File, so exec starts no copy goroutines and cmd.Wait returns when the leader exits,
// even while a child it started still holds stdout or stderr open.
type process struct {
	cmd    *exec.Cmd
	mark   string // markEnv=token in the environment of the server and its descendants
	stderr *lineLogger
	stdin  *os.File // our ends
	stdout *os.File
	errOut *os.File

	exited     chan struct{} // closed when the leader has exited and been reaped
	waitErr    error         // how it exited; written before exited is closed
	waited     chan struct{} // the waiter goroutine has returned
	stderrDone chan struct{} // the stderr copier has returned
	readDone   chan struct{} // the connection's reader has stopped reading
	readOnce   sync.Once
	closeOnce  sync.Once
}

// dialStdio starts the server in its own process group with a clean environment, and
// returns the connection to it.
func (b *Backend) dialStdio(context.Context) (mcp.Connection, *process, error) {
	cmd := exec.Command(b.cfg.Command, b.cfg.Args...)
	cmd.Env = cleanEnv(os.LookupEnv, baseEnvKeys(), b.cfg.Env)
	mark := newMark()
	cmd.Env = append(cmd.Env, mark)
	cmd.Dir = b.cfg.Cwd
	setProcessGroup(cmd)
	becomeSubreaper()
	p, err := startProcess(cmd, &lineLogger{log: b.log})
	if err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", b.cfg.Command, err)
	}
	p.mark = mark
	return newStdioConn(b.cfg.Name, b.log, p, b.cfg.maxMessageBytes(), &b.lines), p, nil
}

// startProcess starts cmd on three fresh pipes and the goroutines that watch it: one waits
// for the leader, one copies stderr to the log.
func startProcess(cmd *exec.Cmd, stderr *lineLogger) (*process, error) {
	var ends [6]*os.File // child stdin, ours; ours stdout, child; ours stderr, child
	for i := 0; i < 6; i += 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(ends[:i])
			return nil, err
		}
		ends[i], ends[i+1] = r, w
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = ends[0], ends[3], ends[5]
	err := cmd.Start()
	closeAll([]*os.File{ends[0], ends[3], ends[5]}) // the child has its copies
	if err != nil {
		closeAll([]*os.File{ends[1], ends[2], ends[4]})
		return nil, err
	}
	p := &process{cmd: cmd, stderr: stderr, stdin: ends[1], stdout: ends[2], errOut: ends[4],
		exited: make(chan struct{}), waited: make(chan struct{}),
		stderrDone: make(chan struct{}), readDone: make(chan struct{})}
	go p.wait()
	go func() {
		defer close(p.stderrDone)
		_, _ = io.Copy(p.stderr, p.errOut)
	}()
	return p, nil
}

// markEnv names the environment variable that marks a stdio server and its descendants
// with a token of their own, so that stop finds the ones that left the process group.
const markEnv = "MCP_GATEWAY_SUPERVISED"

// newMark returns a fresh markEnv=token entry.
func newMark() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return markEnv + "=" + hex.EncodeToString(b[:])
}

// signalMarked signals every live process that carries the mark, apart from the leader
// (signalled through its group). It returns the pids it signalled.
func (p *process) signalMarked(sig os.Signal) []int {
	if p.mark == "" {
		return nil
	}
	var out []int
	for _, pid := range marked(p.mark) {
		if pid == p.cmd.Process.Pid {
			continue
		}
		if proc, err := os.FindProcess(pid); err == nil && proc.Signal(sig) == nil {
			out = append(out, pid)
		}
	}
	return out
}

// reapStrays kills what is left of the server's descendants outside its process group
// (termed: those already sent SIGTERM) and reaps those that were re-parented to us
// (becomeSubreaper), as well as exited members of the group that became ours, so that a
// server which starts a child with setsid and exits leaves neither a process nor a zombie
// behind, however often it is restarted.
func (p *process) reapStrays(termed []int) {
	pid := p.cmd.Process.Pid
	signalled := termed
	deadline := time.Now().Add(stopGrace)
	for {
		killed := p.signalMarked(os.Kill)
		signalled = append(signalled, killed...)
		if len(killed) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // killed but not yet gone
	}
	slices.Sort(signalled)
	for _, k := range append(slices.Compact(signalled), adoptedZombies(pid, pid)...) {
		if childOf(k) {
			if proc, err := os.FindProcess(k); err == nil {
				_, _ = proc.Wait()
			}
		}
	}
}

func closeAll(files []*os.File) {
	for _, f := range files {
		if f != nil {
			_ = f.Close()
		}
	}
}

// wait notices the leader's exit. The reader gets a moment for what the server wrote
// before exiting; then stdout is closed under it, because a child that inherited stdout
// may hold the pipe open for ever, and the reader's error fails the session at once.
func (p *process) wait() {
	defer close(p.waited)
	p.waitErr = p.cmd.Wait()
	close(p.exited)
	t := time.NewTimer(exitDrain)
	defer t.Stop()
	select {
	case <-p.readDone:
	case <-t.C:
	}
	_ = p.stdout.Close()
}

func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// readEnded is called by the connection when its reader stops.
func (p *process) readEnded() { p.readOnce.Do(func() { close(p.readDone) }) }

// closePipes closes our ends of stdin and stdout, which ends a Read in progress.
func (p *process) closePipes() {
	p.closeOnce.Do(func() { closeAll([]*os.File{p.stdin, p.stdout}) })
}

// stop ends the whole process group: SIGTERM and EOF on stdin, and SIGKILL for whatever is
// left after stopGrace. It returns how the leader exited, once every goroutine watching
// the process has returned.
func (p *process) stop() error {
	pid := p.cmd.Process.Pid
	deadline := time.Now().Add(stopGrace)
	signalGroup(p.cmd.Process, pid, sigTerm)
	termed := p.signalMarked(sigTerm)
	_ = p.stdin.Close()
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-p.exited:
		// The leader is gone; its children may still be handling SIGTERM: same grace.
		for groupAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	case <-timer.C:
	}
	signalGroup(p.cmd.Process, pid, sigKill)
	<-p.exited
	p.reapStrays(termed)
	p.closePipes()
	<-p.waited
	// Stderr ends when the last process holding it is gone; one outside the group that
	// dropped the mark from its environment is not waited for.
	t := time.NewTimer(exitDrain)
	defer t.Stop()
	select {
	case <-p.stderrDone:
	case <-t.C:
		_ = p.errOut.Close()
		t.Reset(exitDrain)
		select {
		case <-p.stderrDone:
		case <-t.C: // Windows: Close does not end a blocked pipe read; the copier ends with the pipe
		}
	}
	_ = p.errOut.Close()
	p.stderr.flush()
	return p.waitErr
}

// NetworkEnv are the proxy and CA variables a stdio server inherits besides PATH and HOME, so
// that a server fetched or run behind a corporate proxy (npx, uvx, pip, curl, Go) reaches
// the network as the agent does. They name a proxy or a trust store, not a secret the
// server should not have; a proxy URL with a password in it is passed on too (set the
// variable to "" in the backend's env to withhold it).
var NetworkEnv = []string{
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT",
}

// cleanEnv builds a stdio server's environment: the keys from the agent's own environment
// (PATH, HOME and NetworkEnv; a few more on Windows, which cannot start programs without
// them) and the configured variables, which win. Sorted, for stable logs and tests.
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
