package tunnel

import (
	"io"
	"net"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used so far (user + system, all threads): both
// ends of every transport run in it, so its growth over a benchmark is the whole cost of
// the exchange, steadier than the wall clock on a busy machine.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start (cpuTime).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime(b)-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// Benchmarks compare the tunnel (yamux over WebSocket over loopback TCP, agent = yamux client,
// hub = yamux server) with a direct loopback TCP connection doing the same work, and with the
// bare WebSocket adapter in between. Results and the command to reproduce them are in
// docs/BENCHMARKS.md.

// tunnelStream returns an agent-side stream whose hub side is handed to serve.
func tunnelStream(b *testing.B, serve func(io.ReadWriteCloser)) io.ReadWriteCloser {
	agent, hubSess := connectPair(b, Config{})
	go func() {
		s, err := hubSess.AcceptStream()
		if err == nil {
			serve(s)
		}
	}()
	s, err := agent.OpenStream()
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// directStream returns a direct stream (capability 4) of a tunnel: the hub's end, which
// opens direct streams; the agent's end is handed to serve.
func directStream(b *testing.B, serve func(io.ReadWriteCloser)) io.ReadWriteCloser {
	agent, hubSess := directPair(b, Config{})
	go func() {
		s, err := agent.Direct().Accept()
		if err == nil {
			serve(s)
		}
	}()
	s, err := hubSess.Direct().Open()
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// wsStream returns the agent end of a bare Conn pair (WebSocket, no yamux), whose hub end is
// handed to serve; it shows what the adapter costs apart from yamux.
func wsStream(b *testing.B, serve func(io.ReadWriteCloser)) io.ReadWriteCloser {
	c, s := wsPair(b)
	agent, hubConn := NewConn(c, Config{}), NewConn(s, Config{})
	b.Cleanup(func() { _ = agent.Close() })
	go serve(hubConn)
	return agent
}

// tcpStream returns a loopback TCP connection whose server side is handed to serve.
func tcpStream(b *testing.B, serve func(io.ReadWriteCloser)) io.ReadWriteCloser {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err == nil {
			serve(c)
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// echoLoop echoes with plain Read and Write calls on both transports (io.Copy would let TCP use
// splice and compare kernel paths rather than the transports).
func echoLoop(s io.ReadWriteCloser) {
	defer s.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			if _, werr := s.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

var transports = []struct {
	name string
	open func(*testing.B, func(io.ReadWriteCloser)) io.ReadWriteCloser
}{{"tunnel", tunnelStream}, {"direct", directStream}, {"websocket", wsStream}, {"tcp", tcpStream}}

// BenchmarkRoundTrip1KiB measures sending 1 KiB and reading its echo; p50 and p99 per round trip
// are reported besides the mean (ns/op).
func BenchmarkRoundTrip1KiB(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			c := tr.open(b, echoLoop)
			msg, got := make([]byte, 1024), make([]byte, 1024)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			cpu := cpuTime(b)
			for range b.N {
				start := time.Now()
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, got); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			reportCPU(b, cpu)
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}

// BenchmarkRoundTripParallel16 measures 16 streams each sending 1 KiB and reading its echo,
// all at once (as 16 concurrent calls share one tunnel); ns/op is per round trip. On TCP and
// the bare WebSocket there is one connection per stream.
func BenchmarkRoundTripParallel16(b *testing.B) {
	const streams = 16
	for _, tr := range []string{"tunnel", "direct", "tcp"} {
		b.Run(tr, func(b *testing.B) {
			conns := make([]io.ReadWriteCloser, streams)
			if tr == "tunnel" {
				agent, hubSess := connectPair(b, Config{})
				go func() {
					for {
						s, err := hubSess.AcceptStream()
						if err != nil {
							return
						}
						go echoLoop(s)
					}
				}()
				for i := range conns {
					s, err := agent.OpenStream()
					if err != nil {
						b.Fatal(err)
					}
					conns[i] = s
				}
			} else if tr == "direct" {
				agent, hubSess := directPair(b, Config{})
				go func() {
					for {
						s, err := agent.Direct().Accept()
						if err != nil {
							return
						}
						go echoLoop(s)
					}
				}()
				for i := range conns {
					s, err := hubSess.Direct().Open()
					if err != nil {
						b.Fatal(err)
					}
					conns[i] = s
				}
			} else {
				for i := range conns {
					conns[i] = tcpStream(b, echoLoop)
				}
			}
			var wg sync.WaitGroup
			b.ResetTimer()
			cpu := cpuTime(b)
			for i, c := range conns {
				n := b.N / streams
				if i < b.N%streams {
					n++
				}
				wg.Go(func() {
					msg, got := make([]byte, 1024), make([]byte, 1024)
					for range n {
						if _, err := c.Write(msg); err != nil {
							b.Error(err)
							return
						}
						if _, err := io.ReadFull(c, got); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkBulkAgentToHub measures one-way throughput: the agent writes 256 KiB chunks, the hub
// reads and discards them; the clock stops when the hub has read everything. (On "direct"
// the hub, which opens direct streams, writes and the agent reads.)
func BenchmarkBulkAgentToHub(b *testing.B) {
	const chunk = 256 << 10
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			done := make(chan int64, 1)
			c := tr.open(b, func(s io.ReadWriteCloser) {
				n, _ := io.CopyBuffer(io.Discard, s, make([]byte, chunk))
				done <- n
			})
			buf := make([]byte, chunk)
			b.SetBytes(chunk)
			b.ResetTimer()
			for range b.N {
				if _, err := c.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
			_ = c.Close()
			if n := <-done; n != int64(b.N)*chunk {
				b.Fatalf("hub read %d bytes, want %d", n, int64(b.N)*chunk)
			}
		})
	}
}
