package hll

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// histOp is one batch of a generated history: an add of registers or a deletion.
type histOp struct {
	dot     clock.Dot
	deps    clock.Vector
	del     bool
	u       *Update
	created clock.Stamp // the creation an add targets
}

func (o *histOp) obs() crdt.Observed { return crdt.Observed{Self: o.dot, Deps: o.deps} }

// replica applies batches in a causal order, to a key's envelope holding the value (which
// remembers the deletions, as the engine does).
type replica struct {
	id          clock.MemberID
	v           *Value
	k           crdt.Key
	vc          clock.Vector
	lastCreated clock.HLC
}

func newReplica(id clock.MemberID) *replica {
	r := &replica{id: id, v: New()}
	r.k.Value = r.v
	return r
}

func (r *replica) ready(o *histOp) bool {
	if o.dot.Seq != r.vc.Get(o.dot.Member)+1 {
		return false
	}
	for m, s := range o.deps {
		if clock.MemberID(m) != o.dot.Member && s > r.vc.Get(clock.MemberID(m)) {
			return false
		}
	}
	return true
}

func (r *replica) apply(o *histOp) {
	if o.del {
		r.k.NoteDeletion(o.dot)
		r.v.Delete(o.obs())
	} else if r.k.ObservesDeletions(o.obs()) {
		r.v.Add(o.u, o.obs(), o.created)
	}
	r.vc = r.vc.Set(o.dot.Member, o.dot.Seq)
}

func (r *replica) has(o *histOp) bool { return r.vc.Covers(o.dot) }

// genUpdate draws registers to add: a few among a small range (so that adds collide), or
// rarely many (packed storage and the packed state form).
func genUpdate(t *rapid.T) *Update {
	u := &Update{Promote: rapid.IntRange(0, 9).Draw(t, "promote") == 0}
	if rapid.IntRange(0, 19).Draw(t, "big") == 0 {
		seed := rapid.Uint64().Draw(t, "seed")
		n := rapid.IntRange(pairsMax-5, 6000).Draw(t, "n")
		for i := range n {
			x := seed + uint64(i)*0x9e3779b97f4a7c15
			u.Regs.Max(int(x%NumRegisters), uint8(1+x>>32%40))
		}
		return u
	}
	for range rapid.IntRange(0, 6).Draw(t, "k") {
		u.Regs.Max(rapid.IntRange(0, 40).Draw(t, "i"), uint8(rapid.IntRange(1, 63).Draw(t, "v")))
	}
	return u
}

// genHistory runs members that make batches and exchange them in causal order, and returns the
// replicas and every batch made.
func genHistory(t *rapid.T) ([]*replica, []*histOp) {
	n := rapid.IntRange(2, 3).Draw(t, "members")
	reps := make([]*replica, n)
	for i := range reps {
		reps[i] = newReplica(clock.MemberID(i + 1))
	}
	var ops []*histOp
	for range rapid.IntRange(1, 25).Draw(t, "steps") {
		r := reps[rapid.IntRange(0, n-1).Draw(t, "who")]
		if rapid.IntRange(0, 2).Draw(t, "action") == 0 && len(ops) > 0 {
			// Receive a few batches this replica can apply.
			for range rapid.IntRange(1, 4).Draw(t, "recv") {
				var ready []*histOp
				for _, o := range ops {
					if !r.has(o) && r.ready(o) {
						ready = append(ready, o)
					}
				}
				if len(ready) == 0 {
					break
				}
				r.apply(ready[rapid.IntRange(0, len(ready)-1).Draw(t, "pick")])
			}
			continue
		}
		o := &histOp{dot: clock.Dot{Member: r.id, Seq: r.vc.Get(r.id) + 1}, deps: r.vc.Clone()}
		if rapid.IntRange(0, 3).Draw(t, "del") == 0 {
			o.del = true
		} else {
			o.u = genUpdate(t)
			// Creations a member targets never go back (the engine's guarantee).
			c := clock.Stamp{HLC: clock.HLC(rapid.IntRange(1, 3).Draw(t, "created")), Member: 1}
			if c.HLC < r.lastCreated {
				c.HLC = r.lastCreated
			}
			r.lastCreated = c.HLC
			o.created = c
		}
		ops = append(ops, o)
		r.apply(o)
	}
	return reps, ops
}

// expected is the specification: the registers are the maximum of the adds that observed every
// deletion of the subset applied; the key is live when such an add exists.
func expected(ops []*histOp, vc clock.Vector) (live, dense bool, regs Registers) {
	for _, a := range ops {
		if a.del || !vc.Covers(a.dot) {
			continue
		}
		survives := true
		for _, d := range ops {
			if d.del && vc.Covers(d.dot) && !a.obs().Covers(d.dot) {
				survives = false
				break
			}
		}
		if survives {
			live = true
			dense = dense || a.u.Promote
			regs.MaxWith(&a.u.Regs)
		}
	}
	return live, dense, regs
}

func checkExpected(t *rapid.T, label string, v *Value, ops []*histOp, vc clock.Vector) {
	live, dense, regs := expected(ops, vc)
	if v.Live() != live || v.Dense() != dense || !v.Registers().Equal(&regs) {
		t.Fatalf("%s: live %v dense %v regs %d; want %v %v %d", label, v.Live(), v.Dense(),
			v.Registers().Nonzero(), live, dense, regs.Nonzero())
	}
	if v.Count() != regs.Count() {
		t.Fatalf("%s: count %d want %d", label, v.Count(), regs.Count())
	}
}

