package ormap

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
)

// ---- a small simulation of members exchanging batches of map operations ----

type opKind int

const (
	opSet opKind = iota
	opAdd
	opRemove
	opRemoveAll
)

type op struct {
	kind    opKind
	field   []byte
	val     []byte
	n       int64
	f       *big.Rat
	offsets []register.Total
	// opRemoveAll: the fields holding counters and their totals
	fields [][]byte
	totals [][]register.Total
}

type batch struct {
	obs crdt.Observed
	hlc clock.HLC
	ops []op
}

func (m *Map) apply(b *batch) {
	for _, o := range b.ops {
		switch o.kind {
		case opSet:
			m.Set(o.field, o.val, b.obs, b.hlc, o.offsets)
		case opAdd:
			m.Contribute(o.field, b.obs.Self.Member, b.obs.Self.Seq, o.n, o.f)
		case opRemove:
			m.Remove(o.field, b.obs, o.offsets)
		case opRemoveAll:
			m.RemoveAll(b.obs, o.fields, o.totals)
		}
	}
}

// content renders the fields and values sorted by name, and checks the map's own invariants.
func (m *Map) content() string {
	var lines []string
	m.Each(func(name string, val []byte) bool {
		lines = append(lines, fmt.Sprintf("%q=%q", name, val))
		return true
	})
	if len(m.index) != int(m.n) {
		panic("index and fields disagree")
	}
	full := 0
	for name, i := range m.index {
		if m.at(i).name != name {
			panic("index points to the wrong slot")
		}
		if m.at(i).reg != nil {
			full++
		}
		if _, dead := m.dead[name]; dead {
			panic("a live field is also dead")
		}
	}
	if full != m.full {
		panic("full count is wrong")
	}
	sort.Strings(lines)
	return strings.Join(lines, " ")
}

// model is the specification: every field is a register.Value, exactly like a string key.
type model map[string]*register.Value

func (md model) reg(f []byte) *register.Value {
	r := md[string(f)]
	if r == nil {
		r = &register.Value{}
		md[string(f)] = r
	}
	return r
}

func (md model) apply(b *batch) {
	for _, o := range b.ops {
		switch o.kind {
		case opSet:
			md.reg(o.field).Set(o.val, b.obs, b.hlc, o.offsets)
		case opAdd:
			md.reg(o.field).Contribute(b.obs.Self.Member, b.obs.Self.Seq, o.n, o.f)
		case opRemove:
			md.reg(o.field).Remove(b.obs, o.offsets)
		case opRemoveAll:
			for k, f := range o.fields {
				md.reg(f).Remove(b.obs, o.totals[k])
			}
			for _, r := range md {
				r.Remove(b.obs, nil)
			}
		}
	}
}

