package zset

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// checkList verifies the skip list's invariants: every level is in (score, name) order, each
// link's copy of the next node's score is that node's score, spans add up to level-0 ranks, the
// backward links and the tail are right, and exactly the live members are linked.
func checkList(z *ZSet) error {
	l := &z.list
	rank := map[*node]int{}
	var prev *node
	i := 0
	for x := l.header.level[0].forward; x != nil; x = x.level[0].forward {
		i++
		rank[x] = i
		if x.backward != prev {
			return fmt.Errorf("%q: wrong backward link", x.name)
		}
		if prev != nil && !less(prev.score, prev.name, x.score, x.name) {
			return fmt.Errorf("%q after %q: out of order", x.name, prev.name)
		}
		if z.index[x.name] != x {
			return fmt.Errorf("%q: linked but not indexed", x.name)
		}
		prev = x
	}
	if l.tail != prev || l.length != i || z.n != i || len(z.index) != i {
		return fmt.Errorf("length %d, tail %v; walked %d, members %d, index %d", l.length, l.tail, i, z.n, len(z.index))
	}
	for lvl := 0; lvl < maxLevel; lvl++ {
		x, r := l.header, 0
		for x.level[lvl].forward != nil {
			lv := x.level[lvl]
			if lvl >= l.level {
				return fmt.Errorf("level %d is used above the list's level %d", lvl, l.level)
			}
			if lv.score != lv.forward.score && !(lv.score != lv.score && lv.forward.score != lv.forward.score) {
				return fmt.Errorf("level %d link to %q holds score %v, node has %v", lvl, lv.forward.name, lv.score, lv.forward.score)
			}
			if r+lv.span != rank[lv.forward] {
				return fmt.Errorf("level %d link to %q: span %d from rank %d, node rank %d", lvl, lv.forward.name, lv.span, r, rank[lv.forward])
			}
			r += lv.span
			x = lv.forward
		}
	}
	return nil
}

// TestSkiplistInvariants drives a set through every kind of write (bases, contributions,
// removals with and without offsets, whole-set removals) and checks the list after each.
func TestSkiplistInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		z := New()
		seq := uint64(0)
		names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "aa", ""}
		for range rapid.IntRange(1, 300).Draw(t, "ops") {
			seq++
			// Some writes come from member 2 without having seen member 1's latest writes, so
			// that members get several candidates (the extra form).
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
}

// TestSkiplistBig checks the invariants of a set large enough to use many levels, through
// score updates that keep or change the order.
func TestSkiplistBig(t *testing.T) {
	z := New()
	names := benchNames(5000)
	seq := uint64(0)
	for round := range 4 {
		for i, m := range names {
			seq++
			obs := crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq - 1}}
			s := float64((i * 7919 * (min(round, 2) + 1)) % 1000)
			if round == 3 {
				s += 0.25 // keeps the order of round 2: updates in place
			}
			z.Set(m, s, obs, clock.HLC(seq), nil)
		}
		if err := checkList(z); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	if z.list.level < 4 {
		t.Fatalf("level %d: too few levels to check", z.list.level)
	}
}
