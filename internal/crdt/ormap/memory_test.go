package ormap

import (
	"runtime"
	"testing"

	"github.com/concord-db/concord/internal/clock"
)

// BenchmarkMemory1M reports the live heap per field of a 1,000,000-field hash whose fields and
// values are "field:N" and "value:N" (each pair in one allocation, as HSET makes them), the
// same data as the redis-server comparison in the report (redis-server 7.0.15: 72.5 bytes per
// field, from INFO memory used_memory before and after).
func BenchmarkMemory1M(b *testing.B) {
	const n = 1_000_000
	for range b.N {
		before := heap()
		fs, vs := names(n)
		m := New()
		for i := range n {
			m.Set(fs[i], vs[i], obs(1, uint64(i+1)), clock.HLC(i), nil)
		}
		fs, vs = nil, nil
		after := heap()
		b.ReportMetric(float64(after-before)/n, "bytes/field")
		runtime.KeepAlive(m)
	}
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