func (md model) content() string {
	var lines []string
	for name, r := range md {
		if v, ok := r.Bytes(); ok {
			lines = append(lines, fmt.Sprintf("%q=%q", name, v))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, " ")
}

// sim is a set of members, each with a replica, a vector clock and the batches it made.
type sim struct {
	maps    []*Map
	vc      []clock.Vector
	applied [][]*batch // per member, every batch applied, in order
	all     []*batch
	hlc     clock.HLC
}

func newSim(n int) *sim {
	s := &sim{maps: make([]*Map, n), vc: make([]clock.Vector, n), applied: make([][]*batch, n)}
	for i := range s.maps {
		s.maps[i] = New()
	}
	return s
}

// write makes member i (0-based) run ops built from its current state.
func (s *sim) write(i int, build func(m *Map) []op) {
	m := s.maps[i]
	id := clock.MemberID(i + 1)
	ops := build(m)
	if len(ops) == 0 {
		return
	}
	seq := s.vc[i].Get(id) + 1
	s.hlc++
	b := &batch{obs: crdt.Observed{Self: clock.Dot{Member: id, Seq: seq}, Deps: s.vc[i].Clone()}, hlc: s.hlc, ops: ops}
	s.vc[i] = s.vc[i].Set(id, seq)
	m.apply(b)
	s.applied[i] = append(s.applied[i], b)
	s.all = append(s.all, b)
}

// sync gives member to every batch member from has applied, in from's order (a causal order).
func (s *sim) sync(to, from int) {
	for _, b := range s.applied[from] {
		if s.vc[to].Covers(b.obs.Self) {
			continue
		}
		s.maps[to].apply(b)
		s.vc[to] = s.vc[to].Set(b.obs.Self.Member, b.obs.Self.Seq)
		s.applied[to] = append(s.applied[to], b)
	}
}

// causalShuffle returns the batches in a random order that respects causality.
func causalShuffle(all []*batch, r func(n int) int) []*batch {
	pending := slices.Clone(all)
	var out []*batch
	var vc clock.Vector
	for len(pending) > 0 {
		var ready []int
		for i, b := range pending {
			if b.obs.Self.Seq == vc.Get(b.obs.Self.Member)+1 && depsMet(b, vc) {
				ready = append(ready, i)
			}
		}
		k := ready[r(len(ready))]
		b := pending[k]
		out = append(out, b)
		vc = vc.Set(b.obs.Self.Member, b.obs.Self.Seq)
		pending = slices.Delete(pending, k, k+1)
	}
	return out
}

func depsMet(b *batch, vc clock.Vector) bool {
	for m, seq := range b.obs.Deps {
		if clock.MemberID(m) != b.obs.Self.Member && seq > vc.Get(clock.MemberID(m)) {
			return false
		}
	}
	return true
}

var (
	testFields = []string{"a", "b", "c", "d"}
	testValues = []string{"1", "2", "10", "x", "", "2.5"}
)

// randomOps draws the operations of one command from the member's state, as the command layer
// builds them: HSET carries the field's totals, HDEL only existing fields with their totals, DEL
// the totals of every field holding counters.
func randomOps(t *rapid.T, m *Map) []op {
	f := []byte(rapid.SampledFrom(testFields).Draw(t, "field"))
	switch rapid.IntRange(0, 9).Draw(t, "kind") {
	case 0, 1, 2:
		return []op{{kind: opSet, field: f, val: []byte(rapid.SampledFrom(testValues).Draw(t, "val")), offsets: m.Totals(f)}}
	case 3:
		g := []byte(rapid.SampledFrom(testFields).Draw(t, "field2"))
		return []op{
			{kind: opSet, field: f, val: []byte("s"), offsets: m.Totals(f)},
			{kind: opSet, field: g, val: []byte("t"), offsets: m.Totals(g)},
		}
	case 4, 5:
		return []op{{kind: opAdd, field: f, n: int64(rapid.IntRange(-5, 5).Draw(t, "n"))}}
	case 6:
		return []op{{kind: opAdd, field: f, f: big.NewRat(int64(rapid.IntRange(-3, 3).Draw(t, "num")), 4)}}
	case 7, 8:
		if !m.Has(f) {
			return nil
		}
		return []op{{kind: opRemove, field: f, offsets: m.Totals(f)}}
	default:
		if !m.Live() {
			return nil
		}
		fields, totals := m.CounterTotals()
		return []op{{kind: opRemoveAll, fields: fields, totals: totals}}
	}
}

// Operations of 2-3 members with random causal relations, applied in any causal order, give the
// same content, equal to the specification (one register per field), and every member ends
// equal after a full exchange.
func TestConvergesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 3).Draw(t, "members")
		s := newSim(n)
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for range steps {
			i := rapid.IntRange(0, n-1).Draw(t, "member")
			if rapid.IntRange(0, 4).Draw(t, "sync?") == 0 {
				s.sync(i, rapid.IntRange(0, n-1).Draw(t, "from"))
				continue
			}
			s.write(i, func(m *Map) []op { return randomOps(t, m) })
		}
		// Every member gets everything.
		for range 2 {
			for i := range n {
				for j := range n {
					s.sync(i, j)
				}
			}
		}
		want := s.maps[0].content()
		for i := 1; i < n; i++ {
			if got := s.maps[i].content(); got != want {
				t.Fatalf("member %d: %s, member 1: %s", i+1, got, want)
			}
		}
		md := model{}
		for _, b := range s.all {
			md.apply(b)
		}
		if got := md.content(); got != want {
			t.Fatalf("map %s, registers %s", want, got)
		}
		for k := range 3 {
			order := causalShuffle(s.all, func(n int) int { return rapid.IntRange(0, n-1).Draw(t, fmt.Sprint("pick", k)) })
			m := New()
			for _, b := range order {
				m.apply(b)
			}
			if got := m.content(); got != want {
				t.Fatalf("order %d: %s, want %s", k, got, want)
			}
		}
	})
}

// ---- unit tests ----

func obs(m clock.MemberID, seq uint64, deps ...uint64) crdt.Observed {
	var v clock.Vector
	for i, d := range deps {
		v = v.Set(clock.MemberID(i+1), d)
	}
	return crdt.Observed{Self: clock.Dot{Member: m, Seq: seq}, Deps: v}
}

