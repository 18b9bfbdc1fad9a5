package crdt

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
)

// Expiry writes and removals (EXPIRE, PERSIST, DEL) made by 3 members on their own replicas,
// delivered in random causal orders; a merge of two replicas must equal a replica that applied
// the union of their histories.

type expBatch struct {
	dot  clock.Dot
	deps clock.Vector
	at   int64
	del  bool
}

type expReplica struct {
	vc clock.Vector
	e  Expiry
}

func (r *expReplica) ready(b *expBatch) bool {
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

func (r *expReplica) apply(b *expBatch) {
	o := Observed{Self: b.dot, Deps: b.deps}
	if b.del {
		r.e.Remove(o)
	} else {
		r.e.Write(b.at, o)
	}
	r.vc = r.vc.Set(b.dot.Member, b.dot.Seq)
}

func expSimulate(t *rapid.T) ([]*expReplica, []*expBatch) {
	reps := []*expReplica{{}, {}, {}}
	var log []*expBatch
	for range rapid.IntRange(0, 30).Draw(t, "steps") {
		i := rapid.IntRange(0, 2).Draw(t, "member")
		r := reps[i]
		if rapid.IntRange(0, 2).Draw(t, "deliver") == 0 {
			for _, b := range log {
				if r.ready(b) {
					r.apply(b)
					break
				}
			}
			continue
		}
		m := clock.MemberID(i + 1)
		b := &expBatch{dot: clock.Dot{Member: m, Seq: r.vc.Get(m) + 1}, deps: r.vc.Clone(),
			at: int64(rapid.SampledFrom([]int{0, 10, 20}).Draw(t, "at")), del: rapid.IntRange(0, 3).Draw(t, "del") == 0}
		log = append(log, b)
		r.apply(b)
	}
	return reps, log
}

func expState(e *Expiry) []byte {
	k := Key{Expiry: e.Clone()}
	return k.AppendState(nil)
}

func TestExpiryMergeEqualsUnionOfHistories(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, log := expSimulate(t)
		a, b, c := reps[0], reps[1], reps[2]
		u := &expReplica{}
		for progressed := true; progressed; {
			progressed = false
			for _, x := range log {
				if (a.vc.Covers(x.dot) || b.vc.Covers(x.dot)) && u.ready(x) {
					u.apply(x)
					progressed = true
				}
			}
		}
		m := a.e.Clone()
		m.Merge(&b.e, a.vc, b.vc)
		if !bytes.Equal(expState(&m), expState(&u.e)) {
			t.Fatalf("merge %x, union %x", expState(&m), expState(&u.e))
		}
		at1, o1 := m.At()
		at2, o2 := u.e.At()
		if at1 != at2 || o1 != o2 {
			t.Fatalf("merge (%d,%d), union (%d,%d)", at1, o1, at2, o2)
		}
		// Commutative and idempotent.
		n := b.e.Clone()
		n.Merge(&a.e, b.vc, a.vc)
		if !bytes.Equal(expState(&m), expState(&n)) {
			t.Fatal("not commutative")
		}
		i := a.e.Clone()
		i.Merge(&a.e, a.vc, a.vc)
		if !bytes.Equal(expState(&i), expState(&a.e)) {
			t.Fatal("not idempotent")
		}
		// Associative.
		ab := a.e.Clone()
		ab.Merge(&b.e, a.vc, b.vc)
		ab.Merge(&c.e, a.vc.Clone().Merge(b.vc), c.vc)
		bc := b.e.Clone()
		bc.Merge(&c.e, b.vc, c.vc)
		a2 := a.e.Clone()
		a2.Merge(&bc, a.vc, b.vc.Clone().Merge(c.vc))
		if !bytes.Equal(expState(&ab), expState(&a2)) {
			t.Fatal("not associative")
		}
	})
}

