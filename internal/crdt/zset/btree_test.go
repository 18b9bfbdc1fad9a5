package zset

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// checkList verifies the order index's invariants: the leaves, in their links' order, hold
// exactly the live members in (score, name) order with the scores of their nodes; every leaf is
// at the same depth and none is empty (but a lone root leaf); each inner node's counts are the
// members under its kids and its keys are the least keys under them (exact, the first one
// included); nodes are within their sizes; and ranks agree both ways.
func checkList(z *ZSet) error {
	t := &z.list
	var leaves []*leaf
	var walk func(x *inner, h int) (count int, s float64, name string, err error)
	walk = func(x *inner, h int) (int, float64, string, error) {
		if x.n < 1 || x.n > innerMax {
			return 0, 0, "", fmt.Errorf("inner node with %d kids", x.n)
		}
		total := 0
		for i := range x.n {
			var c int
			var s float64
			var name string
			if h == 0 {
				l := x.leaves[i]
				if x.kids[i] != nil || l == nil {
					return 0, 0, "", fmt.Errorf("height 1 node without a leaf at %d", i)
				}
				if l.n < 1 || l.n > leafMax {
					return 0, 0, "", fmt.Errorf("leaf with %d entries", l.n)
				}
				leaves = append(leaves, l)
				c, s, name = l.n, l.scores[0], l.nodes[0].name
			} else {
				if x.leaves[i] != nil || x.kids[i] == nil {
					return 0, 0, "", fmt.Errorf("height %d node without an inner kid at %d", h+1, i)
				}
				var err error
				if c, s, name, err = walk(x.kids[i], h-1); err != nil {
					return 0, 0, "", err
				}
			}
			if x.cnt[i] != c {
				return 0, 0, "", fmt.Errorf("height %d kid %d: count %d, holds %d", h+1, i, x.cnt[i], c)
			}
			if x.scores[i] != s || x.names[i] != name {
				return 0, 0, "", fmt.Errorf("height %d kid %d: key (%v, %q), least is (%v, %q)", h+1, i, x.scores[i], x.names[i], s, name)
			}
			total += c
		}
		for i := x.n; i < innerCap; i++ {
			if x.names[i] != "" || x.kids[i] != nil || x.leaves[i] != nil {
				return 0, 0, "", fmt.Errorf("inner node keeps a reference past its kids")
			}
		}
		return total, x.scores[0], x.names[0], nil
	}
	if t.height == 0 {
		if t.root != nil {
			return fmt.Errorf("height 0 with an inner root")
		}
		if t.rootLeaf != nil {
			leaves = append(leaves, t.rootLeaf)
		}
	} else {
		if t.rootLeaf != nil {
			return fmt.Errorf("height %d with a root leaf", t.height)
		}
		c, _, _, err := walk(t.root, t.height-1)
		if err != nil {
			return err
		}
		if c != t.length {
			return fmt.Errorf("root counts %d, length %d", c, t.length)
		}
		if t.root.n < 2 {
			return fmt.Errorf("root with one kid")
		}
	}
	var prevLeaf *leaf
	var prev *node
	i := 0
	for k, l := range leaves {
		if l.prev != prevLeaf || (k == 0) != (t.head == l) {
			return fmt.Errorf("leaf %d: wrong links", k)
		}
		if prevLeaf != nil && prevLeaf.next != l {
			return fmt.Errorf("leaf %d: wrong next link", k-1)
		}
		for j := range l.n {
			x := l.nodes[j]
			if l.scores[j] != x.score {
				return fmt.Errorf("%q: leaf score %v, node %v", x.name, l.scores[j], x.score)
			}
			if prev != nil && !less(prev.score, prev.name, x.score, x.name) {
				return fmt.Errorf("%q after %q: out of order", x.name, prev.name)
			}
			if z.index[x.name] != x {
				return fmt.Errorf("%q: in the order but not indexed", x.name)
			}
			if r := t.rank(x); r != i {
				return fmt.Errorf("%q: rank %d, position %d", x.name, r, i)
			}
			if bl, bi := t.byRank(i); bl.nodes[bi] != x {
				return fmt.Errorf("byRank(%d) is %q, not %q", i, bl.nodes[bi].name, x.name)
			}
			i++
			prev = x
		}
		for j := l.n; j < leafCap; j++ {
			if l.nodes[j] != nil {
				return fmt.Errorf("leaf keeps a node past its entries")
			}
		}
		prevLeaf = l
	}
	if sp := t.spare; sp != nil {
		if sp.n != 0 || sp.prev != nil || sp.next != nil || slices.Contains(leaves, sp) {
			return fmt.Errorf("the spare leaf is in use")
		}
		for _, x := range sp.nodes {
			if x != nil {
				return fmt.Errorf("the spare leaf keeps a node")
			}
		}
	}
	if prevLeaf != nil && (prevLeaf.next != nil || t.tail != prevLeaf) {
		return fmt.Errorf("wrong tail")
	}
	if t.length != i || z.n != i || len(z.index) != i {
		return fmt.Errorf("length %d; walked %d, members %d, index %d", t.length, i, z.n, len(z.index))
	}
	return nil
}

