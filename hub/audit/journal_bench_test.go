//go:build unix

package audit

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// BenchmarkJournalAppend is a journal write of one record of a typical call (≈ 1.1 KiB),
// with segments written with write(2) or mapped: cpu-ns/op is this process's user+system
// CPU per record, page faults and the kernel's page-cache work included.
func BenchmarkJournalAppend(b *testing.B) {
	ev := &store.AuditEvent{ID: "01J0000000000000000000000", Kind: "call", UserID: "usr_0123456789abcdef",
		Tool: "create_issue", Request: fmt.Sprintf("%0900d", 0)}
	rec, err := appendRecord(nil, ev)
	if err != nil {
		b.Fatal(err)
	}
	for _, mapped := range []bool{false, true} {
		b.Run(map[bool]string{false: "write", true: "mapped"}[mapped], func(b *testing.B) {
			j, err := openJournal(b.TempDir(), false, 16<<20, mapped)
			if err != nil {
				b.Fatal(err)
			}
			defer j.close()
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			for b.Loop() {
				if err := j.append(rec, nil); err != nil {
					b.Fatal(err)
				}
			}
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(ru1.Minflt-ru0.Minflt)/float64(b.N), "faults/op")
		})
	}
}
