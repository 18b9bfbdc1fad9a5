package hll

import (
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkPFADD is one PFADD of one new element, as the command and the engine execute it
// (update built against the value, then applied): on a sparse value (100 elements, refilled)
// and on a dense one (200,000 elements).
func BenchmarkPFADD(b *testing.B) {
	for _, pre := range []int{100, 200000} {
		b.Run(strconv.Itoa(pre), func(b *testing.B) {
			fill := func() *Value {
				v := New()
				var seq uint64
				for i := range pre {
					pfadd(v, &seq, [][]byte{strconv.AppendInt([]byte("x"), int64(i), 10)})
				}
				return v
			}
			v := fill()
			var seq uint64 = 1 << 40
			elem := make([][]byte, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if pre < 1000 && i%100 == 99 {
					b.StopTimer()
					v = fill()
					b.StartTimer()
				}
				elem[0] = strconv.AppendInt(elem[0][:0], int64(i), 10)
				u, changed := AddElements(v.Registers(), v.Dense(), elem, 3000)
				if changed {
					seq++
					v.Add(u, obsOf(1, seq), stamp1)
				}
			}
		})
	}
}

// BenchmarkPFCOUNT is PFCOUNT of a dense and of a sparse value whose cached count is stale.
func BenchmarkPFCOUNT(b *testing.B) {
	for _, n := range []int{100, 1000000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			v := New()
			var seq uint64
			for i := range n {
				pfadd(v, &seq, [][]byte{strconv.AppendInt(nil, int64(i), 10)})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				v.cardOK = false // stale cache
				v.Count()
			}
		})
	}
}

// BenchmarkMemory reports the bytes a value holding 1,000,000 elements takes (a HyperLogLog's
// size does not depend on its cardinality once dense).
func BenchmarkMemory(b *testing.B) {
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		v := New()
		var seq uint64
		batch := make([][]byte, 0, 1000)
		for i := range 1000000 {
			batch = append(batch, strconv.AppendInt(nil, int64(i), 10))
			if len(batch) == cap(batch) {
				pfadd(v, &seq, batch)
				batch = batch[:0]
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc), "bytes/value")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "bytes/elem")
		runtime.KeepAlive(v)
	}
}
