// Package profile writes a CPU profile (MCPGW_CPUPROFILE=FILE), an allocation profile
// (MCPGW_MEMPROFILE=FILE) or an execution trace (MCPGW_TRACEFILE=FILE) of a whole process
// run when the environment asks for one, so that
// benchmarks can show where a hub's or an agent's time goes under real load, in their own
// processes: the profile where the CPU goes, the trace where a call waits (`go tool trace
// -pprof=sched FILE` is the time goroutines were ready to run but had no thread). Off by
// default; costs nothing when off.
package profile

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// EnvCPU names the file the CPU profile is written to.
const EnvCPU = "MCPGW_CPUPROFILE"

// EnvTrace names the file the execution trace is written to.
const EnvTrace = "MCPGW_TRACEFILE"

// EnvMem names the file the allocation profile (every allocation since the start, sampled
// at the runtime's default rate) is written to when the process stops.
const EnvMem = "MCPGW_MEMPROFILE"

// Start begins a CPU profile if lookup(EnvCPU) names a file, an execution trace if
// lookup(EnvTrace) does, and an allocation profile if lookup(EnvMem) does. The returned
// stop writes them out; call it when the process's work is done. Without the variables,
// stop does nothing.
func Start(lookup func(string) (string, bool)) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, s := range stops {
			s()
		}
	}
	for _, w := range []struct {
		env, what string
		begin     func(io.Writer) error // nil: nothing to begin
		end       func(*os.File)
	}{
		{EnvCPU, "cpu profile", pprof.StartCPUProfile, func(*os.File) { pprof.StopCPUProfile() }},
		{EnvTrace, "execution trace", trace.Start, func(*os.File) { trace.Stop() }},
		{EnvMem, "allocation profile", nil, func(f *os.File) { _ = pprof.Lookup("allocs").WriteTo(f, 0) }},
	} {
		path, ok := lookup(w.env)
		if !ok || path == "" {
			continue
		}
		f, err := os.Create(path)
		if err == nil && w.begin != nil {
			if err = w.begin(f); err != nil {
				f.Close()
			}
		}
		if err != nil {
			stop()
			return nil, fmt.Errorf("%s %s: %w", w.what, path, err)
		}
		stops = append(stops, func() { w.end(f); f.Close() })
	}
	return stop, nil
}
