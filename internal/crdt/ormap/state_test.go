package ormap

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/concord-db/concord/internal/crdt/crdttest"
	"math/big"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
)

// A small replicated simulation: members run HSET, HINCRBY(FLOAT), HDEL and DEL against their
// own replica (carrying the counter totals their origin had seen, as the engine does) and
// deliver batches to each other in random causal orders.

type simBatch struct {
	dot    clock.Dot
	deps   clock.Vector
	hlc    clock.HLC
	kind   int // 0 HSET, 1 HINCRBY, 2 HDEL, 3 DEL
	field  []byte
	val    []byte
	n      int64
	f      *big.Rat
	fields [][]byte
	totals [][]register.Total
}

type simReplica struct {
	vc clock.Vector
	m  *Map
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
	o := crdt.Observed{Self: b.dot, Deps: b.deps}
	switch b.kind {
	case 0:
		r.m.Set(b.field, b.val, o, b.hlc, b.totals[0])
	case 1:
		r.m.Contribute(b.field, b.dot.Member, b.dot.Seq, b.n, b.f)
	case 2:
		r.m.Remove(b.field, o, b.totals[0])
	case 3:
		r.m.RemoveAll(o, b.fields, b.totals)
	}
	r.vc = r.vc.Set(b.dot.Member, b.dot.Seq)
}

func simulate(t *rapid.T) ([]*simReplica, []*simBatch) {
	reps := []*simReplica{{m: New()}, {m: New()}, {m: New()}}
	var log []*simBatch
	for range rapid.IntRange(0, 40).Draw(t, "steps") {
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
			hlc:   clock.HLC(rapid.IntRange(1, 5).Draw(t, "hlc")),
			kind:  rapid.IntRange(0, 3).Draw(t, "kind"),
			field: []byte(rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "field"))}
		switch b.kind {
		case 0:
			b.val = []byte(rapid.SampledFrom([]string{"1", "x", "-4"}).Draw(t, "val"))
			b.totals = [][]register.Total{r.m.Totals(b.field)}
		case 1:
			b.n = int64(rapid.IntRange(-3, 3).Draw(t, "n"))
			if rapid.Bool().Draw(t, "float") {
				b.f = big.NewRat(int64(rapid.IntRange(-3, 3).Draw(t, "num")), 4)
			}
		case 2:
			b.totals = [][]register.Total{r.m.Totals(b.field)}
		case 3:
			b.fields, b.totals = r.m.CounterTotals()
		}
		log = append(log, b)
		r.apply(b)
	}
	return reps, log
}

func union(log []*simBatch, reps ...*simReplica) *simReplica {
	u := &simReplica{m: New()}
	for progressed := true; progressed; {
		progressed = false
		for _, b := range log {
			had := slices.ContainsFunc(reps, func(r *simReplica) bool { return r.vc.Covers(b.dot) })
			if had && u.ready(b) {
				u.apply(b)
				progressed = true
			}
		}
	}
	return u
}

func merged(a, b *simReplica) *simReplica {
	m := a.m.Clone()
	m.Merge(b.m, a.vc, b.vc)
	return &simReplica{vc: a.vc.Clone().Merge(b.vc), m: m}
}

func stateOf(r *simReplica) string { return string(r.m.AppendState(nil)) }

// content is what HGETALL shows, sorted.
func content(m *Map) []string {
	var out []string
	m.Each(func(name string, val []byte) bool {
		out = append(out, fmt.Sprintf("%s=%s", name, val))
		return true
	})
	slices.Sort(out)
	return out
}

func TestMergeEqualsUnionOfHistories(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, log := simulate(t)
		a, b := reps[0], reps[1]
		want, got := union(log, a, b), merged(a, b)
		if !slices.Equal(content(got.m), content(want.m)) {
			t.Fatalf("merge %v, union %v", content(got.m), content(want.m))
		}
		if stateOf(got) != stateOf(want) {
			t.Fatalf("merge state %x, union %x", stateOf(got), stateOf(want))
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
			data := r.m.AppendState(nil)
			m, err := DecodeState(data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(m.AppendState(nil), data) || !slices.Equal(content(m), content(r.m)) {
				t.Fatal("round trip changed the state")
			}
		}
	})
}

func TestDecodeStateRefusesGarbage(t *testing.T) {
	m := New()
	m.Set([]byte("f"), []byte("v"), obs(1, 1), 10, nil)
	m.Contribute([]byte("n"), 2, 1, 5, nil)
	m.Remove([]byte("n"), obs(1, 2, 0, 1), []register.Total{{Member: 2, Seq: 1, Int: 5}})
	data := m.AppendState(nil)
	for i := range data {
		if _, err := DecodeState(data[:i]); !errors.Is(err, ErrCorrupt) || !errors.Is(err, crdt.ErrCorrupt) {
			t.Fatalf("truncated at %d: %v", i, err)
		}
	}
	// A field whose register holds nothing is refused (the encoding never writes one).
	if _, err := DecodeState([]byte{1, 1, 'f', 0, 0, 0}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("empty field: %v", err)
	}
}

func FuzzDecodeState(f *testing.F) {
	m := New()
	m.Set([]byte("f"), []byte("v"), obs(1, 1), 10, nil)
	m.Contribute([]byte("n"), 2, 1, 5, big.NewRat(1, 2))
	m.Remove([]byte("g"), obs(1, 2, 0, 1), []register.Total{{Member: 2, Seq: 1, Int: 5}})
	f.Add(m.AppendState(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeState(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not wrapping ErrCorrupt: %v", err)
			}
			return
		}
		again := m.AppendState(nil)
		w, err := DecodeState(again)
		if err != nil || !bytes.Equal(w.AppendState(nil), again) {
			t.Fatalf("re-encoding does not round-trip: %v", err)
		}
		content(m)
		m.Set([]byte("f"), []byte("w"), obs(3, 1), 11, nil)
	})
}
