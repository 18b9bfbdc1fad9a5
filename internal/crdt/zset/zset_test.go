package zset

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// ---- the order index against a sorted-slice model

type modelEntry struct {
	name  string
	score float64
}

func sortedModel(m map[string]float64) []modelEntry {
	out := make([]modelEntry, 0, len(m))
	for k, v := range m {
		out = append(out, modelEntry{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i].score, out[i].name, out[j].score, out[j].name) })
	return out
}

func TestIndexMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		z := New()
		model := map[string]float64{}
		seq := uint64(0)
		names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "aa", ""}
		for range rapid.IntRange(1, 200).Draw(t, "ops") {
			seq++
			obs := crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq - 1}}
			name := rapid.SampledFrom(names).Draw(t, "name")
			if rapid.IntRange(0, 3).Draw(t, "kind") == 0 {
				z.Remove([]byte(name), obs, nil)
				delete(model, name)
			} else {
				s := float64(rapid.IntRange(-3, 3).Draw(t, "score"))
				z.Set([]byte(name), s, obs, clock.HLC(seq), nil)
				model[name] = s
			}
			want := sortedModel(model)
			if z.Len() != len(want) {
				t.Fatalf("len %d, want %d", z.Len(), len(want))
			}
			for i, e := range want {
				n, s := z.At(i)
				if n != e.name || s != e.score {
					t.Fatalf("rank %d: %q %v, want %q %v", i, n, s, e.name, e.score)
				}
				r, _, ok := z.Rank([]byte(e.name))
				if !ok || r != i {
					t.Fatalf("Rank(%q) = %d, want %d", e.name, r, i)
				}
			}
			lo := float64(rapid.IntRange(-4, 4).Draw(t, "lo"))
			hi := float64(rapid.IntRange(-4, 4).Draw(t, "hi"))
			r := ScoreRange{Min: lo, Max: hi, MinEx: rapid.Bool().Draw(t, "minex"), MaxEx: rapid.Bool().Draw(t, "maxex")}
			first, last := z.ScoreRank(r)
			wf, wl := -1, -2
			for i, e := range want {
				if r.Contains(e.score) {
					if wf < 0 {
						wf = i
					}
					wl = i
				}
			}
			if wf >= 0 && (first != wf || last != wl) || wf < 0 && first <= last {
				t.Fatalf("ScoreRank(%+v) = %d,%d want %d,%d", r, first, last, wf, wl)
			}
			// Scan from 0 visits every member once when nothing changes.
			seen := map[string]int{}
			for cur := uint64(0); ; {
				cur = z.Scan(cur, 3, func(name string, _ float64) { seen[name]++ })
				if cur == 0 {
					break
				}
			}
			if len(seen) != len(want) {
				t.Fatalf("scan saw %d members, want %d", len(seen), len(want))
			}
		}
	})
}

func TestLexRank(t *testing.T) {
	z := New()
	for i, n := range []string{"a", "b", "c", "d", "e"} {
		z.Set([]byte(n), 0, crdt.Observed{Self: clock.Dot{Member: 1, Seq: uint64(i + 1)}}, 1, nil)
	}
	for _, tt := range []struct {
		r           LexRange
		first, last int
	}{
		{LexRange{LexBound{NegInf: true}, LexBound{PosInf: true}}, 0, 4},
		{LexRange{LexBound{Value: "b"}, LexBound{Value: "d", Excl: true}}, 1, 2},
		{LexRange{LexBound{Value: "b", Excl: true}, LexBound{PosInf: true}}, 2, 4},
		{LexRange{LexBound{Value: "zz"}, LexBound{PosInf: true}}, 5, 4},
	} {
		f, l := z.LexRank(tt.r)
		if f != tt.first || l != tt.last {
			t.Errorf("LexRank(%+v) = %d,%d want %d,%d", tt.r, f, l, tt.first, tt.last)
		}
	}
}

// ---- exact local arithmetic

