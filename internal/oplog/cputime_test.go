//go:build unix

package oplog

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the user and system CPU time the process has used: on a shared machine it is
// a steadier figure than the wall time (time spent waiting for a core is not in it).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTimer reports the CPU time per operation of a benchmark's timed loop as cpu-ns/op.
type cpuTimer struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) *cpuTimer { return &cpuTimer{b: b, start: processCPU()} }

func (c *cpuTimer) stop() {
	c.b.ReportMetric(float64(processCPU()-c.start)/float64(c.b.N), "cpu-ns/op")
}