// smallNodes makes the tree's nodes tiny for the rest of the test, so that a few dozen members
// build several levels and every split, merge and collapse happens.
func smallNodes(t testing.TB, leaves, inners int) {
	l, in := leafMax, innerMax
	leafMax, innerMax = leaves, inners
	t.Cleanup(func() { leafMax, innerMax = l, in })
}

// TestListInvariants drives a set through every kind of write (bases, contributions, removals
// with and without offsets, whole-set removals) and checks the order index after each, with
// tiny nodes and with the real ones.
func TestListInvariants(t *testing.T) {
	for _, size := range []struct{ leaves, inners int }{{4, 4}, {5, 3}, {leafCap, innerCap}} {
		t.Run(fmt.Sprintf("leaf%d_inner%d", size.leaves, size.inners), func(t *testing.T) {
			smallNodes(t, size.leaves, size.inners)
			rapid.Check(t, func(t *rapid.T) {
				z := New()
				seq := uint64(0)
				names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "aa", ""}
				for k := range 60 {
					names = append(names, fmt.Sprintf("n%02d", k))
				}
				for range rapid.IntRange(1, 400).Draw(t, "ops") {
					seq++
					// Some writes come from member 2 without having seen member 1's latest writes,
					// so that members get several candidates (the extra form).
					member := clock.MemberID(rapid.IntRange(1, 2).Draw(t, "member"))
					obs := crdt.Observed{Self: clock.Dot{Member: member, Seq: seq}}
					if member == 1 {
						obs.Deps = clock.Vector{0, seq - 1, seq - 1}
					}
					name := []byte(rapid.SampledFrom(names).Draw(t, "name"))
					s := float64(rapid.IntRange(-5, 5).Draw(t, "score"))
					switch rapid.IntRange(0, 9).Draw(t, "kind") {
					case 0:
						z.Remove(name, obs, z.Totals(name))
					case 1:
						z.Remove(name, obs, nil)
					case 2:
						z.Contribute(name, member, seq, s)
					case 3:
						if rapid.IntRange(0, 9).Draw(t, "all") == 0 {
							names, totals := z.CounterTotals()
							z.RemoveAll(obs, names, totals)
						}
					default:
						z.Set(name, s, obs, clock.HLC(seq), z.Totals(name))
					}
					if err := checkList(z); err != nil {
						t.Fatal(err)
					}
				}
			})
		})
	}
}

// TestListBig checks the invariants of a set large enough for several levels of real-sized
// nodes, through score updates that keep or change the order, then removals down to nothing.
func TestListBig(t *testing.T) {
	z := New()
	names := benchNames(20000)
	seq := uint64(0)
	set := func(m []byte, s float64) {
		seq++
		obs := crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq - 1}}
		z.Set(m, s, obs, clock.HLC(seq), nil)
	}
	for round := range 4 {
		for i, m := range names {
			s := float64((i * 7919 * (min(round, 2) + 1)) % 1000)
			if round == 3 {
				s += 0.25 // keeps the order of round 2: updates in place
			}
			set(m, s)
		}
		if err := checkList(z); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	if z.list.height < 2 {
		t.Fatalf("height %d: too few levels to check", z.list.height)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for k, i := range r.Perm(len(names)) {
		seq++
		z.Remove(names[i], crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq - 1}}, nil)
		if k%997 == 0 || k > len(names)-100 {
			if err := checkList(z); err != nil {
				t.Fatalf("after %d removals: %v", k+1, err)
			}
		}
	}
	if z.Len() != 0 || z.list.height != 0 {
		t.Fatalf("%d members, height %d after removing all", z.Len(), z.list.height)
	}
}