func get(m *Map, f string) string {
	v, ok := m.Get([]byte(f))
	if !ok {
		return "(nil)"
	}
	return string(v)
}

func TestCompactAndPromoted(t *testing.T) {
	m := New()
	m.Set([]byte("f"), []byte("v1"), obs(1, 1), 10, nil)
	if m.at(0).reg != nil || m.full != 0 {
		t.Fatal("a plain write should be compact")
	}
	m.Set([]byte("f"), []byte("v2"), obs(1, 2), 11, nil) // saw v1: still compact
	if m.at(0).reg != nil || get(m, "f") != "v2" {
		t.Fatalf("overwrite: %q", get(m, "f"))
	}
	// A concurrent write from member 2 that did not see v2: both candidates are kept.
	m.Set([]byte("f"), []byte("w"), obs(2, 1), 5, nil)
	if m.at(0).reg == nil || m.full != 1 || get(m, "f") != "v2" {
		t.Fatalf("concurrent older write: %q", get(m, "f"))
	}
	// Member 2 removes what it saw (its own write only): v2 survives.
	m.Remove([]byte("f"), obs(2, 2), nil)
	if get(m, "f") != "v2" {
		t.Fatalf("remove of the concurrent candidate: %q", get(m, "f"))
	}
	// A removal that saw everything: gone, and dropped (no counters).
	m.Remove([]byte("f"), obs(1, 3, 2, 2), nil)
	if m.Live() || len(m.dead) != 0 || m.full != 0 {
		t.Fatal("removed field should be dropped")
	}
}

func TestCounterFieldSurvivesRemove(t *testing.T) {
	m := New()
	m.Contribute([]byte("c"), 1, 1, 4, nil)
	totals := m.Totals([]byte("c"))
	// Member 2 increments concurrently with member 1's HDEL (which saw the 4).
	m.Contribute([]byte("c"), 2, 1, 3, nil)
	m.Remove([]byte("c"), obs(1, 2), totals)
	if got := get(m, "c"); got != "3" {
		t.Fatalf("HDEL ∥ HINCRBY: %q", got)
	}
	// Member 2's removal, having seen everything, leaves a tombstone with the offsets.
	m.Remove([]byte("c"), obs(2, 2, 2), m.Totals([]byte("c")))
	if m.Live() || len(m.dead) == 0 {
		t.Fatal("the field should be dead but kept for its offsets")
	}
	// A later increment counts only itself.
	m.Contribute([]byte("c"), 1, 3, 5, nil)
	if got := get(m, "c"); got != "5" {
		t.Fatalf("after the tombstone: %q", got)
	}
}

func TestOrderKeptWhileSmall(t *testing.T) {
	m := New()
	for i := range 6 {
		m.Set([]byte{byte('a' + i)}, []byte("v"), obs(1, uint64(i+1)), clock.HLC(i), nil)
	}
	m.Remove([]byte("b"), obs(1, 7), nil)
	m.Remove([]byte("e"), obs(1, 8), nil)
	m.Set([]byte("b"), []byte("v"), obs(1, 9), 9, nil)
	var names []string
	m.Each(func(name string, _ []byte) bool { names = append(names, name); return true })
	if got := strings.Join(names, ""); got != "acdfb" {
		t.Fatalf("order: %s", got)
	}
}

// A SCAN iteration returns every field present throughout, however fields come and go.
func TestScanGuarantee(t *testing.T) {
	for _, size := range []int{50, 3000} { // ordered removals, then swap-removes
		r := rand.New(rand.NewPCG(uint64(size), 1))
		m := New()
		seq := uint64(0)
		set := func(f string) {
			seq++
			m.Set([]byte(f), []byte("v"), obs(1, seq), clock.HLC(seq), nil)
		}
		del := func(f string) {
			seq++
			m.Remove([]byte(f), obs(1, seq), nil)
		}
		for i := range size {
			set(fmt.Sprint("stable", i))
			set(fmt.Sprint("churn", i))
		}
		seen := map[string]bool{}
		cursor := uint64(0)
		for {
			cursor = m.Scan(cursor, 1+r.IntN(20), func(name string, _ []byte) { seen[name] = true })
			for range 5 {
				f := fmt.Sprint("churn", r.IntN(2*size))
				if r.IntN(2) == 0 {
					set(f)
				} else {
					del(f)
				}
			}
			if cursor == 0 {
				break
			}
		}
		for i := range size {
			if !seen[fmt.Sprint("stable", i)] {
				t.Fatalf("size %d: stable%d never returned", size, i)
			}
		}
	}
}

