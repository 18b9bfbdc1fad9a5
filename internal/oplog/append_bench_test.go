package oplog

import (
	"fmt"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/cputime"
	"github.com/concord-db/concord/internal/effect"
)

// The append benchmarks measure what the replication sink costs a member per SET of the
// issue 4 workload (SETs of 16-byte values over key:N keys, one batch each), in the two states
// a backlog of the default 64 MiB budget goes through: filling fresh memory (Fresh), and full,
// evicting its oldest batch for each new one and reusing evicted segments (Full). Besides the
// wall time they report the process's CPU time per append (cpu-ns/op), the steadier figure on
// a shared machine.

const benchBudget = 64 << 20

// setBatch is a SET batch of the issue 4 workload.
func setBatch(seq uint64) *effect.Effect {
	return &effect.Effect{Origin: 1, Seq: seq, HLC: clock.HLC(1<<40 + seq),
		Ops: []effect.Op{{Kind: effect.StringSet, Key: fmt.Sprintf("key:%d", seq%200000),
			Value: fmt.Appendf(nil, "value-%010d", seq)}}}
}

func benchmarkAppend(b *testing.B, full, encoded bool) {
	bs := make([]*effect.Effect, 1<<16)
	enc := make([][]byte, len(bs))
	for i := range bs {
		bs[i] = setBatch(uint64(i + 1))
		enc[i] = effect.Encode(nil, bs[i])
	}
	bl := New(benchBudget)
	seq := uint64(0)
	next := func() {
		seq++
		i := seq % uint64(len(bs))
		if encoded {
			bl.AppendEncoded(enc[i]) // sequence numbers repeat: no matter here
			return
		}
		e := bs[i]
		e.Seq = seq
		bl.Append(e)
	}
	if full {
		for bl.Size() < benchBudget || bl.Start() == 0 {
			next()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Start(b)
	defer cpu.Stop()
	for range b.N {
		next()
		if !full && bl.Start() > 0 {
			b.StopTimer() // keep measuring the filling: start again with an empty backlog
			bl = New(benchBudget)
			b.StartTimer()
		}
	}
}

// BenchmarkAppendSETFresh and BenchmarkAppendSETFull are the writing member's append (Append:
// the batch is encoded into the backlog).
func BenchmarkAppendSETFresh(b *testing.B) { benchmarkAppend(b, false, false) }
func BenchmarkAppendSETFull(b *testing.B)  { benchmarkAppend(b, true, false) }

// BenchmarkAppendEncodedFull is the relaying members' append (AppendEncoded: a received batch
// stored as it came).
func BenchmarkAppendEncodedFull(b *testing.B) { benchmarkAppend(b, true, true) }
