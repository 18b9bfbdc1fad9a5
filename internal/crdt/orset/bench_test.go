package orset

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"unsafe"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// memberName is the i-th benchmark member, "member:<i>", as the engine holds it: its own
// allocation (the operation's element bytes), viewed as a string without copying.
func memberName(i int) string {
	b := bytes.Clone(strconv.AppendInt([]byte("member:"), int64(i), 10))
	return unsafe.String(&b[0], len(b))
}

func local(seq uint64) crdt.Observed {
	return crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}}
}

// BenchmarkMemory1M builds a set of 1,000,000 members and reports the heap bytes per member
// (member bytes included), to compare with redis-server's used_memory growth for the same SADDs.
func BenchmarkMemory1M(b *testing.B) {
	const n = 1_000_000
	names := make([]string, n)
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := New()
		for i := range n {
			names[i] = memberName(i)
			s.Add(names[i], local(uint64(i+1)))
		}
		clear(names) // only the set keeps the members
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/member")
		runtime.KeepAlive(s)
	}
}

func filled(n int) (*Set, []string) {
	s := New()
	names := make([]string, n)
	for i := range n {
		names[i] = memberName(i)
		s.Add(names[i], local(uint64(i+1)))
	}
	return s, names
}

// BenchmarkAddNew adds distinct members to a growing set.
func BenchmarkAddNew(b *testing.B) {
	names := make([]string, 1<<20)
	for i := range names {
		names[i] = memberName(i)
	}
	s := New()
	seq := uint64(0)
	b.ReportAllocs()
	for b.Loop() {
		seq++
		if seq%(1<<20) == 0 {
			s = New()
		}
		s.Add(names[seq%(1<<20)], local(seq))
	}
}

// BenchmarkAddExisting re-adds members of a 1M set (a fresh dot each time).
func BenchmarkAddExisting(b *testing.B) {
	s, names := filled(1_000_000)
	seq := uint64(len(names))
	b.ReportAllocs()
	for b.Loop() {
		seq++
		s.Add(names[seq%uint64(len(names))], local(seq))
	}
}

func BenchmarkContains1M(b *testing.B) {
	s, names := filled(1_000_000)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		if !s.Contains(names[i%len(names)]) {
			b.Fatal("missing")
		}
	}
}

// BenchmarkRemoveAdd removes a member of a 1M set and adds it back.
func BenchmarkRemoveAdd(b *testing.B) {
	s, names := filled(1_000_000)
	seq := uint64(len(names))
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		m := names[i%len(names)]
		seq++
		s.Remove(m, local(seq))
		seq++
		s.Add(m, local(seq))
	}
}

func BenchmarkRandomMember1M(b *testing.B) {
	s, _ := filled(1_000_000)
	r := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		_ = s.At(r.IntN(s.Len()))
	}
}

// BenchmarkRemoveAll1M is DEL of a 1M set (per set, not per member).
func BenchmarkRemoveAll1M(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s, names := filled(1_000_000)
		b.StartTimer()
		s.RemoveAll(local(uint64(len(names) + 1)))
	}
}