// The envelope's state round-trips, contest record included.
func TestKeyStateRoundTrip(t *testing.T) {
	var k Key
	k.Created = clock.Stamp{HLC: 100, Member: 2}
	k.beat(clock.Stamp{HLC: 50, Member: 1}, true)
	k.Target(clock.Stamp{HLC: 70, Member: 3}, clock.Dot{Member: 3, Seq: 4})
	k.Supersede(clock.Stamp{HLC: 80, Member: 1}, clock.Vector{0, 5, 1, 4})
	k.Expiry.Write(123, Observed{Self: clock.Dot{Member: 2, Seq: 9}})
	k.Expiry.Write(456, Observed{Self: clock.Dot{Member: 1, Seq: 3}})
	k.NoteDeletion(clock.Dot{Member: 3, Seq: 7})
	k.NoteDeletion(clock.Dot{Member: 1, Seq: 2})
	data := k.AppendState(nil)
	var got Key
	r := NewReader(data, ErrCorrupt)
	got.ReadState(r)
	if err := r.Done(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.AppendState(nil), data) || got.Created != k.Created || got.Beaten() != k.Beaten() {
		t.Fatalf("round trip: %x vs %x", got.AppendState(nil), data)
	}
	if !slices.Equal(got.Deletions(), []clock.Dot{{Member: 1, Seq: 2}, {Member: 3, Seq: 7}}) {
		t.Fatalf("deletions %v", got.Deletions())
	}
	if at, owner := got.Expiry.At(); at != 456 || owner != 1 {
		t.Fatalf("expiry %d owner %d", at, owner)
	}
	for i := range data {
		var k2 Key
		r := NewReader(data[:i], ErrCorrupt)
		k2.ReadState(r)
		if err := r.Done(); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated at %d: %v", i, err)
		}
	}
}

// Three creations: a set at 10 (member 3), a string at 20 (member 1), a set at 30 (member 2,
// concurrent with both). In every order of arrival the first set's elements lose and the
// second set's survive. The key's bookkeeping is driven as the engine drives it.
func TestContestThreeWayAnyOrder(t *testing.T) {
	type eff struct {
		typ     Type
		created clock.Stamp
		dot     clock.Dot
	}
	set1 := eff{TypeSet, clock.Stamp{HLC: 10, Member: 3}, clock.Dot{Member: 3, Seq: 1}}
	add1 := eff{TypeSet, clock.Stamp{HLC: 10, Member: 3}, clock.Dot{Member: 3, Seq: 2}}
	str := eff{TypeString, clock.Stamp{HLC: 20, Member: 1}, clock.Dot{Member: 1, Seq: 1}}
	set2 := eff{TypeSet, clock.Stamp{HLC: 30, Member: 2}, clock.Dot{Member: 2, Seq: 1}}
	orders := [][]eff{
		{set1, add1, str, set2}, {set1, add1, set2, str}, {set1, set2, add1, str},
		{set2, set1, str, add1}, {str, set2, set1, add1}, {set2, str, set1, add1},
	}
	for _, order := range orders {
		var k Key
		var elems []clock.Dot // the value: element dots (type in k.Value)
		var vc clock.Vector
		for _, e := range order {
			prevType, prevCreated := TypeNone, k.Created
			if k.Value != nil {
				prevType = k.Value.Type()
			}
			ok := k.Accepts(e.typ, e.created)
			if hide := k.TakeHidden(); hide != nil {
				elems = slices.DeleteFunc(elems, func(d clock.Dot) bool { return hide.Covers(d) })
			}
			if prevType != TypeNone && (k.Value == nil || k.Value.Type() != prevType) {
				// The old value lost entirely: kept aside with no element (the engine removes
				// them; these values hold no counters, so it drops them), and a value of the
				// winning type kept aside earlier came back without elements.
				elems = nil
				k.SetLost(nil)
			}
			if ok {
				if k.Value == nil {
					k.Value = fakeValue(e.typ)
				} else if prevType == e.typ {
					switch {
					case prevCreated != (clock.Stamp{}) && e.created.After(prevCreated):
						k.Supersede(prevCreated, vc.Clone())
					case k.Created.After(e.created):
						k.Target(e.created, e.dot)
					}
				}
				elems = append(elems, e.dot)
			}
			vc = vc.Set(e.dot.Member, e.dot.Seq)
		}
		slices.SortFunc(elems, func(a, b clock.Dot) int { return int(a.Member) - int(b.Member) })
		if k.Value.Type() != TypeSet || !slices.Equal(elems, []clock.Dot{set2.dot}) {
			t.Fatalf("order %v: type %d elements %v", order, k.Value.Type(), elems)
		}
	}
}

