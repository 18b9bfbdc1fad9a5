package oplog

import (
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
)

func TestReadByPositionAcrossEvictionAndCompaction(t *testing.T) {
	one := int64(len(effect.Encode(nil, batch(1, 1, "x"))))
	b := New(100 * one)
	pos := b.End()
	var got []uint64
	for seq := uint64(1); seq <= 5000; seq++ {
		b.Append(batch(1, seq, "x"))
		if seq%7 == 0 { // a reader keeping up, reading in small steps
			for pos < b.End() {
				var recs [][]byte
				var ok bool
				recs, pos, ok = b.Read(pos, 0, nil, int(3*one), nil)
				if !ok {
					t.Fatalf("seq %d: a reader that keeps up was evicted", seq)
				}
				for _, r := range recs {
					e, err := effect.Decode(r)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, e.Seq)
				}
			}
		}
	}
	if len(got) != 4998 {
		t.Fatalf("%d batches read", len(got))
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("read %d is seq %d", i, s)
		}
	}
	if _, _, ok := b.Read(0, 0, nil, 1<<20, nil); ok {
		t.Fatal("reading evicted positions succeeded")
	}
	if all, _, _ := b.Read(b.Start(), 0, nil, 1<<30, nil); len(all) != b.Len() {
		t.Fatalf("start %d end %d: %d batches read, len %d", b.Start(), b.End(), len(all), b.Len())
	}
}

func TestReadSkipsOriginAndCovered(t *testing.T) {
	b := New(1 << 20)
	b.Append(batch(1, 1, "a"))
	b.Append(batch(2, 1, "b"))
	b.Append(batch(3, 1, "c"))
	b.Append(batch(1, 2, "d"))
	recs, next, ok := b.Read(b.Start(), Origins(0).With(2), clock.Vector(nil).Set(1, 1), 1<<20, nil)
	if !ok || next != b.End() || len(recs) != 2 {
		t.Fatalf("ok=%v next=%d %d records", ok, next, len(recs))
	}
	for i, want := range []clock.Dot{{Member: 3, Seq: 1}, {Member: 1, Seq: 2}} {
		if e, _ := effect.Decode(recs[i]); e.Dot() != want {
			t.Fatalf("record %d is %v", i, e.Dot())
		}
	}
}

func TestGapForcesFullResyncForPeersLackingMergedBatches(t *testing.T) {
	b := New(1 << 20)
	b.Append(batch(1, 1, "a"))
	b.Gap(clock.Vector(nil).Set(2, 10)) // a state merge brought 2:1..10, never in the backlog
	if _, ok := b.Since(clock.Vector(nil).Set(2, 9)); ok {
		t.Fatal("a peer lacking merged batches was served from the backlog")
	}
	if got, ok := b.Since(clock.Vector(nil).Set(2, 10)); !ok || len(got) != 1 {
		t.Fatalf("a peer with the merged batches: ok=%v %d", ok, len(got))
	}
}

func TestRewindServesOnlyTheOriginsAsked(t *testing.T) {
	one := int64(len(effect.Encode(nil, batch(1, 1, "x"))))
	b := New(3 * one)
	b.Append(batch(2, 1, "a")) // evicted below
	for seq := uint64(1); seq <= 3; seq++ {
		b.Append(batch(1, seq, "x"))
	}
	if _, ok := b.Rewind(nil, 0); ok {
		t.Fatal("served a peer lacking an evicted batch")
	}
	got, ok := b.Rewind(clock.Vector(nil).Set(1, 1), Origins(0).With(2))
	if !ok || len(got) != 2 {
		t.Fatalf("ok=%v %d batches", ok, len(got))
	}
}
