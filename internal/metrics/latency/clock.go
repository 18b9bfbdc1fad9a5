package latency

import (
	"os"
	"strings"
	"time"
)

// The clock the dispatcher times calls with. Two reads per call are on the path of every
// command, so the cheapest clock that is right wins: the processor's time-stamp counter when it
// is invariant (constant rate, running in every state, flags constant_tsc and nonstop_tsc) and
// cheaper to read than the monotonic clock (it is not where a hypervisor traps it), scaled to
// nanoseconds by a rate measured at start; otherwise the monotonic clock, read through
// time.Since on a fixed origin (one vDSO call; time.Now makes two). On the 2-core VM of
// docs/benchmarks.md a read costs about 12 ns and 30 ns respectively.

var (
	origin    = time.Now()
	useTSC    bool
	nsPerTick float64
)

func init() {
	if !haveTSC || !invariantTSC() {
		return
	}
	// Rate: ticks against the monotonic clock over a millisecond. A preemption in between
	// stretches both alike.
	m0, t0 := time.Since(origin), rdtsc()
	time.Sleep(time.Millisecond)
	m1, t1 := time.Since(origin), rdtsc()
	if t1 <= t0 || m1 <= m0 {
		return
	}
	rate := float64(m1-m0) / float64(t1-t0)
	// Speed: the counter must be the cheaper read.
	const n = 200
	s := time.Since(origin)
	for range n {
		_ = rdtsc()
	}
	tscCost := time.Since(origin) - s
	s = time.Since(origin)
	for range n {
		_ = time.Since(origin)
	}
	monoCost := time.Since(origin) - s
	if tscCost < monoCost {
		useTSC, nsPerTick = true, rate
	}
}

// invariantTSC reports whether the kernel says the time-stamp counter is invariant.
func invariantTSC() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "flags") {
			return strings.Contains(line, " constant_tsc") && strings.Contains(line, " nonstop_tsc")
		}
	}
	return false
}

// Start returns a timestamp for Elapsed.
func Start() uint64 {
	if useTSC {
		return rdtsc()
	}
	return uint64(time.Since(origin))
}

// Elapsed returns the nanoseconds since start (from Start), 0 if the clock went back (a
// counter read on another core that is behind).
func Elapsed(start uint64) int64 {
	if useTSC {
		now := rdtsc()
		if now <= start {
			return 0
		}
		return int64(float64(now-start) * nsPerTick)
	}
	return max(int64(time.Since(origin))-int64(start), 0)
}

// ClockSource names the clock Start and Elapsed use ("tsc" or "monotonic").
func ClockSource() string {
	if useTSC {
		return "tsc"
	}
	return "monotonic"
}
