// Command callbench measures what the gateway adds to a tools/call: a lean raw JSON-RPC
// client calls server-everything's echo directly over stdio, then through hub → tunnel →
// agent → the same stdio server (as a session client and as a stateless 2026-07-28 client),
// at 1 and 16 concurrent clients, and prints p50/p99 and calls/s.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

func main() {
	root := flag.String("root", ".", "repository root")
	calls := flag.Int("calls", 3000, "measured calls per run")
	warm := flag.Int("warmup", 300, "warm-up calls per run")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *root, *calls, *warm); err != nil {
		log.Fatal(err)
	}
}

// caller makes one echo call and returns when the result is in.
type caller interface {
	call(ctx context.Context, i int) error
}

type result struct {
	name        string
	concurrency int
	lat         []time.Duration
	elapsed     time.Duration
}

func (r result) pct(p float64) time.Duration {
	return r.lat[int(float64(len(r.lat)-1)*p)]
}

func (r result) rate() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

// measure runs calls spread over conc workers, each with its own caller.
func measure(ctx context.Context, name string, callers []caller, calls, warm int) (result, error) {
	conc := len(callers)
	for i := 0; i < warm; i++ {
		if err := callers[i%conc].call(ctx, i); err != nil {
			return result{}, fmt.Errorf("%s warm-up: %w", name, err)
		}
	}
	lat := make([]time.Duration, calls)
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	began := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < calls; i += conc {
				t0 := time.Now()
				if err := callers[w].call(ctx, i); err != nil {
					errs <- err
					return
				}
				lat[i] = time.Since(t0)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(began)
	select {
	case err := <-errs:
		return result{}, fmt.Errorf("%s: %w", name, err)
	default:
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return result{name: name, concurrency: conc, lat: lat, elapsed: elapsed}, nil
}

func run(ctx context.Context, root string, calls, warm int) error {
	root, _ = filepath.Abs(root)
	everything := filepath.Join(root, "e2e", "node_modules", ".bin", "mcp-server-everything")
	mesh, err := startMesh(ctx, root, everything)
	if err != nil {
		return err
	}
	defer mesh.close()

	var rows []result
	for _, conc := range []int{1, 16} {
		direct, err := newStdioCallers(ctx, everything, conc)
		if err != nil {
			return err
		}
		r, err := measure(ctx, "direct stdio", direct, calls, warm)
		if err != nil {
			return err
		}
		rows = append(rows, r)
		viaHub, err := newHTTPCallers(ctx, mesh.url, mesh.key, "bench__everything__echo", conc)
		if err != nil {
			return err
		}
		r, err = measure(ctx, "hub → tunnel → agent → stdio", viaHub, calls, warm)
		if err != nil {
			return err
		}
		rows = append(rows, r)
		modern := newModernCallers(mesh.url, mesh.key, "bench__everything__echo", conc)
		r, err = measure(ctx, "stateless client (2026-07-28): hub → tunnel → agent → stdio", modern, calls, warm)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	report(rows)
	return nil
}

func report(rows []result) {
	fmt.Println("| path | clients | p50 | p99 | calls/s | added p50 | added p99 |")
	fmt.Println("|---|---|---|---|---|---|---|")
	var d result // the direct row the hub rows after it compare with
	for _, r := range rows {
		added50, added99 := "", ""
		if r.name == "direct stdio" {
			d = r
		} else {
			added50 = us(r.pct(0.5) - d.pct(0.5))
			added99 = us(r.pct(0.99) - d.pct(0.99))
		}
		fmt.Printf("| %s | %d | %s | %s | %.0f | %s | %s |\n", r.name, r.concurrency,
			us(r.pct(0.5)), us(r.pct(0.99)), r.rate(), added50, added99)
	}
}

func us(d time.Duration) string { return fmt.Sprintf("%d µs", d.Microseconds()) }