type fakeValue Type

func (f fakeValue) Type() Type { return Type(f) }
func (f fakeValue) Live() bool { return true }

func FuzzDecodeState(f *testing.F) {
	var k Key
	k.Created = clock.Stamp{HLC: 100, Member: 2}
	k.beat(clock.Stamp{HLC: 50, Member: 1}, true)
	k.Target(clock.Stamp{HLC: 70, Member: 3}, clock.Dot{Member: 3, Seq: 4})
	k.Expiry.Write(123, Observed{Self: clock.Dot{Member: 2, Seq: 9}})
	f.Add(k.AppendState(nil))
	k.NoteDeletion(clock.Dot{Member: 2, Seq: 3})
	f.Add(k.AppendState(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		var k Key
		r := NewReader(data, ErrCorrupt)
		k.ReadState(r)
		if err := r.Done(); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not wrapping ErrCorrupt: %v", err)
			}
			return
		}
		if again := k.AppendState(nil); !bytes.Equal(again, data) {
			t.Fatalf("accepted a non-canonical envelope %x (re-encodes as %x)", data, again)
		}
		k.Expiry.At()
		k.Accepts(TypeSet, clock.Stamp{HLC: 60, Member: 1})
	})
}

// Merging envelopes: the latest creation wins, the other side's value of another type is kept
// aside (the engine strips it), the earlier creations beaten in between are reported, and a
// side without a value removes what it has seen.
func TestKeyMerge(t *testing.T) {
	merge := func(dst, src Value, _, _ clock.Vector) {}
	s10, s20, s30 := clock.Stamp{HLC: 10, Member: 1}, clock.Stamp{HLC: 20, Member: 2}, clock.Stamp{HLC: 30, Member: 3}
	mine, theirs := clock.Vector{0, 4, 0, 1}, clock.Vector{0, 1, 5}

	// Set at 30 (mixing a set creation at 10) against a string at 20: the set wins, the
	// elements of its creation at 10 are hidden, the string is kept aside.
	a := Key{Value: fakeValue(TypeSet), Created: s30}
	a.Target(s10, clock.Dot{Member: 1, Seq: 2})
	b := Key{Value: fakeValue(TypeString), Created: s20}
	remove := a.Merge(&b, mine, theirs, merge)
	if a.Value.Type() != TypeSet || a.Created != s30 || a.Beaten() != s20 || a.Mixed() {
		t.Fatalf("winner %d created %v beaten %v mixed %v", a.Value.Type(), a.Created, a.Beaten(), a.Mixed())
	}
	if !remove.Covers(clock.Dot{Member: 1, Seq: 2}) || remove.Covers(clock.Dot{Member: 3, Seq: 1}) {
		t.Fatalf("remove %v", remove)
	}
	if lost := a.Lost(); len(lost) != 1 || lost[0].Type() != TypeString {
		t.Fatalf("kept aside %v", lost)
	}

	// The other way round gives the same winner.
	c := Key{Value: fakeValue(TypeString), Created: s20}
	d := Key{Value: fakeValue(TypeSet), Created: s30}
	d.Target(s10, clock.Dot{Member: 1, Seq: 2})
	c.Merge(&d, theirs, mine, merge)
	if c.Value.Type() != TypeSet || c.Created != s30 || c.Beaten() != s20 {
		t.Fatalf("reverse: winner %d created %v beaten %v", c.Value.Type(), c.Created, c.Beaten())
	}

	// A side without the key: what it has seen of the other's value was removed there.
	e := Key{}
	f := Key{Value: fakeValue(TypeSet), Created: s10}
	if remove := e.Merge(&f, mine, theirs, merge); !remove.Equal(mine) || e.Value == nil || e.Created != s10 {
		t.Fatalf("absent side: remove %v value %v", remove, e.Value)
	}
}

