package orset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

func obs(m clock.MemberID, seq uint64, deps ...uint64) crdt.Observed {
	o := crdt.Observed{Self: clock.Dot{Member: m, Seq: seq}}
	for i, s := range deps {
		o.Deps = o.Deps.Set(clock.MemberID(i+1), s)
	}
	return o
}

func members(s *Set) []string {
	var out []string
	s.Each(func(m string) bool { out = append(out, m); return true })
	sort.Strings(out)
	return out
}

func TestBasics(t *testing.T) {
	var s Set
	if s.Live() || s.Len() != 0 || s.Type() != crdt.TypeSet {
		t.Fatal("zero set")
	}
	if !s.Add("a", obs(1, 1)) || s.Add("a", obs(1, 2)) || !s.Add("b", obs(1, 2)) {
		t.Fatal("add reports")
	}
	if !s.Live() || s.Len() != 2 || !s.Contains("a") || !s.ContainsBytes([]byte("b")) || s.Contains("c") {
		t.Fatal("membership")
	}
	if got := s.Dots("a"); !slices.Equal(got, []clock.Dot{{Member: 1, Seq: 2}}) {
		t.Fatalf("re-add keeps one dot: %v", got)
	}
	if s.Remove("c", obs(1, 3)) || !s.Remove("a", obs(1, 3)) || s.Contains("a") || s.Len() != 1 {
		t.Fatal("remove")
	}
	s.RemoveAll(obs(1, 4))
	if s.Live() || s.Len() != 0 {
		t.Fatal("remove all")
	}
}

// The timelines of semantics.md §3, member by member.
func TestTimelines(t *testing.T) {
	t.Run("SREM x ∥ SADD x: present", func(t *testing.T) {
		for _, order := range [][2]int{{0, 1}, {1, 0}} {
			var s Set
			s.Add("x", obs(1, 1))
			ops := []func(){
				func() { s.Remove("x", obs(1, 2)) }, // A saw its own add
				func() { s.Add("x", obs(2, 1, 1)) }, // B saw A's add and re-adds
			}
			ops[order[0]]()
			ops[order[1]]()
			if !s.Contains("x") || !slices.Equal(s.Dots("x"), []clock.Dot{{Member: 2, Seq: 1}}) {
				t.Fatalf("order %v: %v", order, s.Dots("x"))
			}
		}
	})
	t.Run("SREM of an unseen member has no effect", func(t *testing.T) {
		var s Set
		s.Add("x", obs(2, 1))
		if s.Remove("x", obs(1, 1)) || !s.Contains("x") {
			t.Fatal("removed an unseen add")
		}
	})
	t.Run("DEL ∥ SADD e2: only e2", func(t *testing.T) {
		for _, first := range []bool{true, false} {
			var s Set
			s.Add("e1", obs(1, 1))
			del := func() { s.RemoveAll(obs(1, 2)) }
			add := func() { s.Add("e2", obs(2, 1, 1)) }
			if first {
				del()
				add()
			} else {
				add()
				del()
			}
			if got := members(&s); !slices.Equal(got, []string{"e2"}) {
				t.Fatalf("del first %v: %v", first, got)
			}
		}
	})
	t.Run("concurrent adds keep both dots until one removal sees both", func(t *testing.T) {
		var s Set
		s.Add("x", obs(1, 1))
		s.Add("x", obs(2, 1))
		s.Add("x", obs(3, 1))
		if len(s.Dots("x")) != 3 {
			t.Fatalf("dots %v", s.Dots("x"))
		}
		if s.Remove("x", obs(1, 2)) || len(s.Dots("x")) != 2 {
			t.Fatalf("partial removal: %v", s.Dots("x"))
		}
		if s.Remove("x", obs(2, 2, 0, 1)) || !slices.Equal(s.Dots("x"), []clock.Dot{{Member: 3, Seq: 1}}) {
			t.Fatalf("second partial removal: %v", s.Dots("x"))
		}
		s.Add("y", obs(2, 3))
		if !s.Remove("x", obs(3, 2)) || s.Contains("x") || s.more != nil {
			t.Fatal("last dot")
		}
		s.Add("z", obs(1, 3))
		s.Add("z", obs(2, 4))
		s.RemoveAll(obs(3, 3, 3))
		if got := members(&s); !slices.Equal(got, []string{"y", "z"}) || len(s.Dots("z")) != 1 {
			t.Fatalf("remove all with extra dots: %v %v", got, s.Dots("z"))
		}
	})
}

