package oplog

import (
	"bytes"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
)

func batch(m clock.MemberID, seq uint64, val string) *effect.Effect {
	return &effect.Effect{Origin: m, Seq: seq, HLC: clock.HLC(seq),
		Ops: []effect.Op{{Kind: effect.StringSet, Key: "k", Value: []byte(val)}}}
}

func TestSinceServesWhatThePeerLacksInOrder(t *testing.T) {
	b := New(1 << 20)
	b.Append(batch(1, 1, "a"))
	b.Append(batch(2, 1, "b"))
	b.Append(batch(1, 2, "c"))
	b.Append(batch(3, 1, "d"))
	peer := clock.Vector(nil).Set(1, 1).Set(3, 1)
	got, ok := b.Since(peer)
	if !ok || len(got) != 2 {
		t.Fatalf("ok=%v, %d batches", ok, len(got))
	}
	for i, want := range []*effect.Effect{batch(2, 1, "b"), batch(1, 2, "c")} {
		if !bytes.Equal(got[i], effect.Encode(nil, want)) {
			t.Fatalf("batch %d is not %v", i, want.Dot())
		}
		if dec, err := effect.Decode(got[i]); err != nil || dec.Dot() != want.Dot() {
			t.Fatalf("batch %d decodes to %v, %v", i, dec, err)
		}
	}
}

func TestEvictionForcesFullResyncOnlyForPeersThatLackEvictedBatches(t *testing.T) {
	one := int64(len(effect.Encode(nil, batch(1, 1, "x"))))
	b := New(3 * one) // holds three batches
	for seq := uint64(1); seq <= 5; seq++ {
		b.Append(batch(1, seq, "x"))
	}
	if b.Len() != 3 || b.Size() != 3*one {
		t.Fatalf("held %d batches, %d bytes", b.Len(), b.Size())
	}
	if _, ok := b.Since(clock.Vector(nil).Set(1, 1)); ok {
		t.Fatal("a peer lacking evicted batch 2 was served")
	}
	got, ok := b.Since(clock.Vector(nil).Set(1, 2))
	if !ok || len(got) != 3 {
		t.Fatalf("peer at 2: ok=%v, %d batches", ok, len(got))
	}
	if f := b.First([]clock.MemberID{1, 2}); f.Get(1) != 3 || f.Get(2) != 1 {
		t.Fatalf("first %v", f)
	}
}

func TestOversizedBatchIsStillHeld(t *testing.T) {
	b := New(1)
	b.Append(batch(1, 1, "a large value"))
	if b.Len() != 1 {
		t.Fatal("the newest batch must always be held")
	}
	b.Append(batch(1, 2, "b"))
	if b.Len() != 1 {
		t.Fatalf("held %d", b.Len())
	}
}

func TestCompaction(t *testing.T) {
	b := New(10_000)
	for seq := uint64(1); seq <= 20_000; seq++ {
		b.Append(batch(2, seq, "v"))
	}
	got, ok := b.Since(clock.Vector(nil).Set(2, 19_990))
	if !ok || len(got) != 10 {
		t.Fatalf("ok=%v, %d", ok, len(got))
	}
	// 20,000 records span several segments; the evicted ones must be dropped.
	if b.End() < segmentBytes || len(b.segs) > 2 {
		t.Fatalf("end %d, %d segments held for %d bytes", b.End(), len(b.segs), b.Size())
	}
}