func TestIncrTotalMatchesSequentialDoubles(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		z := New()
		var want float64
		exists := false
		seq := uint64(0)
		step := func() crdt.Observed {
			seq++
			return crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq - 1}}
		}
		vals := []float64{0.1, 0.2, 0.3, -0.7, 1e16, 3, 1e-300, 2.5e15, -1e16, 7.000000000000001}
		for range rapid.IntRange(1, 60).Draw(t, "ops") {
			switch rapid.IntRange(0, 5).Draw(t, "kind") {
			case 0:
				s := rapid.SampledFrom(vals).Draw(t, "set")
				obs := step()
				z.Set([]byte("x"), s, obs, clock.HLC(seq), z.Totals([]byte("x")))
				want, exists = s, true
			case 1:
				if exists {
					obs := step()
					z.Remove([]byte("x"), obs, z.Totals([]byte("x")))
					exists = false
				}
			default:
				incr := rapid.SampledFrom(vals).Draw(t, "incr")
				obs := step()
				total, target, ok := z.IncrTotal([]byte("x"), 1, obs.Self.Seq, incr)
				expect := incr
				if exists {
					expect = want + incr
				}
				if math.Float64bits(target) != math.Float64bits(expect) {
					t.Fatalf("target %v, want %v", target, expect)
				}
				if ok {
					z.Contribute([]byte("x"), 1, obs.Self.Seq, total)
				} else {
					z.Set([]byte("x"), target, obs, clock.HLC(seq), z.Totals([]byte("x")))
				}
				want, exists = expect, true
			}
			got, ok := z.Score("x")
			if ok != exists || exists && math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("score %v %v, want %v %v", got, ok, want, exists)
			}
		}
	})
}

// TestRedisIncrements is ZADD z 0.1 x, ZINCRBY z 0.2 x twice, as redis-server 7.0.15 prints
// them: 0.30000000000000004 then 0.5.
func TestRedisIncrements(t *testing.T) {
	z := New()
	z.Set([]byte("x"), 0.1, crdt.Observed{Self: clock.Dot{Member: 1, Seq: 1}}, 1, nil)
	for i, want := range []string{"0.30000000000000004", "0.5"} {
		seq := uint64(i + 2)
		total, target, ok := z.IncrTotal([]byte("x"), 1, seq, 0.2)
		if !ok {
			t.Fatal("no total")
		}
		z.Contribute([]byte("x"), 1, seq, total)
		s, _ := z.Score("x")
		if got := fmt.Sprint(s); got != want || s != target {
			t.Fatalf("step %d: %s, want %s", i, got, want)
		}
	}
}

// ---- convergence under any causal order

type simOp struct {
	origin clock.MemberID
	seq    uint64
	deps   clock.Vector
	hlc    clock.HLC
	kind   int // 0 Set, 1 Contribute, 2 Remove, 3 RemoveAll
	name   string
	score  float64
	offs   []Counter
	names  [][]byte
	allOff [][]Counter
}

type replica struct {
	id   clock.MemberID
	z    *ZSet
	vc   clock.Vector
	hlc  clock.HLC
	seen map[string]bool // ops applied, by dot
}

func (r *replica) apply(op *simOp) {
	obs := crdt.Observed{Self: clock.Dot{Member: op.origin, Seq: op.seq}, Deps: op.deps}
	switch op.kind {
	case 0:
		r.z.Set([]byte(op.name), op.score, obs, op.hlc, op.offs)
	case 1:
		r.z.Contribute([]byte(op.name), op.origin, op.seq, op.score)
	case 2:
		r.z.Remove([]byte(op.name), obs, op.offs)
	case 3:
		r.z.RemoveAll(obs, op.names, op.allOff)
	}
	r.vc = r.vc.Set(op.origin, op.seq)
	r.hlc = max(r.hlc, op.hlc)
	r.seen[fmt.Sprint(op.origin, ":", op.seq)] = true
}

func (r *replica) ready(op *simOp) bool {
	if op.seq != r.vc.Get(op.origin)+1 {
		return false
	}
	for m, s := range op.deps {
		if clock.MemberID(m) != op.origin && s > r.vc.Get(clock.MemberID(m)) {
			return false
		}
	}
	return true
}

var simNames = []string{"a", "b", "c", "d"}
var simScores = []float64{0, 1.1, 2.1, -3, 0.1, 0.2, 1e16, math.Inf(1)}

