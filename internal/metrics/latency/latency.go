// Package latency is the per-command latency histogram behind INFO latencystats, LATENCY
// HISTOGRAM and the concord_command_duration_seconds metric.
//
// The layout is HdrHistogram's for the parameters Redis 7.0 uses (server.h
// LATENCY_HISTOGRAM_MIN_VALUE 1, LATENCY_HISTOGRAM_MAX_VALUE 1e9, LATENCY_HISTOGRAM_PRECISION
// 2): values in nanoseconds from 1 ns to 1 s, two significant decimal digits, so 256 exact
// values and then 23 buckets of 128 sub-buckets whose width doubles from bucket to bucket. The
// percentiles and the log-scale iteration are hdr_histogram.c's, so that INFO latencystats and
// LATENCY HISTOGRAM compute what Redis computes from the same durations.
//
// It is our own code rather than a library because recording is on the path of every command
// and must cost a few nanoseconds: Record is an index computation and two plain additions (a
// counter and the sum; atomic additions cost 20-40 ns more per call on the VM of
// docs/benchmarks.md); readers sum the counters when they are asked. A histogram is not safe
// for concurrent use: like the command's other statistics, it is updated and read under the
// engine lock (members sharing one process, in tests, share the command table and so may lose
// counts, as they do for the other counters).
package latency

import "math/bits"

// The HdrHistogram layout for lowest value 1, highest 1e9, 2 significant figures
// (hdr_calculate_bucket_config): largest value with single-unit resolution 2*10^2 = 200, so
// sub_bucket_count 256.
const (
	// Max is the largest value tracked (ns); longer durations are recorded as Max.
	Max int64 = 1_000_000_000

	subBucketHalfCountMagnitude = 7
	subBucketHalfCount          = 1 << subBucketHalfCountMagnitude // 128
	subBucketCount              = 2 * subBucketHalfCount           // 256
	subBucketMask               = subBucketCount - 1
	bucketCount                 = 23 // buckets until 256<<b exceeds Max
	countsLen                   = (bucketCount + 1) * subBucketHalfCount
)

// Histogram counts durations. The zero value is empty and ready.
type Histogram struct {
	counts [countsLen]uint64
	sum    uint64 // of the recorded values, clamped as recorded (ns)
}

// bucketIndex is get_bucket_index (unit magnitude 0).
func bucketIndex(v int64) int {
	pow2ceiling := 64 - bits.LeadingZeros64(uint64(v)|subBucketMask)
	return pow2ceiling - (subBucketHalfCountMagnitude + 1)
}

// index is counts_index_for: where v is counted.
func index(v int64) int {
	b := bucketIndex(v)
	sub := int(v >> uint(b))
	return (b+1)<<subBucketHalfCountMagnitude + sub - subBucketHalfCount
}

// valueAt is hdr_value_at_index: the lowest value counted at index i.
func valueAt(i int) int64 {
	b := i>>subBucketHalfCountMagnitude - 1
	sub := i&(subBucketHalfCount-1) + subBucketHalfCount
	if b < 0 {
		sub -= subBucketHalfCount
		b = 0
	}
	return int64(sub) << uint(b)
}

// lowestEquivalent is lowest_equivalent_value: the lowest value counted with v.
func lowestEquivalent(v int64) int64 {
	b := bucketIndex(v)
	return (v >> uint(b)) << uint(b)
}

// highestEquivalent is highest_equivalent_value: the highest value counted with v.
func highestEquivalent(v int64) int64 {
	b := bucketIndex(v)
	sub := v >> uint(b)
	if sub >= subBucketCount {
		b++
	}
	return lowestEquivalent(v) + 1<<uint(b) - 1
}

// Record counts one duration in nanoseconds, clamped to [1, Max] as Redis's
// updateCommandLatencyHistogram clamps it.
func (h *Histogram) Record(ns int64) {
	ns = min(max(ns, 1), Max)
	h.counts[index(ns)]++
	h.sum += uint64(ns)
}

// Snapshot is a copy of a histogram's counters, for computing several figures from one state.
type Snapshot struct {
	counts [countsLen]uint64
	total  uint64
	sum    uint64
}

// Snapshot copies the counters.
func (h *Histogram) Snapshot() *Snapshot {
	s := &Snapshot{counts: h.counts, sum: h.sum}
	for _, n := range h.counts {
		s.total += n
	}
	return s
}

// Count is the number of durations recorded.
func (s *Snapshot) Count() uint64 { return s.total }

// Sum is the sum of the durations recorded (ns), each clamped as recorded.
func (s *Snapshot) Sum() uint64 { return s.sum }

// ValueAtPercentile is hdr_value_at_percentile (p in [0, 100]): the highest value equivalent
// to the one at which the cumulative count reaches p percent of the total (the lowest
// equivalent one for p = 0); 0 for an empty histogram.
func (s *Snapshot) ValueAtPercentile(p float64) int64 {
	p = min(p, 100)
	want := uint64(p/100*float64(s.total) + 0.5)
	want = max(want, 1)
	var cum uint64
	v := int64(0)
	for i := range s.counts {
		cum += s.counts[i]
		if cum >= want {
			v = valueAt(i)
			break
		}
	}
	if p == 0 {
		return lowestEquivalent(v)
	}
	return highestEquivalent(v)
}

// Step is one step of a log-scale iteration: the cumulative count of values up to Value.
type Step struct {
	Value      int64 // highest value equivalent to the step's reporting level (ns)
	Cumulative uint64
}

// LogSteps is hdr_iter_log_init(first, base) iterated to its end: reporting levels first,
// first*base, ...; at each, the cumulative count of the values up to the level's highest
// equivalent value. Like hdr_iter_next, it stops after the level that reaches the last
// recorded value.
func (s *Snapshot) LogSteps(first, base int64) []Step {
	var out []Step
	if s.total == 0 {
		return out
	}
	level := first
	levelLowest := lowestEquivalent(level)
	var cum uint64
	i := -1
	value := int64(0) // of the current index, 0 before the first
	for {
		// hdr's log_iter_next: report the level once the iteration reached it, else move on.
		// It is entered while counts remain, or while the next value is beyond the level.
		if !(cum < s.total || (i+1 < countsLen && valueAt(i+1) > level)) {
			return out
		}
		for value < levelLowest {
			i++
			if i >= countsLen {
				return out
			}
			cum += s.counts[i]
			value = valueAt(i)
		}
		out = append(out, Step{Value: highestEquivalent(level), Cumulative: cum})
		level *= base
		levelLowest = lowestEquivalent(level)
	}
}

// CountUpTo is the number of values recorded whose counting sub-bucket starts at or below
// bound (ns): the values up to bound, give or take the width of one sub-bucket (under 1% of
// bound). The metrics' buckets are read this way.
func (s *Snapshot) CountUpTo(bound int64) uint64 {
	if bound < 0 {
		return 0
	}
	last := countsLen - 1
	if bound < Max {
		last = index(bound)
	}
	var n uint64
	for i := 0; i <= last; i++ {
		n += s.counts[i]
	}
	return n
}
