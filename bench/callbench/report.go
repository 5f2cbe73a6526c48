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

// Names of the paths targets compares; a mesh's two are prefixed with its label. Under
// -http they say HTTP where they say stdio (httpNames).
var (
	pathDirect    = "direct stdio"
	pathHubLocal  = "hub, hub-local stdio backend"
	pathAgent     = "hub → tunnel → agent → stdio"
	pathStateless = "stateless client, hub → agent → stdio"
	pathPeer      = "peer proxy (TBXark/mcp-proxy) → stdio"
	pathFloor2    = "floor: bare relay → WebSocket → relay → stdio"
)

// httpNames renames the paths for a server reached over streamable HTTP.
func httpNames() {
	for _, n := range []*string{&pathDirect, &pathHubLocal, &pathAgent, &pathStateless, &pathPeer} {
		*n = strings.Replace(*n, "stdio", "HTTP", 1)
	}
}

// targets prints issue 9's figures for each mesh against the peer and the two-process floor
// of the same run, when those ran: absolute CPU and latency vary severalfold between these
// VMs (docs/BENCHMARKS.md, "Eleventh pass"), the ratios far less. A figure that needs a path
// or a client count the run did not have is "-".
func targets(paths []path, all map[string][]result) {
	get := func(name string, conc int) []result { return all[fmt.Sprintf("%s/%d", name, conc)] }
	cpu := func(rs []result) time.Duration { return medianDur(rs, result.cpuPerCall) }
	p50 := func(rs []result) time.Duration {
		return medianDur(rs, func(r result) time.Duration { return r.pct(0.5) })
	}
	direct := paths[0].name
	added := func(name string) (time.Duration, bool) {
		rs, d := get(name, 1), get(direct, 1)
		if rs == nil || d == nil {
			return 0, false
		}
		return p50(rs) - p50(d), true
	}
	ratio := func(a, b time.Duration) string {
		if b <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f×", float64(a)/float64(b))
	}
	cpuRatio := func(a, b []result) string { // "-" unless both ran
		if a == nil || b == nil {
			return "-"
		}
		return ratio(cpu(a), cpu(b))
	}
	floor16, peer16 := get(pathFloor2, 16), get(pathPeer, 16)
	floorAdded, floorOK := added(pathFloor2)
	fmt.Println("\nIssue 9's figures against this run's peer and two-process floor (medians; \"-\" where a path or client count did not run):")
	fmt.Println("| mesh | hub+agent CPU/call, 16 clients | vs floor | hub-local CPU/call vs peer, 16 clients | added p50 via agent, 1 client | vs floor | calls/s via agent vs direct, 16 clients |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, p := range paths {
		prefix, ok := strings.CutSuffix(p.name, pathAgent)
		if !ok {
			continue
		}
		mesh := strings.TrimSuffix(prefix, ": ")
		if mesh == "" {
			mesh = "this tree"
		}
		agent16, local16 := get(p.name, 16), get(prefix+pathHubLocal, 16)
		agentCPU, agentAdded, addedVsFloor, rate := "-", "-", "-", "-"
		if agent16 != nil {
			agentCPU = us(cpu(agent16))
			rate = fmt.Sprintf("%.2f×", medianF(agent16, result.rate)/medianF(get(direct, 16), result.rate))
		}
		if a, ok := added(p.name); ok {
			agentAdded = us(a)
			if floorOK {
				addedVsFloor = ratio(a, floorAdded)
			}
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", mesh, agentCPU, cpuRatio(agent16, floor16),
			cpuRatio(local16, peer16), agentAdded, addedVsFloor, rate)
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
