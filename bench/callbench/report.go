package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// report prints one table row per path and concurrency: the median over rounds of each
// figure, and the ratios against the direct path of the same concurrency.
func report(paths []path, concs []int, all map[string][]result) {
	fmt.Println("| path | clients | p50 | p99 | calls/s | vs direct | added p50 | gateway CPU/call | per process | server CPU/call |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, conc := range concs {
		direct := all[fmt.Sprintf("%s/%d", paths[0].name, conc)]
		d50, drate := medianDur(direct, func(r result) time.Duration { return r.pct(0.5) }), medianF(direct, result.rate)
		for _, p := range paths {
			rs := all[fmt.Sprintf("%s/%d", p.name, conc)]
			p50 := medianDur(rs, func(r result) time.Duration { return r.pct(0.5) })
			p99 := medianDur(rs, func(r result) time.Duration { return r.pct(0.99) })
			rate := medianF(rs, result.rate)
			added, ratio, cpu, per := "", "", "", ""
			if p.pids != nil {
				added = us(p50 - d50)
				ratio = fmt.Sprintf("%.2f×", rate/drate)
				cpu = us(medianDur(rs, result.cpuPerCall))
				per = perProcess(p.procs, rs)
			}
			fmt.Printf("| %s | %d | %s | %s | %.0f | %s | %s | %s | %s | %s |\n", p.name, conc, us(p50), us(p99), rate, ratio, added, cpu, per, serverCPU(rs))
		}
	}
}

// perProcess is the median CPU per call of each gateway process, e.g. "hub 210 / agent 95".
func perProcess(names []string, rs []result) string {
	var parts []string
	for i := range rs[0].cpu {
		d := medianDur(rs, func(r result) time.Duration { return r.cpu[i] / time.Duration(len(r.lat)) })
		parts = append(parts, names[i]+" "+fmt.Sprint(d.Microseconds()))
	}
	return strings.Join(parts, " / ")
}

// serverCPU is the median CPU per call of the stdio server, "-" when it was not measured.
func serverCPU(rs []result) string {
	for _, r := range rs {
		if r.server < 0 {
			return "-"
		}
	}
	return us(medianDur(rs, func(r result) time.Duration { return r.server / time.Duration(len(r.lat)) }))
}

func medianDur(rs []result, f func(result) time.Duration) time.Duration {
	v := make([]time.Duration, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[len(v)/2]
}

func medianF(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

func us(d time.Duration) string { return fmt.Sprintf("%d µs", d.Microseconds()) }

func cpuStr(r result) string {
	if len(r.cpu) == 0 {
		return "-"
	}
	return us(r.cpuPerCall())
}
