package list

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// A small simulation of members exchanging list operations with causal delivery, at the level
// of this package (the engine does the same with effect batches).

type opKind int

const (
	opInsert opKind = iota
	opRemove
	opSet
	opRemoveAll
)

type simOp struct {
	kind  opKind
	paths [][]byte // opInsert
	vals  [][]byte // opInsert, opSet
	keys  [][]byte // opRemove, opSet
}

type batch struct {
	dot   clock.Dot
	stamp clock.Stamp
	deps  clock.Vector
	ops   []simOp
}

func (b *batch) obs() crdt.Observed { return crdt.Observed{Self: b.dot, Deps: b.deps} }

func applyBatch(l *List, b *batch) {
	for _, op := range b.ops {
		switch op.kind {
		case opInsert:
			for i, p := range op.paths {
				l.Insert(p, op.vals[i], b.dot, b.stamp)
			}
		case opRemove:
			l.RemoveKeys(op.keys)
		case opSet:
			for i, k := range op.keys {
				l.Set(k, op.vals[i], b.stamp)
			}
		case opRemoveAll:
			l.RemoveAll(b.obs())
		}
	}
}

type simMember struct {
	id  clock.MemberID
	l   *List
	vc  clock.Vector
	hlc clock.HLC
	log []*batch // every batch applied here, in apply order
}

func newSimMember(id clock.MemberID) *simMember {
	return &simMember{id: id, l: New()}
}

func (m *simMember) ready(b *batch) bool {
	if b.dot.Seq != m.vc.Get(b.dot.Member)+1 {
		return false
	}
	for mm, s := range b.deps {
		if clock.MemberID(mm) != b.dot.Member && s > m.vc.Get(clock.MemberID(mm)) {
			return false
		}
	}
	return true
}

func (m *simMember) apply(b *batch) {
	applyBatch(m.l, b)
	m.vc = m.vc.Set(b.dot.Member, b.dot.Seq)
	m.hlc = max(m.hlc, b.stamp.HLC)
	m.log = append(m.log, b)
}

// local makes a batch here from ops built by mk against the current state.
func (m *simMember) local(t *rapid.T, mk func(l *List, s clock.Stamp) []simOp) {
	m.hlc += clock.HLC(rapid.IntRange(1, 2).Draw(t, "tick"))
	b := &batch{
		dot:   clock.Dot{Member: m.id, Seq: m.vc.Get(m.id) + 1},
		stamp: clock.Stamp{HLC: m.hlc, Member: m.id},
		deps:  m.vc.Clone(),
	}
	b.ops = mk(m.l, b.stamp)
	if len(b.ops) == 0 {
		return
	}
	m.apply(b)
}

// receive applies every batch from has applied that m has not, in from's order (causal).
func (m *simMember) receive(from *simMember) {
	for _, b := range from.log {
		if !m.vc.Covers(b.dot) {
			if !m.ready(b) {
				panic("not causal")
			}
			m.apply(b)
		}
	}
}

// pickAt draws a position in 0..n-1, usually near the head so that members often act on the
// same elements concurrently.
func pickAt(t *rapid.T, n int, label string) int {
	if rapid.Bool().Draw(t, label+"-near") {
		return rapid.IntRange(0, min(n-1, 1)).Draw(t, label)
	}
	return rapid.IntRange(0, n-1).Draw(t, label)
}

// genOps draws the operations of one command against l.
func genOps(t *rapid.T, l *List, s clock.Stamp) []simOp {
	n := l.Len()
	switch k := rapid.IntRange(0, 9).Draw(t, "kind"); {
	case k < 5 || n == 0:
		// Pushes at either end or LINSERT-like inserts in the middle, possibly several.
		at := 0
		switch rapid.IntRange(0, 2).Draw(t, "where") {
		case 1:
			at = n
		case 2:
			at = pickAt(t, n+1, "at")
		}
		var left, right []byte
		if at > 0 {
			left = bytes.Clone(l.KeyAt(at - 1))
		}
		if at < n {
			right = bytes.Clone(l.KeyAt(at))
		}
		op := simOp{kind: opInsert}
		for i := range rapid.IntRange(1, 3).Draw(t, "count") {
			p := Between(left, right)
			op.paths = append(op.paths, p)
			op.vals = append(op.vals, fmt.Appendf(nil, "%d.%d.%d", s.Member, s.HLC, i))
			right = Key(p, s) // like LPUSH a b c: each in front of the previous one
		}
		return []simOp{op}
	case k < 7:
		// Pops / LREM / LTRIM: remove some identities.
		at := pickAt(t, n, "at")
		cnt := min(rapid.IntRange(1, 3).Draw(t, "n"), n-at)
		op := simOp{kind: opRemove}
		for i := range cnt {
			op.keys = append(op.keys, bytes.Clone(l.KeyAt(at+i)))
		}
		return []simOp{op}
	case k < 9:
		at := pickAt(t, n, "at")
		return []simOp{{kind: opSet, keys: [][]byte{bytes.Clone(l.KeyAt(at))}, vals: [][]byte{fmt.Appendf(nil, "set%d.%d", s.Member, s.HLC)}}}
	default:
		return []simOp{{kind: opRemoveAll}}
	}
}

