package orset

import (
	"bytes"
	"errors"
	"github.com/concord-db/concord/internal/crdt/crdttest"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// A small replicated simulation: members add, remove and remove-all (DEL) against their own
// replica and deliver batches to each other in random causal orders.

type simBatch struct {
	dot  clock.Dot
	deps clock.Vector
	kind int // 0 add, 1 remove, 2 remove all
	elem string
}

type simReplica struct {
	vc clock.Vector
	s  *Set
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
		r.s.Add(b.elem, o)
	case 1:
		r.s.Remove(b.elem, o)
	case 2:
		r.s.RemoveAll(o)
	}
	r.vc = r.vc.Set(b.dot.Member, b.dot.Seq)
}

func simulate(t *rapid.T) ([]*simReplica, []*simBatch) {
	reps := []*simReplica{{s: New()}, {s: New()}, {s: New()}}
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
			kind: rapid.IntRange(0, 2).Draw(t, "kind"), elem: rapid.SampledFrom([]string{"a", "b", "c", ""}).Draw(t, "elem")}
		log = append(log, b)
		r.apply(b)
	}
	return reps, log
}

func union(log []*simBatch, reps ...*simReplica) *simReplica {
	u := &simReplica{s: New()}
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

func clone(s *Set) *Set {
	c, err := DecodeState(s.AppendState(nil))
	if err != nil {
		panic(err)
	}
	return c
}

func merged(a, b *simReplica) *simReplica {
	s := clone(a.s)
	s.Merge(b.s, a.vc, b.vc)
	return &simReplica{vc: a.vc.Clone().Merge(b.vc), s: s}
}

func stateOf(r *simReplica) string { return string(r.s.AppendState(nil)) }

func TestMergeEqualsUnionOfHistories(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, log := simulate(t)
		a, b := reps[0], reps[1]
		want, got := union(log, a, b), merged(a, b)
		if stateOf(got) != stateOf(want) {
			t.Fatalf("merge %v, union %v", members(got.s), members(want.s))
		}
		if !slices.Equal(members(got.s), members(want.s)) || got.s.Len() != want.s.Len() {
			t.Fatalf("merge %v, union %v", members(got.s), members(want.s))
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
			data := r.s.AppendState(nil)
			s, err := DecodeState(data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s.AppendState(nil), data) || !slices.Equal(members(s), members(r.s)) {
				t.Fatal("round trip changed the state")
			}
		}
	})
}

func TestDecodeStateRefusesGarbage(t *testing.T) {
	s := New()
	s.Add("a", obs(1, 1))
	s.Add("a", obs(2, 1))
	s.Add("b", obs(1, 2))
	data := s.AppendState(nil)
	for i := range data {
		if _, err := DecodeState(data[:i]); !errors.Is(err, ErrCorrupt) || !errors.Is(err, crdt.ErrCorrupt) {
			t.Fatalf("truncated at %d: %v", i, err)
		}
	}
	// Unsorted members and duplicate dots are refused (the encoding is canonical).
	bad := []byte{2, 1, 'b', 1, 1, 1, 1, 'a', 1, 1, 1}
	if _, err := DecodeState(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("unsorted: %v", err)
	}
	if _, err := DecodeState([]byte{1, 1, 'a', 2, 1, 1, 1, 1}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("duplicate dots: %v", err)
	}
}

func FuzzDecodeState(f *testing.F) {
	s := New()
	s.Add("a", obs(1, 1))
	s.Add("a", obs(2, 1))
	s.Add("b", obs(1, 2))
	f.Add(s.AppendState(nil))
	f.Add([]byte{1, 0, 1, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeState(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not wrapping ErrCorrupt: %v", err)
			}
			return
		}
		again := s.AppendState(nil)
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted a non-canonical encoding")
		}
		s.Remove("a", obs(1, 1))
		s.Add("c", obs(3, 1))
	})
}
