package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartWritesProfileOnlyWhenAsked(t *testing.T) {
	stop, err := Start(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	stop()

	path := filepath.Join(t.TempDir(), "cpu.pprof")
	stop, err = Start(func(k string) (string, bool) { return path, k == EnvCPU })
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1e6; i++ {
		_ = filepath.Base(path)
	}
	stop()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() == 0 {
		t.Fatal("empty profile")
	}
}

func TestStartReportsUnwritablePath(t *testing.T) {
	_, err := Start(func(string) (string, bool) { return filepath.Join(t.TempDir(), "no", "such", "dir", "p"), true })
	if err == nil {
		t.Fatal("no error for a profile path in a missing directory")
	}
}

// TestStartWritesTraceWhenAsked: MCPGW_TRACEFILE alone writes an execution trace (and no
// CPU profile); an unwritable trace path is an error naming it.
func TestStartWritesTraceWhenAsked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.trace")
	stop, err := Start(func(k string) (string, bool) { return path, k == EnvTrace })
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1e5; i++ {
		_ = filepath.Base(path)
	}
	stop()
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("trace file: %v, %v", st, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files written: %v, want the trace only", entries)
	}
	bad := filepath.Join(dir, "no", "such", "dir", "t")
	if _, err := Start(func(k string) (string, bool) { return bad, k == EnvTrace }); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("unwritable trace path: %v", err)
	}
}

// TestStartWritesAllocationProfileWhenAsked: MCPGW_MEMPROFILE alone writes an allocation
// profile at stop.
func TestStartWritesAllocationProfileWhenAsked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allocs.pprof")
	stop, err := Start(func(k string) (string, bool) { return path, k == EnvMem })
	if err != nil {
		t.Fatal(err)
	}
	var keep [][]byte
	for i := 0; i < 1000; i++ {
		keep = append(keep, make([]byte, 4096))
	}
	_ = keep
	stop()
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("allocation profile: %v, %v", st, err)
	}
}
