package replication

import (
	"fmt"
	"testing"

	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/peerwire"
)

// setFrames returns the Data frame payloads member 1 streams for n SETs (16-byte values over
// keys distinct keys, as in the issue 4 measurement), perFrame records a frame.
func setFrames(tb testing.TB, n, keys, perFrame int) [][]byte {
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
	for i := range n {
		key := fmt.Sprintf("key:%d", i%keys)
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
func BenchmarkReceiveSET(b *testing.B) {
	const perFrame, keys = 200, 50000
	frames := setFrames(b, 4*keys, keys, perFrame)
	var e *engine.Engine
	var link *Link
	fresh := func() {
		e = engine.New(engine.Config{Member: 2, KeepTombstones: true})
		r, err := New(e, Config{Member: 2})
		if err != nil {
			b.Fatal(err)
		}
		e.Lock()
		rc := r.receiver()
		e.Unlock()
		link = NewLink(rc, e)
	}
	fresh()
	// Warm: the keyspace exists, as in the measurement's runs.
	next := 0
	for next < len(frames)/4 {
		if _, err := link.Handle(peerwire.Frame{Type: peerwire.Data, Payload: frames[next]}); err != nil {
			b.Fatal(err)
		}
		next++
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += perFrame {
		if next == len(frames) {
			b.StopTimer()
			fresh()
			next = 0
			b.StartTimer()
		}
		if _, err := link.Handle(peerwire.Frame{Type: peerwire.Data, Payload: frames[next]}); err != nil {
			b.Fatal(err)
		}
		next++
	}
}
