package latency

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Figures redis-server 7.0.15 printed for single calls of 4, 42 and 115 µs (recorded as
// 4000, 42000 and 115000 ns): INFO latencystats p50 and the LATENCY HISTOGRAM bucket.
func TestMatchesRedis(t *testing.T) {
	for _, c := range []struct {
		ns     int64
		p50    int64 // ns; Redis printed it /1000 with 3 decimals
		bucket int64 // µs
	}{
		{4000, 4015, 4},
		{42000, 42239, 66},
		{115000, 115199, 132},
		{1000, 1003, 1}, // Redis's familiar p99=1.003 of sub-microsecond commands
	} {
		var h Histogram
		h.Record(c.ns)
		s := h.Snapshot()
		if got := s.ValueAtPercentile(50); got != c.p50 {
			t.Errorf("%d ns: p50 %d, want %d", c.ns, got, c.p50)
		}
		steps := s.LogSteps(1024, 2)
		var b int64 = -1
		for _, st := range steps {
			if st.Cumulative == 1 {
				b = st.Value / 1000
				break
			}
		}
		if b != c.bucket {
			t.Errorf("%d ns: bucket %d µs, want %d (steps %v)", c.ns, b, c.bucket, steps)
		}
	}
}

// The layout is HdrHistogram's: every value is counted at an index whose range holds it, and
// the ranges tile [0, Max] without gaps, each at most 1/128 of its values wide.
func TestLayout(t *testing.T) {
	prevHigh := int64(-1)
	for i := range countsLen {
		lo := valueAt(i)
		if lo > Max {
			break
		}
		hi := highestEquivalent(lo)
		if lo != prevHigh+1 {
			t.Fatalf("index %d starts at %d, previous ended at %d", i, lo, prevHigh)
		}
		if index(lo) != i || index(hi) != i || lowestEquivalent(hi) != lo {
			t.Fatalf("index %d [%d, %d]: index(lo)=%d index(hi)=%d", i, lo, hi, index(lo), index(hi))
		}
		if w := hi - lo + 1; lo >= 256 && w*128 > lo {
			t.Fatalf("index %d [%d, %d] wider than 1/128", i, lo, hi)
		}
		prevHigh = hi
	}
	if index(Max) >= countsLen {
		t.Fatalf("Max counted at %d of %d", index(Max), countsLen)
	}
}

// Percentiles against a sort of the recorded values: the value at the percentile's rank is
// counted in the range ValueAtPercentile names the top of.
func TestPercentilesAgainstSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		var h Histogram
		n := 1 + r.IntN(2000)
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = 1 + int64(r.ExpFloat64()*float64(r.IntN(1_000_000)+1))
			h.Record(vals[i])
			vals[i] = min(vals[i], Max)
		}
		slices.Sort(vals)
		s := h.Snapshot()
		if s.Count() != uint64(n) {
			t.Fatalf("count %d, want %d", s.Count(), n)
		}
		var sum uint64
		for _, v := range vals {
			sum += uint64(v)
		}
		if s.Sum() != sum {
			t.Fatalf("sum %d, want %d", s.Sum(), sum)
		}
		for _, p := range []float64{0, 1, 50, 90, 99, 99.9, 100} {
			rank := int(p/100*float64(n) + 0.5)
			rank = max(rank, 1)
			want := vals[rank-1]
			got := s.ValueAtPercentile(p)
			if p == 0 {
				if got != lowestEquivalent(want) {
					t.Fatalf("p0 = %d, want %d", got, lowestEquivalent(want))
				}
				continue
			}
			if got != highestEquivalent(want) {
				t.Fatalf("p%v of %d values = %d, want the top of %d's range %d", p, n, got, want, highestEquivalent(want))
			}
		}
		// CountUpTo counts exactly the values whose range starts at or below the bound.
		for _, b := range []int64{1000, 2500, 10_000, 250_000, 1_000_000} {
			var want uint64
			for _, v := range vals {
				if lowestEquivalent(v) <= b {
					want++
				}
			}
			if got := s.CountUpTo(b); got != want {
				t.Fatalf("CountUpTo(%d) = %d, want %d", b, got, want)
			}
		}
	}
}

// LogSteps: each step's count is that of the values up to its value, the steps double from
// 1024 ns, and the last one reaches every value (below the top level hdr iterates to).
func TestLogSteps(t *testing.T) {
	var h Histogram
	vals := []int64{1, 500, 1024, 1100, 3000, 3000, 70_000, 5_000_000}
	for _, v := range vals {
		h.Record(v)
	}
	steps := h.Snapshot().LogSteps(1024, 2)
	level := int64(1024)
	for i, st := range steps {
		if st.Value != highestEquivalent(level) {
			t.Fatalf("step %d value %d, want %d", i, st.Value, highestEquivalent(level))
		}
		var want uint64
		for _, v := range vals {
			if v <= st.Value {
				want++
			}
		}
		if st.Cumulative != want {
			t.Fatalf("step %d (%d ns): %d, want %d", i, st.Value, st.Cumulative, want)
		}
		level *= 2
	}
	if last := steps[len(steps)-1]; last.Cumulative != uint64(len(vals)) || last.Value < 5_000_000 || last.Value > 2*5_000_000+1<<16 {
		t.Fatalf("last step %+v", last)
	}
	if got := (&Histogram{}).Snapshot().LogSteps(1024, 2); len(got) != 0 {
		t.Fatalf("empty histogram: %v", got)
	}
}

// Clamping: as Redis, values below 1 count as 1 and above Max as Max.
func TestClamp(t *testing.T) {
	var h Histogram
	h.Record(0)
	h.Record(-5)
	h.Record(5 * Max)
	s := h.Snapshot()
	if s.ValueAtPercentile(50) != 1 || s.ValueAtPercentile(100) != highestEquivalent(Max) || s.Sum() != 2+uint64(Max) {
		t.Fatalf("p50 %d p100 %d sum %d", s.ValueAtPercentile(50), s.ValueAtPercentile(100), s.Sum())
	}
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	for i := 0; b.Loop(); i++ {
		h.Record(int64(300 + i&1023))
	}
}

// The call clock measures what the monotonic clock measures, whichever source it uses.
func TestClockAgreesWithMonotonic(t *testing.T) {
	t.Logf("clock source: %s", ClockSource())
	for range 3 {
		s, m := Start(), time.Now()
		time.Sleep(3 * time.Millisecond)
		got, want := Elapsed(s), time.Since(m)
		if d := got - int64(want); d < -int64(want)/20 || d > int64(want)/20 {
			t.Errorf("Elapsed %d ns, the monotonic clock %d ns", got, want)
		}
	}
	s := Start()
	if e := Elapsed(s); e < 0 || e > int64(time.Second) {
		t.Errorf("Elapsed right after Start: %d", e)
	}
}