func TestEncodingBookkeeping(t *testing.T) {
	m := New()
	m.Set([]byte("f"), []byte("short"), obs(1, 1), 1, nil)
	m.Settle(2, 10)
	if m.Hashtable(2, 10) {
		t.Fatal("small hash should be a listpack")
	}
	m.Set([]byte("g"), []byte(strings.Repeat("x", 11)), obs(1, 2), 2, nil)
	if !m.Hashtable(2, 10) { // not settled yet: judged by the current limits
		t.Fatal("long value pending")
	}
	m.Settle(2, 20) // the limits when the write was made
	if m.Hashtable(2, 10) {
		t.Fatal("settled with a larger limit: still a listpack")
	}
	m.Set([]byte("h"), []byte("x"), obs(1, 3), 3, nil)
	m.Settle(2, 20)
	if !m.Hashtable(100, 100) {
		t.Fatal("three fields with entries 2: hashtable for good")
	}
	for i, f := range []string{"f", "g", "h"} {
		m.Remove([]byte(f), obs(1, uint64(4+i)), nil)
	}
	m.Set([]byte("f"), []byte("v"), obs(1, 7), 7, nil)
	m.Settle(2, 20)
	if m.Hashtable(2, 20) {
		t.Fatal("an emptied hash starts again as a listpack")
	}
}

func TestCounterTotalsAndRemoveAll(t *testing.T) {
	m := New()
	m.Set([]byte("s"), []byte("x"), obs(1, 1), 1, nil)
	m.Contribute([]byte("c"), 1, 2, 7, nil)
	fields, totals := m.CounterTotals()
	if len(fields) != 1 || string(fields[0]) != "c" || totals[0][0].Int != 7 {
		t.Fatalf("counter totals: %q %v", fields, totals)
	}
	// Concurrently, member 2 sets a new field and increments c.
	m.Set([]byte("n"), []byte("new"), obs(2, 1), 2, nil)
	m.Contribute([]byte("c"), 2, 2, 1, nil)
	m.RemoveAll(obs(1, 3), fields, totals)
	if got := m.content(); got != `"c"="1" "n"="new"` {
		t.Fatalf("DEL ∥ HSET, HINCRBY: %s", got)
	}
}

// ---- benchmarks ----

func names(n int) ([][]byte, [][]byte) {
	fs, vs := make([][]byte, n), make([][]byte, n)
	for i := range n {
		// a field and its value share one allocation, as HSET builds them
		f, v := fmt.Sprintf("field:%d", i), fmt.Sprintf("value:%d", i)
		buf := []byte(f + v)
		fs[i], vs[i] = buf[:len(f):len(f)], buf[len(f):]
	}
	return fs, vs
}

func BenchmarkSetNew(b *testing.B) {
	fs, vs := names(1 << 20)
	m := New()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i&(1<<20-1) == 0 && i > 0 {
			m = New()
		}
		k := i & (1<<20 - 1)
		m.Set(fs[k], vs[k], obs(1, uint64(i+1)), clock.HLC(i), nil)
	}
}

func BenchmarkSetExisting(b *testing.B) {
	fs, vs := names(1000)
	m := New()
	for i := range fs {
		m.Set(fs[i], vs[i], obs(1, uint64(i+1)), clock.HLC(i), nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		k := i % len(fs)
		m.Set(fs[k], vs[k], obs(1, uint64(len(fs)+i+1)), clock.HLC(i), nil)
	}
}

func BenchmarkGet(b *testing.B) {
	fs, vs := names(1 << 16)
	m := New()
	for i := range fs {
		m.Set(fs[i], vs[i], obs(1, uint64(i+1)), clock.HLC(i), nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, ok := m.Get(fs[i&(1<<16-1)]); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkContribute(b *testing.B) {
	m := New()
	f := []byte("counter")
	b.ReportAllocs()
	for i := range b.N {
		m.Contribute(f, 1, uint64(i+1), 1, nil)
	}
}

func BenchmarkRemoveAdd(b *testing.B) {
	fs, vs := names(1 << 16)
	m := New()
	seq := uint64(0)
	for i := range fs {
		seq++
		m.Set(fs[i], vs[i], obs(1, seq), clock.HLC(seq), nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		k := i & (1<<16 - 1)
		seq++
		m.Remove(fs[k], obs(1, seq), nil)
		seq++
		m.Set(fs[k], vs[k], obs(1, seq), clock.HLC(seq), nil)
	}
}
