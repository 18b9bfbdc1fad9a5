// Package cputime reads the CPU time this process has used, for benchmarks that report it
// beside the wall time (as cpu-ns/op): on a machine shared with other work it is the steadier
// figure, since time spent waiting for a core is not in it.
package cputime

import (
	"testing"
	"time"
)

// Timer reports the CPU time per operation of a benchmark's timed loop as cpu-ns/op.
type Timer struct {
	b     *testing.B
	start time.Duration
}

// Start starts timing b's loop.
func Start(b *testing.B) *Timer { return &Timer{b: b, start: Process()} }

// Stop reports the CPU time used since Start, per operation of b.
func (t *Timer) Stop() {
	t.b.ReportMetric(float64(Process()-t.start)/float64(t.b.N), "cpu-ns/op")
}
