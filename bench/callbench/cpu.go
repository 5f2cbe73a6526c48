package main

import (
	"time"

	"github.com/mcp-gateway/mcp-gateway/bench/procstat"
)

// cpuMeter sums the CPU time of a set of processes between start and stop.
type cpuMeter struct {
	pids  []int
	begin []time.Duration
}

func (m *cpuMeter) start() error {
	m.begin = m.begin[:0]
	for _, pid := range m.pids {
		t, err := procstat.CPUTime(pid)
		if err != nil {
			return err
		}
		m.begin = append(m.begin, t)
	}
	return nil
}

// stop returns the CPU time used by each process since start.
func (m *cpuMeter) stop() ([]time.Duration, error) {
	used := make([]time.Duration, len(m.pids))
	for i, pid := range m.pids {
		t, err := procstat.CPUTime(pid)
		if err != nil {
			return nil, err
		}
		used[i] = t - m.begin[i]
	}
	return used, nil
}