// history runs members making operations with random partial exchanges.
func history(t *rapid.T) []*simMember {
	ms := []*simMember{newSimMember(1), newSimMember(2), newSimMember(3)}
	for range rapid.IntRange(20, 80).Draw(t, "steps") {
		m := ms[rapid.IntRange(0, len(ms)-1).Draw(t, "member")]
		if rapid.IntRange(0, 3).Draw(t, "exchange") == 0 {
			m.receive(ms[rapid.IntRange(0, len(ms)-1).Draw(t, "from")])
			continue
		}
		m.local(t, func(l *List, s clock.Stamp) []simOp { return genOps(t, l, s) })
	}
	return ms
}

// allBatches is every batch made by any member.
func allBatches(ms []*simMember) []*batch {
	var out []*batch
	for _, m := range ms {
		for _, b := range m.log {
			if b.dot.Member == m.id {
				out = append(out, b)
			}
		}
	}
	return out
}

// replayRandom applies batches to a fresh list in a random causal order.
func replayRandom(t *rapid.T, all []*batch, label string) *simMember {
	r := newSimMember(50)
	pending := slices.Clone(all)
	for len(pending) > 0 {
		var ready []int
		for i, b := range pending {
			if r.ready(b) {
				ready = append(ready, i)
			}
		}
		if len(ready) == 0 {
			t.Fatalf("no batch ready")
		}
		i := ready[rapid.IntRange(0, len(ready)-1).Draw(t, label)]
		r.apply(pending[i])
		pending = slices.Delete(pending, i, i+1)
	}
	return r
}

// TestConvergesProperty: every causal order of the same batches gives the same state, including
// concurrent inserts at the same place, pops of the same element and LSET ∥ removal.
func TestConvergesProperty(t *testing.T) {
	smallNodes(t)
	rapid.Check(t, func(t *rapid.T) {
		ms := history(t)
		all := allBatches(ms)
		want := replayRandom(t, all, "order0").l
		want.check(t)
		for i := range 2 {
			got := replayRandom(t, all, fmt.Sprint("order", i+1)).l
			got.check(t)
			if !got.Equal(want) {
				t.Fatalf("diverged:\n%q\n%q", got.values(), want.values())
			}
		}
		// Members that exchange everything converge too.
		for _, m := range ms {
			for _, o := range ms {
				m.receive(o)
			}
		}
		for _, m := range ms {
			if !m.l.Equal(want) {
				t.Fatalf("member %d diverged: %q vs %q", m.id, m.l.values(), want.values())
			}
		}
	})
}

// TestConcurrentSamePlace: two members insert after the same element concurrently; both are
// kept, the later stamp first, on both members.
func TestConcurrentSamePlace(t *testing.T) {
	x := Between(nil, nil)
	sx := clock.Stamp{HLC: 10, Member: 1}
	xk := Key(x, sx)
	mk := func() *List {
		l := New()
		l.Insert(x, []byte("x"), clock.Dot{Member: 1, Seq: 1}, sx)
		return l
	}
	p := Between(xk, nil)
	a, b := mk(), mk()
	s1, s2 := clock.Stamp{HLC: 20, Member: 1}, clock.Stamp{HLC: 21, Member: 2}
	a.Insert(p, []byte("y1"), clock.Dot{Member: 1, Seq: 2}, s1)
	b.Insert(p, []byte("y2"), clock.Dot{Member: 2, Seq: 1}, s2)
	a.Insert(p, []byte("y2"), clock.Dot{Member: 2, Seq: 1}, s2)
	b.Insert(p, []byte("y1"), clock.Dot{Member: 1, Seq: 2}, s1)
	if got := a.values(); !slices.Equal(got, []string{"x", "y2", "y1"}) || !a.Equal(b) {
		t.Fatalf("a=%q b=%q", got, b.values())
	}
	// Exact tie: the smaller member id first.
	c := mk()
	c.Insert(p, []byte("m2"), clock.Dot{Member: 2, Seq: 1}, clock.Stamp{HLC: 30, Member: 2})
	c.Insert(p, []byte("m1"), clock.Dot{Member: 1, Seq: 2}, clock.Stamp{HLC: 30, Member: 1})
	if got := c.values(); !slices.Equal(got, []string{"x", "m1", "m2"}) {
		t.Fatalf("tie: %q", got)
	}
}