// deliverAll brings r up to date in a random causal order.
func deliverAll(t *rapid.T, r *replica, ops []*histOp) {
	for {
		var ready []*histOp
		for _, o := range ops {
			if !r.has(o) && r.ready(o) {
				ready = append(ready, o)
			}
		}
		if len(ready) == 0 {
			return
		}
		r.apply(ready[rapid.IntRange(0, len(ready)-1).Draw(t, "next")])
	}
}

// Any causal order of any history converges to the specification, DEL-wins included.
func TestAnyCausalOrderConverges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, ops := genHistory(t)
		for _, r := range reps {
			checkExpected(t, "partial", r.v, ops, r.vc)
		}
		var want []byte
		for i, r := range reps {
			deliverAll(t, r, ops)
			checkExpected(t, "synced", r.v, ops, r.vc)
			st := r.k.AppendState(r.v.AppendState(nil))
			if i == 0 {
				want = st
			} else if !bytes.Equal(st, want) {
				t.Fatalf("replica %d state differs", i)
			}
			if !bytes.Equal(r.v.AppendRedis(nil), reps[0].v.AppendRedis(nil)) {
				t.Fatalf("replica %d GET differs", i)
			}
		}
	})
}

// state is a value and its key's envelope, paired with the clock of its replica.
type state struct {
	v  *Value
	k  *crdt.Key
	vc clock.Vector
}

func stateOf(r *replica) state {
	k := &crdt.Key{}
	k.ReadState(crdt.NewReader(r.k.AppendState(nil), ErrCorrupt))
	v := r.v.Clone()
	k.Value = v
	return state{v: v, k: k, vc: r.vc.Clone()}
}

func (s state) clone() state {
	k := &crdt.Key{}
	k.ReadState(crdt.NewReader(s.k.AppendState(nil), ErrCorrupt))
	v := s.v.Clone()
	k.Value = v
	return state{v: v, k: k, vc: s.vc.Clone()}
}

// merged is the envelope merge (which clears a side that lost to a deletion) with the value
// merge.
func merged(a, b state) state {
	x, y := a.clone(), b.clone()
	remove := x.k.Merge(y.k, x.vc, y.vc, func(dst, src crdt.Value, dstVC, srcVC clock.Vector) {
		dst.(*Value).Merge(src.(*Value), dstVC, srcVC)
	})
	if remove != nil {
		x.v.Delete(crdt.Observed{Deps: remove})
	}
	return state{v: x.v, k: x.k, vc: x.vc.Merge(y.vc)}
}

// Merge is commutative, associative and idempotent, and merging replicas that applied
// different causally-closed subsets equals applying their union.
func TestMergeLaws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, ops := genHistory(t)
		for len(reps) < 3 {
			reps = append(reps, reps[0])
		}
		s := make([]state, 3)
		for i, r := range reps[:3] {
			s[i] = stateOf(r)
		}
		enc := func(x state) []byte { return x.k.AppendState(x.v.AppendState(nil)) }
		ab, ba := merged(s[0], s[1]), merged(s[1], s[0])
		if !bytes.Equal(enc(ab), enc(ba)) {
			t.Fatal("not commutative")
		}
		if !bytes.Equal(enc(merged(s[0], s[0])), enc(s[0])) {
			t.Fatal("not idempotent")
		}
		left := merged(ab, s[2])
		right := merged(s[0], merged(s[1], s[2]))
		if !bytes.Equal(enc(left), enc(right)) {
			t.Fatal("not associative")
		}
		checkExpected(t, "merged", left.v, ops, left.vc)
		// A replica that applied the union (in a causal order) has the same state.
		u := newReplica(0)
		var union []*histOp
		for _, o := range ops {
			if left.vc.Covers(o.dot) {
				union = append(union, o)
			}
		}
		deliverAll(t, u, union)
		if !bytes.Equal(enc(stateOf(u)), enc(left)) {
			t.Fatal("merge differs from applying the union")
		}
	})
}

func TestStateRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, _ := genHistory(t)
		for _, r := range reps {
			st := r.v.AppendState(nil)
			d, err := DecodeState(st)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.AppendState(nil), st) || d.Live() != r.v.Live() || d.Count() != r.v.Count() {
				t.Fatal("round trip differs")
			}
		}
	})
}

func TestUpdateRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		u := genUpdate(t)
		b := u.Append(nil)
		d, err := DecodeUpdate(b)
		if err != nil {
			t.Fatal(err)
		}
		if d.Promote != u.Promote || !d.Regs.Equal(&u.Regs) || !bytes.Equal(d.Append(nil), b) {
			t.Fatal("update round trip differs")
		}
	})
}

// Parsing what AppendRedis writes gives back the registers, for both encodings.
func TestRedisRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		u := genUpdate(t)
		fits, _ := u.Regs.SparseFits()
		for _, dense := range []bool{true, false} {
			if !dense && !fits {
				continue
			}
			s := u.Regs.AppendRedis(nil, dense, 7)
			r, gotDense, err := ParseRedis(s)
			if err != nil || gotDense != dense || !r.Equal(&u.Regs) {
				t.Fatalf("dense %v: %v", dense, err)
			}
			if c, ok := CachedCount(s); !ok || c != 7 {
				t.Fatal("cache")
			}
		}
	})
}
