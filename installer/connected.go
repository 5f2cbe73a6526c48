package installer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"time"
)

// Connection is what a running agent says about its tunnel, through its control socket.
type Connection struct {
	State   string // connecting, connected, reconnecting, refused; "unknown" when not known
	Refusal string // the hub's reason, when refused
	HubURL  string
	Detail  string // why the state is unknown
}

// QueryTimeout bounds the control socket exchange.
const QueryTimeout = 2 * time.Second

// QueryConnection asks the agent listening on socketPath for a snapshot ({"op":"snapshot"},
// one JSON line each way). Any failure gives State "unknown" with the reason in Detail.
func QueryConnection(ctx context.Context, socketPath string) Connection {
	c, err := query(ctx, socketPath)
	if err != nil {
		return Connection{State: "unknown", Detail: err.Error()}
	}
	return c
}

func query(ctx context.Context, socketPath string) (Connection, error) {
	if _, err := os.Stat(socketPath); errors.Is(err, fs.ErrNotExist) {
		return Connection{}, fmt.Errorf("no control socket at %s (is the agent running?)", socketPath)
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socketPath)
	if err != nil {
		return Connection{}, fmt.Errorf("control socket %s: %w", socketPath, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write([]byte(`{"op":"snapshot"}` + "\n")); err != nil {
		return Connection{}, fmt.Errorf("control socket %s: %w", socketPath, err)
	}
	line, err := bufio.NewReaderSize(conn, 64<<10).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return Connection{}, fmt.Errorf("control socket %s: no answer: %w", socketPath, err)
	}
	return parseSnapshot(line)
}

type snapshotFields struct {
	State   string `json:"state"`
	Refusal string `json:"refusal"`
	HubURL  string `json:"hubUrl"`
	Error   string `json:"error"`
}

// parseSnapshot reads the state from a snapshot line, bare or wrapped in {"snapshot": …}.
func parseSnapshot(line []byte) (Connection, error) {
	var top struct {
		snapshotFields
		Snapshot *snapshotFields `json:"snapshot"`
	}
	if err := json.Unmarshal(line, &top); err != nil {
		return Connection{}, fmt.Errorf("control socket answer is not JSON: %w", err)
	}
	f := top.snapshotFields
	if top.Snapshot != nil {
		f = *top.Snapshot
	}
	if f.State == "" {
		if top.Error != "" {
			return Connection{}, fmt.Errorf("agent: %s", top.Error)
		}
		return Connection{}, errors.New("control socket answer has no state")
	}
	return Connection{State: f.State, Refusal: f.Refusal, HubURL: f.HubURL}, nil
}
