package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/cputime"
	"github.com/concord-db/concord/internal/effect"
)

// remoteSETs returns n SET batches made by member 1 over keys random keys (16-byte values).
func remoteSETs(n, keys int) []*effect.Effect {
	src := New(Config{Member: 1, KeepTombstones: true})
	var out []*effect.Effect
	src.AddSink(func(b *effect.Effect) { out = append(out, b.Clone()) })
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		key := fmt.Sprintf("key:%012d", r.IntN(keys))
		src.Lock()
		prev := src.Store().DB(0).Get(key)
		src.Emit(effect.Op{Kind: effect.StringSet, Key: key, Value: fmt.Appendf(nil, "value-%010d", i),
			Offsets: Offsets(prev)})
		src.Unlock()
	}
	return out
}

// BenchmarkApplySET applies remote SET batches over 200000 keys (as issue 4's measurement
// writes) in groups of 200 under one lock, as a replication link does with a frame; prefetch
// looks the keys of each PrefetchBatches batches up before applying them (Prefetch).
func BenchmarkApplySET(b *testing.B) {
	const keys, group = 200000, 200
	batches := remoteSETs(3*keys, keys)
	for _, prefetch := range []bool{false, true} {
		b.Run(fmt.Sprintf("prefetch=%v", prefetch), func(b *testing.B) {
			var e *Engine
			next := 0
			fresh := func() {
				e = New(Config{Member: 2, KeepTombstones: true})
				e.Lock()
				for next = 0; next < len(batches)/2; next++ { // warm: the keyspace exists
					if err := e.Apply(batches[next]); err != nil {
						b.Fatal(err)
					}
				}
				e.Unlock()
			}
			fresh()
			b.ReportAllocs()
			b.ResetTimer()
			var cpu time.Duration
			start := cputime.Process()
			for i := 0; i < b.N; i += group {
				if next+group > len(batches) {
					b.StopTimer()
					cpu += cputime.Process() - start
					fresh()
					start = cputime.Process()
					b.StartTimer()
				}
				e.Lock()
				g := batches[next : next+group]
				for j, x := range g {
					if prefetch && j%PrefetchBatches == 0 {
						e.Prefetch(g[j:min(j+PrefetchBatches, len(g))])
					}
					if err := e.Apply(x); err != nil {
						b.Fatal(err)
					}
				}
				e.Unlock()
				next += group
			}
			b.StopTimer()
			cpu += cputime.Process() - start
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