// clearable is a value whose deletions win (a HyperLogLog's behaviour, without its registers).
type clearable struct{ n int }

func (c *clearable) Type() Type         { return TypeHLL }
func (c *clearable) Live() bool         { return c.n > 0 }
func (c *clearable) Clear()             { c.n = 0 }
func (c *clearable) Merge(o *clearable) { c.n += o.n }

// Deletions that win: remembered per member (the latest), checked against an add's context,
// forgotten when stable, and joined by the merge, which clears a side that had not seen the
// other side's deletion.
func TestKeyDeletions(t *testing.T) {
	var k Key
	if !k.ObservesDeletions(Observed{}) || k.Contested() {
		t.Fatal("a key without deletions")
	}
	k.NoteDeletion(clock.Dot{Member: 2, Seq: 5})
	k.NoteDeletion(clock.Dot{Member: 2, Seq: 3}) // older: ignored
	k.NoteDeletion(clock.Dot{Member: 1, Seq: 1})
	if !slices.Equal(k.Deletions(), []clock.Dot{{Member: 1, Seq: 1}, {Member: 2, Seq: 5}}) {
		t.Fatalf("deletions %v", k.Deletions())
	}
	if k.ObservesDeletions(Observed{Self: clock.Dot{Member: 3, Seq: 1}, Deps: clock.Vector{0, 1, 4}}) ||
		!k.ObservesDeletions(Observed{Self: clock.Dot{Member: 2, Seq: 6}, Deps: clock.Vector{0, 1}}) {
		t.Fatal("ObservesDeletions")
	}
	if !k.Unstable() || k.StabilizeGen() != 0 {
		t.Fatal("deletions wait for collection")
	}
	k.ForgetDeletions(clock.Vector{0, 1, 4})
	if !slices.Equal(k.Deletions(), []clock.Dot{{Member: 2, Seq: 5}}) {
		t.Fatalf("after forgetting: %v", k.Deletions())
	}
	k.SetStabilizeGen(7)
	k.Stabilize()
	if len(k.Deletions()) != 0 || k.Contested() {
		t.Fatal("Stabilize keeps deletions")
	}

	merge := func(dst, src Value, _, _ clock.Vector) { dst.(*clearable).Merge(src.(*clearable)) }
	// a holds adds and has not seen b's deletion (2:3): they lose. b's adds have seen a's
	// deletion (1:1), so they survive.
	a := Key{Value: &clearable{n: 2}, Created: clock.Stamp{HLC: 5, Member: 1}}
	a.NoteDeletion(clock.Dot{Member: 1, Seq: 1})
	b := Key{Value: &clearable{n: 3}, Created: clock.Stamp{HLC: 5, Member: 1}}
	b.NoteDeletion(clock.Dot{Member: 2, Seq: 3})
	a.Merge(&b, clock.Vector{0, 4, 2}, clock.Vector{0, 1, 4}, merge)
	if a.Value.(*clearable).n != 3 {
		t.Fatalf("merged value %d, want b's adds only", a.Value.(*clearable).n)
	}
	if !slices.Equal(a.Deletions(), []clock.Dot{{Member: 1, Seq: 1}, {Member: 2, Seq: 3}}) {
		t.Fatalf("merged deletions %v", a.Deletions())
	}
	// A side holding another type keeps the deletion for a later value of the type.
	c := Key{Value: fakeValue(TypeString), Created: clock.Stamp{HLC: 9, Member: 2}}
	d := Key{}
	d.NoteDeletion(clock.Dot{Member: 3, Seq: 1})
	c.Merge(&d, clock.Vector{0, 0, 2}, clock.Vector{0, 0, 0, 1}, func(Value, Value, clock.Vector, clock.Vector) {})
	if !slices.Equal(c.Deletions(), []clock.Dot{{Member: 3, Seq: 1}}) {
		t.Fatalf("deletions kept by another type: %v", c.Deletions())
	}
}
