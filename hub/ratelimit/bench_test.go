package ratelimit

import (
	"strconv"
	"sync/atomic"
	"testing"
)

// The limiter is on every call's path: one map lookup per bucket under one lock.
func BenchmarkAllow(b *testing.B) {
	l := New(Config{Key: Rate{PerSecond: 1e9, Burst: 1 << 30}, Application: Rate{PerSecond: 1e9, Burst: 1 << 30}})
	s := Subject{Key: "k-bench", Application: "app"}
	b.ReportAllocs()
	for b.Loop() {
		l.Allow(s)
	}
}

// Many keys at once: the single lock's contention.
func BenchmarkAllowParallel(b *testing.B) {
	l := New(Config{Key: Rate{PerSecond: 1e9, Burst: 1 << 30}})
	var seq atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		s := Subject{Key: "k-" + strconv.Itoa(int(seq.Add(1)))}
		for pb.Next() {
			l.Allow(s)
		}
	})
}
