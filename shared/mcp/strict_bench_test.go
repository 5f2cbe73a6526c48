//go:build unix

package mcp

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time the process has used: on a shared machine it measures the
// work of a benchmark where wall time measures the neighbours too.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchParse runs parse on a typical tools/call and reports its CPU time per call beside
// the wall time.
func benchParse(b *testing.B, parse func([]byte) (any, error)) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchCall)))
	start := processCPU()
	for b.Loop() {
		if _, err := parse(benchCall); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkStrictParse: the cost of refusing duplicate keys, invalid UTF-8 and lone
// surrogates (issue 10 items 9, 10) is the difference between the two.
func BenchmarkStrictParse(b *testing.B) {
	b.Run("ParseMessage", func(b *testing.B) {
		benchParse(b, func(m []byte) (any, error) { return ParseMessage(m) })
	})
	b.Run("ParseClientMessage", func(b *testing.B) {
		benchParse(b, func(m []byte) (any, error) { return ParseClientMessage(m) })
	})
}