// local makes an operation on r as the command layer would, applies it and returns it.
func (r *replica) local(t *rapid.T) *simOp {
	seq := r.vc.Get(r.id) + 1
	r.hlc++
	op := &simOp{origin: r.id, seq: seq, deps: r.vc.Clone(), hlc: r.hlc}
	name := rapid.SampledFrom(simNames).Draw(t, "name")
	op.name = name
	switch k := rapid.IntRange(0, 9).Draw(t, "kind"); {
	case k < 3:
		op.kind, op.score, op.offs = 0, rapid.SampledFrom(simScores).Draw(t, "score"), r.z.Totals([]byte(name))
	case k < 7:
		incr := rapid.SampledFrom(simScores[:7]).Draw(t, "incr")
		total, target, ok := r.z.IncrTotal([]byte(name), r.id, seq, incr)
		if math.IsNaN(target) {
			return nil
		}
		if ok {
			op.kind, op.score = 1, total
		} else {
			op.kind, op.score, op.offs = 0, target, r.z.Totals([]byte(name))
		}
	case k < 9:
		if !r.z.Has([]byte(name)) {
			return nil
		}
		op.kind, op.offs = 2, r.z.Totals([]byte(name))
	default:
		op.kind = 3
		op.names, op.allOff = r.z.CounterTotals()
		op.names = slices.Clone(op.names)
	}
	r.apply(op)
	return op
}

func observable(z *ZSet) string {
	var b strings.Builder
	z.Each(func(name string, score float64) bool {
		fmt.Fprintf(&b, "%s=%v ", name, score)
		return true
	})
	return b.String()
}

// runHistory runs a random history on n replicas and returns them and every operation made.
func runHistory(t *rapid.T, n int) ([]*replica, []*simOp) {
	reps := make([]*replica, n)
	for i := range reps {
		reps[i] = &replica{id: clock.MemberID(i + 1), z: New(), seen: map[string]bool{}}
	}
	var log []*simOp
	for range rapid.IntRange(1, 40).Draw(t, "steps") {
		r := reps[rapid.IntRange(0, n-1).Draw(t, "replica")]
		if rapid.Bool().Draw(t, "deliver") {
			deliverSome(t, r, log)
			continue
		}
		if op := r.local(t); op != nil {
			log = append(log, op)
		}
	}
	return reps, log
}

// deliverSome applies to r up to a few ready operations it has not applied, picked at random.
func deliverSome(t *rapid.T, r *replica, log []*simOp) {
	for range rapid.IntRange(0, 3).Draw(t, "count") {
		var ready []*simOp
		for _, op := range log {
			if !r.seen[fmt.Sprint(op.origin, ":", op.seq)] && r.ready(op) {
				ready = append(ready, op)
			}
		}
		if len(ready) == 0 {
			return
		}
		r.apply(ready[rapid.IntRange(0, len(ready)-1).Draw(t, "pick")])
	}
}

func deliverAll(t *rapid.T, r *replica, log []*simOp) {
	for {
		var ready []*simOp
		for _, op := range log {
			if !r.seen[fmt.Sprint(op.origin, ":", op.seq)] && r.ready(op) {
				ready = append(ready, op)
			}
		}
		if len(ready) == 0 {
			return
		}
		r.apply(ready[rapid.IntRange(0, len(ready)-1).Draw(t, "pick")])
	}
}

func TestConvergesInAnyCausalOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, log := runHistory(t, 3)
		for _, r := range reps {
			deliverAll(t, r, log)
		}
		want := observable(reps[0].z)
		wantState := reps[0].z.AppendState(nil)
		for _, r := range reps[1:] {
			if got := observable(r.z); got != want {
				t.Fatalf("replica %d: %s\nreplica 1: %s", r.id, got, want)
			}
			if got := r.z.AppendState(nil); !bytes.Equal(got, wantState) {
				t.Fatalf("replica %d state differs", r.id)
			}
		}
	})
}

// ---- state merge

type snap struct {
	z  *ZSet
	vc clock.Vector
}

func merged(a, b snap) snap {
	z := a.z.Clone()
	z.Merge(b.z, a.vc, b.vc)
	return snap{z, a.vc.Clone().Merge(b.vc)}
}

