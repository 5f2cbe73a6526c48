package main

import (
	"runtime"
	"testing"
)

func TestSetProcs(t *testing.T) {
	was := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(was) })

	runtime.GOMAXPROCS(3)
	setProcs(func(string) string { return "3" })
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Errorf("GOMAXPROCS set in the environment: the agent changed it to %d", got)
	}
	setProcs(func(string) string { return "" })
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("no GOMAXPROCS in the environment: %d, want %d", got, procs)
	}
}