// TestListSequential checks that members added in order fill their leaves (the split at either
// end of the order leaves the old leaf full), in both directions.
func TestListSequential(t *testing.T) {
	for _, down := range []bool{false, true} {
		z := New()
		names := benchNames(10000)
		for i, m := range names {
			s := float64(i)
			if down {
				s = -s
			}
			z.Set(m, s, crdt.Observed{Self: clock.Dot{Member: 1, Seq: uint64(i + 1)}}, clock.HLC(i), nil)
		}
		if err := checkList(z); err != nil {
			t.Fatal(err)
		}
		leaves := 0
		for l := z.list.head; l != nil; l = l.next {
			leaves++
		}
		if want := (len(names) + leafCap - 1) / leafCap; leaves != want {
			t.Errorf("down=%v: %d leaves for %d members, want %d", down, leaves, len(names), want)
		}
	}
}

// checkReads compares the reads built on the order index (ranks, access by rank, iteration both
// ways, score and lex ranges) with a sorted copy of the members.
func checkReads(t *rapid.T, z *ZSet, lex bool) {
	type member struct {
		name  string
		score float64
	}
	var all []member
	for name, n := range z.index {
		all = append(all, member{name, n.score})
	}
	slices.SortFunc(all, func(a, b member) int {
		switch {
		case less(a.score, a.name, b.score, b.name):
			return -1
		case less(b.score, b.name, a.score, a.name):
			return 1
		}
		return 0
	})
	for r, m := range all {
		if got, s, ok := z.Rank([]byte(m.name)); !ok || got != r || s != m.score {
			t.Fatalf("Rank(%q) = %d, %v, %v; want %d", m.name, got, s, ok, r)
		}
		if name, s := z.At(r); name != m.name || s != m.score {
			t.Fatalf("At(%d) = %q, %v; want %q", r, name, s, m.name)
		}
	}
	if len(all) > 0 {
		start := rapid.IntRange(0, len(all)-1).Draw(t, "seek")
		it := z.Seek(start)
		for r := start; r < len(all); r++ {
			if !it.Valid() || it.Name() != all[r].name {
				t.Fatalf("Next from %d: wrong member at %d", start, r)
			}
			it.Next()
		}
		if it.Valid() {
			t.Fatalf("Next from %d: valid past the end", start)
		}
		it = z.Seek(start)
		for r := start; r >= 0; r-- {
			if !it.Valid() || it.Name() != all[r].name {
				t.Fatalf("Prev from %d: wrong member at %d", start, r)
			}
			it.Prev()
		}
		if it.Valid() {
			t.Fatalf("Prev from %d: valid before the start", start)
		}
	}
	want := func(in func(m member) bool) (int, int) {
		first, last := 0, -1
		found := false
		for r, m := range all {
			if in(m) {
				if !found {
					first, found = r, true
				}
				last = r
			}
		}
		return first, last
	}
	if lex {
		bound := func(label string) LexBound {
			switch rapid.IntRange(0, 5).Draw(t, label+"kind") {
			case 0:
				return LexBound{NegInf: true}
			case 1:
				return LexBound{PosInf: true}
			}
			return LexBound{Excl: rapid.Bool().Draw(t, label+"excl"), Value: rapid.StringMatching(`[a-n]{0,3}`).Draw(t, label)}
		}
		r := LexRange{Min: bound("min"), Max: bound("max")}
		first, last := z.LexRank(r)
		wf, wl := want(func(m member) bool { return r.Contains(m.name) })
		if r.Empty() || wf > wl {
			if first <= last {
				t.Fatalf("LexRank(%+v) = %d, %d; want none", r, first, last)
			}
		} else if first != wf || last != wl {
			t.Fatalf("LexRank(%+v) = %d, %d; want %d, %d", r, first, last, wf, wl)
		}
		return
	}
	r := ScoreRange{Min: float64(rapid.IntRange(-6, 6).Draw(t, "min")), Max: float64(rapid.IntRange(-6, 6).Draw(t, "max")),
		MinEx: rapid.Bool().Draw(t, "minex"), MaxEx: rapid.Bool().Draw(t, "maxex")}
	first, last := z.ScoreRank(r)
	wf, wl := want(func(m member) bool { return r.Contains(m.score) })
	if wf > wl {
		if first <= last {
			t.Fatalf("ScoreRank(%+v) = %d, %d; want none", r, first, last)
		}
	} else if first != wf || last != wl {
		t.Fatalf("ScoreRank(%+v) = %d, %d; want %d, %d", r, first, last, wf, wl)
	}
}

