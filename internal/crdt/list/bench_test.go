package list

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/concord-db/concord/internal/clock"
)

// benchList builds a list of n elements by RPUSH, values "value:<i>" as in the comparison with
// redis-server (see TestMemoryPerElement).
func benchList(n int) (*List, clock.Stamp) {
	l := New()
	s := clock.Stamp{HLC: 1 << 40, Member: 1}
	var last []byte
	for i := range n {
		s.HLC++
		p := Between(last, nil)
		l.Insert(p, fmt.Appendf(nil, "value:%d", i), clock.Dot{Member: 1, Seq: uint64(i + 1)}, s)
		last = Key(p, s)
	}
	return l, s
}

func BenchmarkLPush(b *testing.B) { benchmarkPush(b, true) }
func BenchmarkRPush(b *testing.B) { benchmarkPush(b, false) }

// benchmarkPush inserts b.N elements before the first (front) or after the last element.
func benchmarkPush(b *testing.B, front bool) {
	l := New()
	s := clock.Stamp{HLC: 1 << 40, Member: 1}
	val := []byte("value:123456")
	b.ReportAllocs()
	for i := range b.N {
		s.HLC++
		var pos []byte
		switch {
		case l.Len() == 0:
			pos = Between(nil, nil)
		case front:
			pos = Between(nil, l.KeyAt(0))
		default:
			pos = Between(l.KeyAt(l.Len()-1), nil)
		}
		l.Insert(pos, val, clock.Dot{Member: 1, Seq: uint64(i + 1)}, s)
	}
}

func BenchmarkLPop(b *testing.B) {
	l, _ := benchList(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	var kb []byte
	for range b.N {
		kb = append(kb[:0], l.KeyAt(0)...)
		l.Remove(kb)
	}
}

func BenchmarkRPop(b *testing.B) {
	l, _ := benchList(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	var kb []byte
	for range b.N {
		kb = append(kb[:0], l.KeyAt(l.Len()-1)...)
		l.Remove(kb)
	}
}

const million = 1_000_000

var bigL *List
var bigStamp clock.Stamp

func bigList() *List {
	if bigL == nil {
		bigL, bigStamp = benchList(million)
	}
	return bigL
}

func BenchmarkLIndexMiddle(b *testing.B) {
	l := bigList()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if l.Index(million/2+i%1000) == nil {
			b.Fatal("nil")
		}
	}
}

func BenchmarkLSetMiddle(b *testing.B) {
	l := bigList()
	val := []byte("value:xxxxxx")
	b.ReportAllocs()
	b.ResetTimer()
	var kb []byte
	for i := range b.N {
		bigStamp.HLC++
		kb = append(kb[:0], l.KeyAt(million/2+i%1000)...)
		l.Set(kb, val, bigStamp)
	}
}

func BenchmarkLInsertMiddle(b *testing.B) {
	l, s := benchList(million)
	val := []byte("value:ins")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.HLC++
		at := million/2 + i%1000
		left := bytes.Clone(l.KeyAt(at))
		right := bytes.Clone(l.KeyAt(at + 1))
		l.Insert(Between(left, right), val, clock.Dot{Member: 1, Seq: uint64(million + i + 1)}, s)
	}
}

func BenchmarkLRange0To99(b *testing.B) {
	l := bigList()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n := 0
		for it := l.Seek(0); it.Valid() && n < 100; it.Next() {
			n += len(it.Value())
		}
	}
}

func BenchmarkLRangeMiddle100(b *testing.B) {
	l := bigList()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n := 0
		for it := l.Seek(million / 2); it.Valid() && n < 100; it.Next() {
			n++
		}
	}
}

// TestMemoryPerElement reports the heap bytes per element of a 1,000,000-element list built by
// RPUSH of "value:<i>". For the same list redis-server 7.0.15's INFO used_memory grows by 14.0
// bytes per element; the test fails above 60 bytes (a little over 4x), the target being 3x.
func TestMemoryPerElement(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000,000-element list")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l, _ := benchList(million)
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / million
	t.Logf("heap bytes per element, 1M RPUSH: %.1f", per)
	longest := 0
	for it := l.First(); it.Valid(); it.Next() {
		longest = max(longest, len(it.Key()))
	}
	t.Logf("longest key after 1M RPUSH: %d bytes", longest)
	runtime.KeepAlive(l)
	if per > 60 {
		t.Fatalf("%.1f bytes per element", per)
	}
	// The same for LPUSH (new leaves are made at the head).
	l = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	l = New()
	s := clock.Stamp{HLC: 1 << 40, Member: 1}
	for i := range million {
		s.HLC++
		var first []byte
		if l.Len() > 0 {
			first = l.KeyAt(0)
		}
		l.Insert(Between(nil, first), fmt.Appendf(nil, "value:%d", i), clock.Dot{Member: 1, Seq: uint64(i + 1)}, s)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per = float64(after.HeapAlloc-before.HeapAlloc) / million
	t.Logf("heap bytes per element, 1M LPUSH: %.1f", per)
	runtime.KeepAlive(l)
	if per > 60 {
		t.Fatalf("LPUSH: %.1f bytes per element", per)
	}
}
