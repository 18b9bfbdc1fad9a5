package register

import (
	"bytes"
	"errors"
	"github.com/concord-db/concord/internal/crdt/crdttest"
	"math/big"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// A small replicated simulation: members make SET, INCRBY(FLOAT) and DEL batches against their
// own replica (SET and DEL carry the totals their origin had seen, as the engine does) and
// deliver batches to each other in random causal orders.

type simBatch struct {
	dot     clock.Dot
	deps    clock.Vector // what the origin had applied before (own entry seq-1)
	hlc     clock.HLC
	kind    int // 0 SET, 1 INCR, 2 DEL
	val     []byte
	n       int64
	f       *big.Rat
	offsets []Total
}

func (b *simBatch) obs() crdt.Observed { return crdt.Observed{Self: b.dot, Deps: b.deps} }

type simReplica struct {
	vc clock.Vector
	v  *Value
}

func (r *simReplica) ready(b *simBatch) bool {
	if r.vc.Covers(b.dot) || b.dot.Seq != r.vc.Get(b.dot.Member)+1 {
		return false
	}
	for m, s := range b.deps {
		if clock.MemberID(m) != b.dot.Member && s > r.vc.Get(clock.MemberID(m)) {
			return false
		}
	}
	return true
}

func (r *simReplica) apply(b *simBatch) {
	switch b.kind {
	case 0:
		r.v.Set(b.val, b.obs(), b.hlc, b.offsets)
	case 1:
		r.v.Contribute(b.dot.Member, b.dot.Seq, b.n, b.f)
	case 2:
		r.v.Remove(b.obs(), b.offsets)
	}
	r.vc = r.vc.Set(b.dot.Member, b.dot.Seq)
}

// simulate draws a history of 3 members and returns their replicas and every batch.
func simulate(t *rapid.T) ([]*simReplica, []*simBatch) {
	reps := []*simReplica{{v: &Value{}}, {v: &Value{}}, {v: &Value{}}}
	var log []*simBatch
	steps := rapid.IntRange(0, 40).Draw(t, "steps")
	for range steps {
		i := rapid.IntRange(0, 2).Draw(t, "member")
		r := reps[i]
		if rapid.IntRange(0, 2).Draw(t, "deliver") == 0 {
			var ready []*simBatch
			for _, b := range log {
				if r.ready(b) {
					ready = append(ready, b)
				}
			}
			if len(ready) > 0 {
				r.apply(ready[rapid.IntRange(0, len(ready)-1).Draw(t, "which")])
			}
			continue
		}
		m := clock.MemberID(i + 1)
		b := &simBatch{dot: clock.Dot{Member: m, Seq: r.vc.Get(m) + 1}, deps: r.vc.Clone(),
			hlc: clock.HLC(rapid.IntRange(1, 6).Draw(t, "hlc"))}
		b.kind = rapid.IntRange(0, 2).Draw(t, "kind")
		switch b.kind {
		case 0:
			b.val = []byte(rapid.SampledFrom([]string{"1", "7", "x", "-2"}).Draw(t, "val"))
			b.offsets = r.v.Totals()
		case 1:
			b.n = int64(rapid.IntRange(-3, 3).Draw(t, "n"))
			if rapid.Bool().Draw(t, "float") {
				b.f = big.NewRat(int64(rapid.IntRange(-3, 3).Draw(t, "num")), 4)
			}
		case 2:
			b.offsets = r.v.Totals()
		}
		log = append(log, b)
		r.apply(b)
	}
	return reps, log
}

// union is a fresh replica that applied, in a causal order, every batch that one of reps had.
func union(log []*simBatch, reps ...*simReplica) *simReplica {
	u := &simReplica{v: &Value{}}
	for progressed := true; progressed; {
		progressed = false
		for _, b := range log {
			had := false
			for _, r := range reps {
				had = had || r.vc.Covers(b.dot)
			}
			if had && u.ready(b) {
				u.apply(b)
				progressed = true
			}
		}
	}
	return u
}

func merged(a, b *simReplica) *simReplica {
	v := a.v.Clone()
	v.Merge(b.v, a.vc, b.vc)
	return &simReplica{vc: a.vc.Clone().Merge(b.vc), v: v}
}

func stateOf(r *simReplica) string { return string(r.v.AppendState(nil)) }

func TestMergeEqualsUnionOfHistories(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, log := simulate(t)
		a, b := reps[0], reps[1]
		want := union(log, a, b)
		got := merged(a, b)
		if stateOf(got) != stateOf(want) {
			t.Fatalf("merge %x\nunion %x", stateOf(got), stateOf(want))
		}
		gb, _ := got.v.Bytes()
		wb, _ := want.v.Bytes()
		if !bytes.Equal(gb, wb) || got.v.Live() != want.v.Live() {
			t.Fatalf("merge reads %q, union %q", gb, wb)
		}
	})
}

func TestMergeLaws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, _ := simulate(t)
		crdttest.MergeLaws(t, reps[0], reps[1], reps[2], merged, stateOf)
	})
}

func TestStateRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, _ := simulate(t)
		for _, r := range reps {
			data := r.v.AppendState(nil)
			v, err := DecodeState(data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v.AppendState(nil), data) {
				t.Fatal("round trip changed the state")
			}
			rb, _ := r.v.Bytes()
			vb, _ := v.Bytes()
			if !bytes.Equal(rb, vb) {
				t.Fatalf("round trip reads %q, was %q", vb, rb)
			}
		}
	})
}

func TestDecodeStateRefusesGarbage(t *testing.T) {
	v := New([]byte("5"), obs(1, 1), 10)
	v.Contribute(2, 3, 4, big.NewRat(1, 3))
	v.Remove(obs(1, 2, 1), []Total{{Member: 2, Seq: 1, Int: 1}})
	data := v.AppendState(nil)
	for i := range data {
		if _, err := DecodeState(data[:i]); !errors.Is(err, ErrCorrupt) || !errors.Is(err, crdt.ErrCorrupt) {
			t.Fatalf("truncated at %d: %v", i, err)
		}
	}
	if _, err := DecodeState(append(data, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing byte: %v", err)
	}
}

func FuzzDecodeState(f *testing.F) {
	v := New([]byte("5"), obs(1, 1), 10)
	v.Contribute(2, 3, 4, big.NewRat(1, 3))
	f.Add(v.AppendState(nil))
	f.Add([]byte{1, 1, 1, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeState(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not wrapping ErrCorrupt: %v", err)
			}
			return
		}
		again := v.AppendState(nil)
		w, err := DecodeState(again)
		if err != nil || !bytes.Equal(w.AppendState(nil), again) {
			t.Fatalf("re-encoding does not round-trip: %v", err)
		}
		v.Bytes()
		v.Live()
	})
}
