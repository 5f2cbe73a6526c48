// Package profile writes a CPU profile of a whole process run when the environment asks for
// one (MCPGW_CPUPROFILE=FILE), so that benchmarks can show where a hub's or an agent's time
// goes under real load, in their own processes. Off by default; costs nothing when off.
package profile

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// EnvCPU names the file the CPU profile is written to.
const EnvCPU = "MCPGW_CPUPROFILE"

// Start begins a CPU profile if lookup(EnvCPU) names a file. The returned stop writes it
// out; call it when the process's work is done. Without the variable, stop does nothing.
func Start(lookup func(string) (string, bool)) (stop func(), err error) {
	path, ok := lookup(EnvCPU)
	if !ok || path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
