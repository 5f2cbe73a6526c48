package profile

import (
	"os"
	"path/filepath"
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