func same(t *rapid.T, what string, a, b snap) {
	if !bytes.Equal(a.z.AppendState(nil), b.z.AppendState(nil)) {
		t.Fatalf("%s: states differ:\n%s\n%s", what, observable(a.z), observable(b.z))
	}
	if observable(a.z) != observable(b.z) {
		t.Fatalf("%s: observable states differ", what)
	}
}

func TestMergeLaws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, log := runHistory(t, 3)
		s := make([]snap, 3)
		for i, r := range reps {
			s[i] = snap{r.z, r.vc}
		}
		same(t, "commutative", merged(s[0], s[1]), merged(s[1], s[0]))
		same(t, "associative", merged(merged(s[0], s[1]), s[2]), merged(s[0], merged(s[1], s[2])))
		same(t, "idempotent", merged(s[0], s[0]), s[0])
		// Merging equals one replica that applied the union of both histories.
		u := &replica{id: 9, z: New(), seen: map[string]bool{}}
		for _, op := range log {
			_ = op
		}
		union := s[0].vc.Clone().Merge(s[1].vc)
		var sub []*simOp
		for _, op := range log {
			if union.Covers(clock.Dot{Member: op.origin, Seq: op.seq}) {
				sub = append(sub, op)
			}
		}
		deliverAll(t, u, sub)
		same(t, "union", merged(s[0], s[1]), snap{u.z, u.vc})
	})
}

func TestDecodeStateRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps, _ := runHistory(t, 2)
		for _, r := range reps {
			b := r.z.AppendState(nil)
			z, err := DecodeState(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !bytes.Equal(z.AppendState(nil), b) || observable(z) != observable(r.z) {
				t.Fatal("round trip differs")
			}
		}
	})
}

func FuzzDecodeState(f *testing.F) {
	z := New()
	z.Set([]byte("a"), 1.5, crdt.Observed{Self: clock.Dot{Member: 1, Seq: 1}}, 7, nil)
	z.Contribute([]byte("b"), 2, 3, 0.25)
	z.Remove([]byte("c"), crdt.Observed{Self: clock.Dot{Member: 1, Seq: 2}}, []Counter{{Member: 3, Seq: 4, Total: 2}})
	f.Add(z.AppendState(nil))
	f.Add([]byte{1, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		z, err := DecodeState(data)
		if err != nil {
			return
		}
		b := z.AppendState(nil)
		if !bytes.Equal(b, data) {
			t.Fatalf("accepted a non-canonical encoding")
		}
	})
}

// TestScanReturnsMembersPresentThroughout: members added and removed between the calls of an
// iteration never hide a member that was present for the whole of it.
func TestScanReturnsMembersPresentThroughout(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		z := New()
		seq := uint64(0)
		obs := func() crdt.Observed {
			seq++
			return crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq - 1}}
		}
		initial := rapid.IntRange(0, 300).Draw(t, "initial")
		for i := range initial {
			z.Set([]byte(fmt.Sprint("m", i)), float64(i%7), obs(), clock.HLC(seq), nil)
		}
		removed := map[string]bool{}
		seen := map[string]bool{}
		cursor := uint64(0)
		for {
			cursor = z.Scan(cursor, rapid.IntRange(1, 20).Draw(t, "count"), func(name string, _ float64) { seen[name] = true })
			if cursor == 0 {
				break
			}
			for range rapid.IntRange(0, 5).Draw(t, "changes") {
				name := fmt.Sprint("m", rapid.IntRange(0, 400).Draw(t, "member"))
				if rapid.Bool().Draw(t, "add") {
					if !z.Has([]byte(name)) {
						removed[name] = true // not present throughout
					}
					z.Set([]byte(name), 1, obs(), clock.HLC(seq), nil)
				} else if z.Has([]byte(name)) {
					z.Remove([]byte(name), obs(), nil)
					removed[name] = true
				}
			}
		}
		for i := range initial {
			if name := fmt.Sprint("m", i); !removed[name] && !seen[name] {
				t.Fatalf("%s present throughout but not returned", name)
			}
		}
	})
}
