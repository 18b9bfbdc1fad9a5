package zset

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

func benchNames(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte("member:" + strconv.Itoa(i))
	}
	return out
}

// filled returns a set of n members with scores spread over [0, n).
func filled(n int) (*ZSet, [][]byte) {
	z := New()
	names := benchNames(n)
	for i, m := range names {
		obs := crdt.Observed{Self: clock.Dot{Member: 1, Seq: uint64(i + 1)}}
		z.Set(m, float64((i*7919)%n), obs, clock.HLC(i), nil)
	}
	return z, names
}

func BenchmarkZAdd(b *testing.B) {
	names := benchNames(b.N)
	z := New()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		obs := crdt.Observed{Self: clock.Dot{Member: 1, Seq: uint64(i + 1)}}
		z.Set(names[i], float64(i%1000), obs, clock.HLC(i), nil)
	}
}

// BenchmarkZAddUpdate re-adds existing members of a 100,000-member set with new scores.
func BenchmarkZAddUpdate(b *testing.B) {
	const n = 100_000
	z, names := filled(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		obs := crdt.Observed{Self: clock.Dot{Member: 1, Seq: uint64(n + i + 1)}, Deps: clock.Vector{0, uint64(n + i)}}
		z.Set(names[i%n], float64(i%977), obs, clock.HLC(i), nil)
	}
}

func BenchmarkZIncrBy(b *testing.B) {
	const n = 100_000
	z, names := filled(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		name := names[i%n]
		seq := uint64(n + i + 1)
		total, target, ok := z.IncrTotal(name, 1, seq, 1.5)
		if ok {
			z.Contribute(name, 1, seq, total)
		} else {
			b.Fatalf("no total for %v", target)
		}
	}
}

func BenchmarkZRank(b *testing.B) {
	const n = 1_000_000
	z, names := filled(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, _, ok := z.Rank(names[(i*31)%n]); !ok {
			b.Fatal("missing")
		}
	}
}

// BenchmarkZRangeByRank reads 10 members from a random rank (ZRANGE key r r+9).
func BenchmarkZRangeByRank(b *testing.B) {
	const n = 1_000_000
	z, _ := filled(n)
	b.ReportAllocs()
	b.ResetTimer()
	sum := 0.0
	for i := range b.N {
		it := z.Seek((i * 7919) % (n - 10))
		for k := 0; k < 10 && it.Valid(); k++ {
			sum += it.Score()
			it.Next()
		}
	}
	_ = sum
}

func BenchmarkZScore(b *testing.B) {
	const n = 1_000_000
	z, names := filled(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, ok := z.ScoreBytes(names[(i*31)%n]); !ok {
			b.Fatal("missing")
		}
	}
}

// BenchmarkMemory1M reports the heap bytes per member of a 1,000,000-member set (member names
// "member:<i>" included, as Redis's used_memory includes them).
func BenchmarkMemory1M(b *testing.B) {
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		z, _ := filled(1_000_000)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "bytes/member")
		runtime.KeepAlive(z)
	}
}

// BenchmarkZAddRandom is redis-benchmark's ZADD load: ZADD myzset <rand> element:<rand>, both
// below 100,000, on a set already holding about 63,000 members (100,000 random adds): mostly
// score updates that move a member, some fresh adds.
func BenchmarkZAddRandom(b *testing.B) {
	const keyspace = 100_000
	r := rand.New(rand.NewPCG(1, 2))
	names := benchNames(keyspace)
	z := New()
	seq := uint64(0)
	add := func() {
		seq++
		obs := crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq - 1}}
		z.Set(names[r.IntN(keyspace)], float64(r.IntN(keyspace)), obs, clock.HLC(seq), nil)
	}
	for range keyspace {
		add()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		add()
	}
}