// SCAN returns every member present for the whole iteration, while members are added and
// removed between calls.
func TestScanGuarantee(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var s Set
		seq := uint64(0)
		add := func(m string) { seq++; s.Add(m, obs(1, seq)) }
		rem := func(m string) { seq++; s.Remove(m, obs(1, seq)) }
		n := r.IntN(100)
		for i := range n {
			add(fmt.Sprint("m", i))
		}
		stable := map[string]bool{}
		for i := range n {
			stable[fmt.Sprint("m", i)] = true
		}
		seen := map[string]bool{}
		cursor := uint64(0)
		for steps := 0; ; steps++ {
			cursor = s.Scan(cursor, 1+r.IntN(10), func(m string) { seen[m] = true })
			if cursor == 0 {
				break
			}
			for range r.IntN(4) {
				if r.IntN(2) == 0 {
					add(fmt.Sprint("new", r.IntN(1000)))
				} else if n > 0 {
					m := fmt.Sprint("m", r.IntN(n))
					delete(stable, m)
					rem(m)
				}
			}
			if steps > 10000 {
				t.Fatal("scan does not terminate")
			}
		}
		for m := range stable {
			if !seen[m] {
				t.Fatalf("round %d: %s present throughout but not returned", round, m)
			}
		}
	}
}

func TestShrink(t *testing.T) {
	var s Set
	for i := range 5000 {
		s.Add(fmt.Sprint(i), obs(1, uint64(i+1)))
	}
	for i := range 4990 {
		s.Remove(fmt.Sprint(i), obs(1, 6000))
	}
	if s.Len() != 10 || len(s.chunks) != 1 || cap(s.chunks[0]) > 64 || s.peak > 1000 {
		t.Fatalf("len %d chunks %d cap %d peak %d", s.Len(), len(s.chunks), cap(s.chunks[0]), s.peak)
	}
	for i := 4990; i < 5000; i++ {
		if !s.Contains(fmt.Sprint(i)) || s.At(int(s.index[fmt.Sprint(i)])) != fmt.Sprint(i) {
			t.Fatalf("lost %d", i)
		}
	}
}

// ---- property test: any causal order converges to the reference semantics

type opKind int

const (
	opAdd opKind = iota
	opRemove
	opRemoveAll
)

type op struct {
	kind opKind
	elem string
	obs  crdt.Observed
}

func (o op) apply(s *Set) {
	switch o.kind {
	case opAdd:
		s.Add(o.elem, o.obs)
	case opRemove:
		s.Remove(o.elem, o.obs)
	default:
		s.RemoveAll(o.obs)
	}
}

// reference is the specification: an add's dot survives unless another operation on its member
// (add, remove, remove-all) observed it.
func reference(ops []op) map[string][]clock.Dot {
	out := map[string][]clock.Dot{}
	for i, a := range ops {
		if a.kind != opAdd {
			continue
		}
		alive := true
		for j, o := range ops {
			if i != j && (o.kind == opRemoveAll || o.elem == a.elem) && o.obs.Covers(a.obs.Self) {
				alive = false
				break
			}
		}
		if alive {
			out[a.elem] = append(out[a.elem], a.obs.Self)
		}
	}
	return out
}

func state(s *Set) map[string][]clock.Dot {
	out := map[string][]clock.Dot{}
	s.Each(func(m string) bool {
		ds := slices.Clone(s.Dots(m))
		out[m] = ds
		return true
	})
	return out
}

func sameState(a, b map[string][]clock.Dot) bool {
	if len(a) != len(b) {
		return false
	}
	for m, da := range a {
		db, ok := b[m]
		if !ok || len(da) != len(db) {
			return false
		}
		x, y := slices.Clone(da), slices.Clone(db)
		cmp := func(p, q clock.Dot) int {
			if p.Member != q.Member {
				return int(p.Member) - int(q.Member)
			}
			return int(p.Seq) - int(q.Seq)
		}
		slices.SortFunc(x, cmp)
		slices.SortFunc(y, cmp)
		if !slices.Equal(x, y) {
			return false
		}
	}
	return true
}

func TestConvergesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nMembers := rapid.IntRange(2, 3).Draw(t, "members")
		elems := []string{"x", "y", "z"}
		type replica struct {
			set     Set
			vc      clock.Vector
			applied []int // indexes into ops, in apply order
		}
		reps := make([]*replica, nMembers+1)
		for m := 1; m <= nMembers; m++ {
			reps[m] = &replica{}
		}
		var ops []op
		steps := rapid.IntRange(1, 30).Draw(t, "steps")
		for range steps {
			m := clock.MemberID(rapid.IntRange(1, nMembers).Draw(t, "member"))
			r := reps[m]
			switch rapid.IntRange(0, 5).Draw(t, "action") {
			case 0, 1, 2, 3:
				kind := opAdd
				switch rapid.IntRange(0, 4).Draw(t, "kind") {
				case 3:
					kind = opRemove
				case 4:
					kind = opRemoveAll
				}
				seq := r.vc.Get(m) + 1
				o := op{kind: kind, elem: rapid.SampledFrom(elems).Draw(t, "elem"),
					obs: crdt.Observed{Self: clock.Dot{Member: m, Seq: seq}, Deps: r.vc.Clone()}}
				r.vc = r.vc.Set(m, seq)
				ops = append(ops, o)
				r.applied = append(r.applied, len(ops)-1)
				o.apply(&r.set)
			default: // m receives what another member has applied, in that member's order
				from := reps[rapid.IntRange(1, nMembers).Draw(t, "from")]
				for _, i := range from.applied {
					d := ops[i].obs.Self
					if r.vc.Covers(d) {
						continue
					}
					r.vc = r.vc.Set(d.Member, d.Seq)
					r.applied = append(r.applied, i)
					ops[i].apply(&r.set)
				}
			}
		}
		want := reference(ops)
		// Every member's state matches the reference for what it applied.
		for m := 1; m <= nMembers; m++ {
			var seen []op
			for _, i := range reps[m].applied {
				seen = append(seen, ops[i])
			}
			if got := state(&reps[m].set); !sameState(got, reference(seen)) {
				t.Fatalf("member %d: %v, reference %v", m, got, reference(seen))
			}
		}
		// Fresh replicas applying everything in random causal orders reach the reference.
		for range 3 {
			order := causalShuffle(t, ops)
			var s Set
			for _, i := range order {
				ops[i].apply(&s)
			}
			if got := state(&s); !sameState(got, want) {
				t.Fatalf("order %v: %v, reference %v", order, got, want)
			}
		}
	})
}

// causalShuffle draws an order of ops in which every op comes after the ops it observed.
func causalShuffle(t *rapid.T, ops []op) []int {
	pending := make([]int, len(ops))
	for i := range pending {
		pending[i] = i
	}
	var order []int
	done := map[int]bool{}
	for len(pending) > 0 {
		var ready []int
		for k, i := range pending {
			ok := true
			for j := range ops {
				if j != i && !done[j] && ops[i].obs.Covers(ops[j].obs.Self) {
					ok = false
					break
				}
			}
			if ok {
				ready = append(ready, k)
			}
		}
		k := rapid.SampledFrom(ready).Draw(t, "next")
		i := pending[k]
		done[i] = true
		order = append(order, i)
		pending = append(pending[:k], pending[k+1:]...)
	}
	return order
}

// Random adds and removals across chunk boundaries keep the slots, the index and the extra dots
// consistent with a plain map model.
func TestAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var s Set
	model := map[string]bool{}
	seq := uint64(0)
	for step := range 200_000 {
		// Phases that grow to several chunks and shrink back to nothing.
		grow := (step/20_000)%2 == 0
		m := strconv.Itoa(r.IntN(3000))
		seq++
		switch {
		case r.IntN(100) < 60 == grow:
			if r.IntN(10) == 0 { // a concurrent add from another member: an extra dot
				s.Add(m, crdt.Observed{Self: clock.Dot{Member: 2, Seq: seq}})
			} else {
				s.Add(m, obs(1, seq))
			}
			model[m] = true
		default:
			// Sees everything: both members' dots up to seq.
			s.Remove(m, crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq, seq}})
			delete(model, m)
		}
		if step%997 == 0 || step == 199_999 {
			checkModel(t, &s, model)
		}
	}
	s.RemoveAll(crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq + 1}, Deps: clock.Vector{0, seq, seq}})
	if s.Len() != 0 || s.Live() || s.index != nil || s.chunks != nil || s.more != nil {
		t.Fatal("not empty after removing everything")
	}
}

func checkModel(t *testing.T, s *Set, model map[string]bool) {
	t.Helper()
	if s.Len() != len(model) || len(s.index) != len(model) {
		t.Fatalf("len %d index %d model %d", s.Len(), len(s.index), len(model))
	}
	for m := range model {
		i, ok := s.index[m]
		if !ok || s.At(int(i)) != m {
			t.Fatalf("%s: slot %d ok %v", m, i, ok)
		}
	}
	for m, ds := range s.more {
		if e := s.slot(int(s.index[m])); !e.multi || len(ds) == 0 {
			t.Fatalf("%s: stale extra dots %v", m, ds)
		}
	}
	n := 0
	if s.Scan(0, s.Len()+1, func(string) { n++ }) != 0 || n != s.Len() {
		t.Fatalf("scan visited %d of %d", n, s.Len())
	}
	used := (s.n + chunkMask) >> chunkBits
	if len(s.chunks) > used+1 {
		t.Fatalf("%d chunks for %d members", len(s.chunks), s.n)
	}
}