// TestListReads checks the reads against a sorted copy after random adds, moves and removals,
// with tiny nodes (deep trees); with lex, every member has the same score, as lex ranges
// require, after members with other scores have come and gone.
func TestListReads(t *testing.T) {
	for _, lex := range []bool{false, true} {
		t.Run(fmt.Sprintf("lex=%v", lex), func(t *testing.T) {
			smallNodes(t, 4, 3)
			rapid.Check(t, func(t *rapid.T) {
				z := New()
				var names []string
				for k := range 40 {
					names = append(names, fmt.Sprintf("%c%c", 'a'+k%14, 'a'+k/14))
				}
				seq := uint64(0)
				ops := rapid.IntRange(1, 200).Draw(t, "ops")
				for k := range ops {
					seq++
					obs := crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq - 1}}
					name := []byte(rapid.SampledFrom(names).Draw(t, "name"))
					s := float64(rapid.IntRange(-5, 5).Draw(t, "score"))
					if lex && k >= ops/2 {
						s = 1
					}
					if rapid.IntRange(0, 3).Draw(t, "remove") == 0 {
						z.Remove(name, obs, nil)
					} else {
						z.Set(name, s, obs, clock.HLC(seq), nil)
					}
				}
				if lex { // the members still at another score leave
					for _, name := range names {
						if s, ok := z.Score(name); ok && s != 1 {
							seq++
							z.Remove([]byte(name), crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq - 1}}, nil)
						}
					}
				}
				if err := checkList(z); err != nil {
					t.Fatal(err)
				}
				for range 5 {
					checkReads(t, z, lex)
				}
			})
		})
	}
}

// TestWritten checks that Written gives, from one lookup, what Name and Totals give: for a
// member, a member with counters, a removed member whose counters are kept aside, and a name
// never written; and that a stored name is a copy, not the caller's buffer.
func TestWritten(t *testing.T) {
	z := New()
	arg := []byte("plain")
	z.Set(arg, 1, crdt.Observed{Self: clock.Dot{Member: 1, Seq: 1}}, 1, nil)
	arg[0] = 'X' // the caller's buffer is reused
	z.Contribute([]byte("counted"), 2, 5, 2.5)
	z.Contribute([]byte("gone"), 2, 6, 1)
	z.Remove([]byte("gone"), crdt.Observed{Self: clock.Dot{Member: 1, Seq: 2}, Deps: clock.Vector{0, 1, 6}}, z.Totals([]byte("gone")))
	z.Contribute([]byte("gone"), 2, 7, 3) // a contribution after the removal: counters kept
	z.Remove([]byte("gone"), crdt.Observed{Self: clock.Dot{Member: 1, Seq: 3}, Deps: clock.Vector{0, 2, 7}}, z.Totals([]byte("gone")))
	for _, name := range []string{"plain", "counted", "gone", "never", string(bytes.Repeat([]byte("long"), 30))} {
		if name == string(bytes.Repeat([]byte("long"), 30)) {
			z.Set([]byte(name), 3, crdt.Observed{Self: clock.Dot{Member: 1, Seq: 9}}, 9, nil)
		}
		stored, totals := z.Written([]byte(name))
		wantName, _ := z.Name([]byte(name))
		if !bytes.Equal(stored, wantName) || (stored == nil) != (wantName == nil) {
			t.Errorf("%q: stored %q, Name %q", name, stored, wantName)
		}
		if want := z.Totals([]byte(name)); !slices.Equal(totals, want) {
			t.Errorf("%q: totals %v, Totals %v", name, totals, want)
		}
	}
	if _, ok := z.Score("plain"); !ok {
		t.Fatal("the member's name changed with the caller's buffer")
	}
	if _, totals := z.Written([]byte("gone")); len(totals) == 0 {
		t.Error("gone: the kept-aside counters were not returned")
	}
	var nilSet *ZSet
	if stored, totals := nilSet.Written([]byte("x")); stored != nil || totals != nil {
		t.Error("nil set: not empty")
	}
}