// TestMergeProperty: merging the states of members that applied different causally-closed
// subsets gives the state of a replica that applied their union; Merge is commutative,
// associative and idempotent on (state, clock) pairs.
func TestMergeProperty(t *testing.T) {
	smallNodes(t)
	rapid.Check(t, func(t *rapid.T) {
		ms := history(t)
		type rep struct {
			l  *List
			vc clock.Vector
		}
		snap := func(m *simMember) rep {
			l, err := DecodeState(m.l.AppendState(nil))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			return rep{l, m.vc.Clone()}
		}
		merge := func(a, b rep) rep {
			l, _ := DecodeState(a.l.AppendState(nil))
			l.Merge(b.l, a.vc, b.vc)
			l.check(t)
			return rep{l, a.vc.Clone().Merge(b.vc)}
		}
		a, b, c := snap(ms[0]), snap(ms[1]), snap(ms[2])
		ab, ba := merge(a, b), merge(b, a)
		if !ab.l.Equal(ba.l) {
			t.Fatalf("not commutative: %q vs %q", ab.l.values(), ba.l.values())
		}
		if aa := merge(a, a); !aa.l.Equal(a.l) {
			t.Fatalf("not idempotent")
		}
		if x, y := merge(ab, c), merge(a, merge(b, c)); !x.l.Equal(y.l) {
			t.Fatalf("not associative: %q vs %q", x.l.values(), y.l.values())
		}
		// The union: a replica that applied what a and b applied.
		u := newSimMember(60)
		u.receive(ms[0])
		for _, bt := range ms[1].log {
			if !u.vc.Covers(bt.dot) {
				if !u.ready(bt) {
					// b's order is causal, and a's part is already in.
					t.Fatalf("union not causal")
				}
				u.apply(bt)
			}
		}
		if !ab.l.Equal(u.l) {
			t.Fatalf("merge %q != union %q", ab.l.values(), u.l.values())
		}
	})
}

func TestDecodeStateRoundTrip(t *testing.T) {
	smallNodes(t)
	rapid.Check(t, func(t *rapid.T) {
		ms := history(t)
		for _, m := range ms {
			enc := m.l.AppendState(nil)
			d, err := DecodeState(enc)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			d.check(t)
			if !bytes.Equal(d.AppendState(nil), enc) || !slices.Equal(d.values(), m.l.values()) {
				t.Fatalf("round trip")
			}
		}
	})
}

func FuzzDecodeState(f *testing.F) {
	l := New()
	var prev []byte
	for i := range 50 {
		p := Between(prev, nil)
		s := clock.Stamp{HLC: clock.HLC(100 + i), Member: 2}
		l.Insert(p, []byte(fmt.Sprint("v", i)), clock.Dot{Member: 2, Seq: uint64(i + 1)}, s)
		prev = Key(p, s)
	}
	l.Set(l.KeyAt(3), []byte("set"), clock.Stamp{HLC: 500, Member: 1})
	f.Add(l.AppendState(nil))
	f.Add(New().AppendState(nil))
	f.Add([]byte{1, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeState(data)
		if err != nil {
			return
		}
		d.check(t)
		if !bytes.Equal(d.AppendState(nil), data) {
			t.Fatalf("decoded state does not re-encode to its input")
		}
		// A decoded list supports every operation.
		if d.Len() > 0 {
			k := bytes.Clone(d.KeyAt(d.Len() / 2))
			d.Set(k, []byte("x"), clock.Stamp{HLC: 1 << 50, Member: 1})
			p := Between(k, nil)
			if d.Len() > d.Len()/2+1 {
				p = Between(k, bytes.Clone(d.KeyAt(d.Len()/2+1)))
			}
			if p != nil {
				d.Insert(p, []byte("y"), clock.Dot{Member: 1, Seq: 1}, clock.Stamp{HLC: 1 << 50, Member: 1})
			}
			d.Remove(k)
			d.check(t)
		}
	})
}
