package server_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	mcpgw "github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// mountSmallDisk mounts an 8 MiB tmpfs on dir (a real file system that fills up), or skips
// the test where mounting needs privileges the test does not have.
func mountSmallDisk(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a real full disk needs root to mount a small tmpfs")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i*7 + 1)
	}
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			break
		}
	}
	for _, n := range []int{4096, 512, 1} { // the last partial pages too
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
}

// TestFullDiskRefusesCallsBeforeTheBackend fills the real file system under the audit
// journal: every call either runs and is in the audit trail, or is refused with
// CodeAuditUnavailable without reaching the backend; /readyz and the metrics say so; when
// space is freed the hub admits calls again by itself.
func TestFullDiskRefusesCallsBeforeTheBackend(t *testing.T) {
	data := t.TempDir()
	journal := filepath.Join(data, "audit")
	if err := os.Mkdir(journal, 0o700); err != nil {
		t.Fatal(err)
	}
	mountSmallDisk(t, journal)
	var ran atomic.Int64
	h := startCountingHub(t, &ran, func(c *config.Config) {
		c.DataDir = data // the store stays on the big disk: only the journal's fills up
	})
	c := &http.Client{}
	sid := initialize(t, c, h, h.OwnerKey)
	callOnce := func(i int) (code int, msg string, data map[string]any) {
		body := rpc(t, c, h, h.OwnerKey, sid, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"disk__count","arguments":{}}}`, i))
		code, msg, data = rpcError(t, body)
		if code == 0 && !strings.Contains(body, `"result"`) {
			t.Fatalf("call %d: neither result nor error: %s", i, body)
		}
		return code, msg, data
	}
	if code, msg, _ := callOnce(1); code != 0 {
		t.Fatalf("call before the disk filled: %d %s", code, msg)
	}
	if status, body := get(t, h.URL+"/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz before the disk filled: %d %s", status, body)
	}

	filler := filepath.Join(journal, "filler")
	fill(t, filler)
	// Calls until the journal notices (the first records may still fit in a page the
	// journal's file already holds). None may run without its event.
	refused := 0
	for i := 2; i < 500 && refused == 0; i++ {
		before := ran.Load()
		switch code, msg, data := callOnce(i); code {
		case 0:
		case mcpgw.CodeAuditUnavailable:
			if data["reason"] != "journal" || !strings.Contains(msg, "no space left on device") || strings.Contains(msg, journal) {
				t.Fatalf("refusal: %s %v; want reason journal, ENOSPC named, no path", msg, data)
			}
			if ran.Load() != before {
				t.Fatal("a refused call reached the backend")
			}
			refused++
		default:
			t.Fatalf("call %d on a full disk: %d %s; want a result or %d", i, code, msg, mcpgw.CodeAuditUnavailable)
		}
	}
	if refused == 0 {
		t.Fatal("500 calls on a full disk and none refused")
	}
	before := ran.Load()
	if code, _, _ := callOnce(1000); code != mcpgw.CodeAuditUnavailable || ran.Load() != before {
		t.Fatalf("the next call: code %d, backend ran %d times (was %d)", code, ran.Load(), before)
	}
	status, body := get(t, h.URL+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "audit journal cannot be written (no space left on device)") {
		t.Fatalf("/readyz on a full disk: %d %s", status, body)
	}
	if v := metric(t, h, `mcpgw_audit_refused_calls_total{reason="journal"}`); v < 2 {
		t.Errorf("mcpgw_audit_refused_calls_total{reason=\"journal\"} = %v, want ≥ 2", v)
	}
	if v := metric(t, h, "mcpgw_audit_journal_up"); v != 0 {
		t.Errorf("mcpgw_audit_journal_up = %v on a full disk", v)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for status, body = get(t, h.URL+"/readyz"); status != http.StatusOK; status, body = get(t, h.URL+"/readyz") {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after space was freed: %d %s", status, body)
		}
		time.Sleep(50 * time.Millisecond) // the probe runs at most once a second: poll
	}
	if code, msg, _ := callOnce(2000); code != 0 {
		t.Fatalf("call after space was freed: %d %s", code, msg)
	}
	if v := metric(t, h, "mcpgw_audit_journal_up"); v != 1 {
		t.Errorf("mcpgw_audit_journal_up = %v after recovery", v)
	}

	// Every run of the tool is in the audit trail, as a successful call.
	evs := auditEvents(t, h, "disk__count")
	ok := 0
	for _, ev := range evs {
		if ev.Status == "ok" && ev.Kind == store.AuditCall {
			ok++
		}
	}
	if int64(ok) != ran.Load() || len(evs) != ok {
		t.Fatalf("the backend ran %d times; the audit trail has %d events, %d of them ok calls", ran.Load(), len(evs), ok)
	}
}
