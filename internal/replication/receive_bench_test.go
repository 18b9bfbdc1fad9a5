package replication

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/cputime"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/peerwire"
)

// setFrames returns the Data frame payloads member 1 streams for n SETs (16-byte values over
// keys distinct keys, as in the issue 4 measurement), perFrame records a frame. The keys are
// written in turn.
func setFrames(tb testing.TB, n, keys, perFrame int) [][]byte {
	return setFramesOrder(tb, n, keys, perFrame, false)
}

// setFramesOrder is setFrames, in a random order of keys when random is set (as
// redis-benchmark -r writes them).
func setFramesOrder(tb testing.TB, n, keys, perFrame int, random bool) [][]byte {
	tb.Helper()
	src := engine.New(engine.Config{Member: 1, KeepTombstones: true})
	var frames [][]byte
	var cur []byte
	records := 0
	src.AddSink(func(b *effect.Effect) {
		cur = peerwire.AppendRecord(cur, effect.Encode(nil, b))
		if records++; records%perFrame == 0 {
			frames, cur = append(frames, cur), nil
		}
	})
	r := rand.New(rand.NewPCG(4, 4))
	for i := range n {
		key := fmt.Sprintf("key:%d", i%keys)
		if random {
			key = fmt.Sprintf("key:%012d", r.IntN(keys))
		}
		src.Lock()
		prev := src.Store().DB(0).Get(key)
		src.Emit(effect.Op{Kind: effect.StringSet, Key: key, Value: fmt.Appendf(nil, "value-%010d", i),
			Offsets: engine.Offsets(prev)})
		src.Unlock()
	}
	if len(cur) > 0 {
		frames = append(frames, cur)
	}
	return frames
}

// BenchmarkReceiveSET is the receive side of replication for one SET batch: a Link of a
// Replicator (its real host, so the backlog append is included) decoding and applying the
// records of Data frames, under one engine lock per frame.
func BenchmarkReceiveSET(b *testing.B) { benchmarkReceiveSET(b, 50000, false) }

// BenchmarkReceiveSETFewKeys is BenchmarkReceiveSET over 1000 keys, whose entries stay in the
// processor's caches: what remains is the work of the receive path rather than memory latency.
func BenchmarkReceiveSETFewKeys(b *testing.B) { benchmarkReceiveSET(b, 1000, false) }

// BenchmarkReceiveSETRandomKeys is BenchmarkReceiveSET over 200,000 keys written in a random
// order, as issue 4's measurement writes them: consecutive SETs touch entries far apart in
// memory, and memory latency is most of the cost.
func BenchmarkReceiveSETRandomKeys(b *testing.B) { benchmarkReceiveSET(b, 200000, true) }

// benchFrames are the streams benchmarkReceiveSET replays, by number of keys and order.
var benchFrames = map[benchFramesKey][][]byte{}

type benchFramesKey struct {
	keys   int
	random bool
}

func benchmarkReceiveSET(b *testing.B, keys int, random bool) {
	const perFrame = 200
	ck := benchFramesKey{keys, random}
	frames := benchFrames[ck]
	if frames == nil {
		// Made once per process: -count runs (and profiles of them) then measure the receive
		// path rather than the making of the stream.
		frames = setFramesOrder(b, max(2*keys, 200000), keys, perFrame, random)
		benchFrames[ck] = frames
	}
	var e *engine.Engine
	var link *Link
	fresh := func() {
		var rc *Receiver
		e, _, rc = newReceiving(b, 2)
		link = NewLink(rc, e)
	}
	fresh()
	// Warm: the keyspace exists, as in the measurement's runs (random keys: most of it).
	warm := len(frames) / 4
	if random {
		warm = len(frames) / 2
	}
	next := 0
	for next < warm {
		if _, err := link.Handle(peerwire.Frame{Type: peerwire.Data, Payload: frames[next]}); err != nil {
			b.Fatal(err)
		}
		next++
	}
	b.ReportAllocs()
	b.ResetTimer()
	// The process's CPU time (garbage collection included) is reported besides the wall time:
	// on a shared machine it is the steadier figure.
	var cpu time.Duration
	start := cputime.Process()
	for i := 0; i < b.N; i += perFrame {
		if next == len(frames) {
			b.StopTimer()
			cpu += cputime.Process() - start
			fresh()
			next = 0
			start = cputime.Process()
			b.StartTimer()
		}
		if _, err := link.Handle(peerwire.Frame{Type: peerwire.Data, Payload: frames[next]}); err != nil {
			b.Fatal(err)
		}
		next++
	}
	b.StopTimer()
	cpu += cputime.Process() - start
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
