package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/effect"
	"pgregory.net/rapid"
)

// conflicts lists m's logged conflicts, newest first, as "type rule key/elem winner>loser
// value", members only (times are checked separately).
func (m *member) conflicts() []string {
	m.e.Lock()
	defer m.e.Unlock()
	var out []string
	for _, c := range m.e.Conflicts(100, nil) {
		key := c.Key
		if c.Element != "" {
			key += "/" + c.Element
		}
		out = append(out, fmt.Sprintf("%s %s %s %d>%d %s", TypeName(c.Type), c.Rule, key,
			c.Winner.Dot.Member, c.Loser.Dot.Member, c.LoserValue))
	}
	return out
}

func wantConflicts(t *testing.T, name string, m *member, want ...string) {
	t.Helper()
	got := m.conflicts()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: conflicts\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestConflictsPerRule(t *testing.T) {
	tests := []struct {
		name   string
		write  func(a, b *member) // concurrent writes on a and b (b's clock is 1 ms ahead)
		before func(a *member)    // sequential writes on a, synced before write
		wantA  []string           // a's log after b's writes arrive
		wantB  []string           // b's log after a's writes arrive
	}{
		{
			name:  "SET ∥ SET: lww",
			write: func(a, b *member) { a.set("k", "va"); b.set("k", "vb") },
			wantA: []string{"string lww k 2>1 va"},
			wantB: []string{"string lww k 2>1 va"},
		},
		{
			name:   "sequential SET: no conflict",
			before: func(a *member) { a.set("k", "v1") },
			write:  func(a, b *member) { b.set("k", "v2") },
		},
		{
			name:   "DEL ∥ SET: add-wins where the DEL arrives second",
			before: func(a *member) { a.set("k", "v0") },
			write:  func(a, b *member) { a.set("k", "va"); b.del("k") },
			wantA:  []string{"string add-wins k 1>2 "},
		},
		{
			name:   "SREM ∥ SADD",
			before: func(a *member) { a.sadd("s", "x") },
			write:  func(a, b *member) { a.sadd("s", "x"); b.srem("s", "x") },
			wantA:  []string{"set add-wins s/x 1>2 "},
		},
		{
			name:  "HSET ∥ HSET of one field",
			write: func(a, b *member) { a.hset("h", "f", "va"); b.hset("h", "f", "vb") },
			wantA: []string{"hash lww h/f 2>1 va"},
			wantB: []string{"hash lww h/f 2>1 va"},
		},
		{
			name:  "HSET ∥ HSET of different fields: no conflict",
			write: func(a, b *member) { a.hset("h", "f", "va"); b.hset("h", "g", "vb") },
		},
		{
			name:   "HDEL ∥ HSET",
			before: func(a *member) { a.hset("h", "f", "v0", "g", "v0") },
			write:  func(a, b *member) { a.hset("h", "f", "va"); b.hdel("h", "f") },
			wantA:  []string{"hash add-wins h/f 1>2 "},
		},
		{
			name:  "ZADD ∥ ZADD",
			write: func(a, b *member) { a.zadd("z", 1.5, "m"); b.zadd("z", 2.5, "m") },
			wantA: []string{"zset lww z/m 2>1 1.5"},
			wantB: []string{"zset lww z/m 2>1 1.5"},
		},
		{
			name:   "ZREM ∥ ZINCRBY",
			before: func(a *member) { a.zadd("z", 4, "m"); a.zadd("z", 1, "n") },
			write:  func(a, b *member) { a.zincr("z", "m", 2); b.zrem("z", "m") },
			wantA:  []string{"zset add-wins z/m 1>2 "},
		},
		{
			name:   "DEL ∥ HSET: the key survives",
			before: func(a *member) { a.hset("h", "f", "v0") },
			write:  func(a, b *member) { a.hset("h", "g", "va"); b.del("h") },
			wantA:  []string{"hash add-wins h 0>2 "},
		},
		{
			name:  "SET ∥ SADD: type conflict",
			write: func(a, b *member) { a.sadd("k", "x"); b.set("k", "v") },
			wantA: []string{"string type-conflict k 2>1 set"},
			wantB: []string{"string type-conflict k 2>1 set"},
		},
		{
			name:   "EXPIRE ∥ EXPIRE",
			before: func(a *member) { a.set("k", "v") },
			write:  func(a, b *member) { a.expire("k", 5_000_000); b.expire("k", 2_000_000) },
			wantA:  []string{"string expiry k 1>2 2000000"},
			wantB:  []string{"string expiry k 1>2 2000000"},
		},
		{
			name:   "LSET ∥ LSET",
			before: func(a *member) { a.push("l", true, "x") },
			write:  func(a, b *member) { a.lset("l", 0, "va"); b.lset("l", 0, "vb") },
			wantB:  []string{"list lww l 2>1 va"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newMember(1, true), newMember(2, true)
			b.src.Millis++
			if tt.before != nil {
				tt.before(a)
				deliver(b, a)
			}
			tt.write(a, b)
			deliver(a, b)
			deliver(b, a)
			wantConflicts(t, "a", a, tt.wantA...)
			wantConflicts(t, "b", b, tt.wantB...)
		})
	}
}

func TestConflictLogBoundedAndCounted(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	var published int
	a.e.OnConflict = func(c *Conflict) {
		if c.Rule != crdt.RuleLWW || c.Key == "" {
			t.Errorf("published %+v", c)
		}
		published++
	}
	n := ConflictLogSize + 10
	for i := range n {
		key := fmt.Sprintf("k%d", i)
		a.set(key, "va")
		b.src.Millis++
		b.set(key, "vb")
	}
	deliver(a, b)
	a.e.Lock()
	all := a.e.Conflicts(n, nil)
	counts, total := a.e.ConflictCounts()
	one := a.e.Conflicts(5, func(k string) bool { return k == "k3" })
	a.e.Unlock()
	if len(all) != ConflictLogSize || all[0].Key != fmt.Sprintf("k%d", n-1) {
		t.Fatalf("log holds %d, newest %q", len(all), all[0].Key)
	}
	if total != uint64(n) || counts[crdt.TypeString][crdt.RuleLWW] != uint64(n) || published != n {
		t.Fatalf("total %d, string/lww %d, published %d; want %d", total, counts[crdt.TypeString][crdt.RuleLWW], published, n)
	}
	if len(one) != 0 { // k3 was dropped: the log keeps the newest ConflictLogSize
		t.Fatalf("k3 still logged: %+v", one)
	}
	c := all[0]
	if c.Winner.Dot.Member != 2 || c.Loser.Dot.Member != 1 || c.Winner.HLC <= c.Loser.HLC || string(c.LoserValue) != "va" || c.Time != 1_000_000 {
		t.Fatalf("newest conflict %+v", c)
	}
}

// TestNoConflictAllocations: applying a remote SET that overwrites what its origin saw records
// nothing and allocates no more than before conflict detection (the register reuses the key).
func TestConflictDetectionAllocatesNothing(t *testing.T) {
	e := New(Config{Member: 1, Databases: 1, Clock: &clock.Manual{Millis: 1}})
	op := effect.Op{Kind: effect.StringSet, Key: "k", Value: []byte("v")}
	e.Lock()
	e.Emit(op)
	e.Unlock()
	allocs := testing.AllocsPerRun(100, func() {
		e.Lock()
		e.Emit(op)
		e.Unlock()
	})
	if allocs != 0 {
		t.Fatalf("SET allocates %.1f", allocs)
	}
}

func BenchmarkSetOverwrite(b *testing.B) {
	e := New(Config{Member: 1, Databases: 1, Clock: &clock.Manual{Millis: 1}})
	op := effect.Op{Kind: effect.StringSet, Key: "k", Value: []byte("v")}
	b.ReportAllocs()
	for b.Loop() {
		e.Lock()
		e.Emit(op)
		e.Unlock()
	}
}

// BenchmarkApplyRemoteSet applies a peer's SETs of one key, each made after seeing the
// previous one: the no-conflict path of remote applies.
func BenchmarkApplyRemoteSet(b *testing.B) {
	e := New(Config{Member: 2, Databases: 1, Clock: &clock.Manual{Millis: 1}, KeepTombstones: true})
	batch := &effect.Effect{Origin: 1, Ops: []effect.Op{{Kind: effect.StringSet, Key: "k", Value: []byte("v")}}}
	b.ReportAllocs()
	seq := uint64(0)
	for b.Loop() {
		seq++
		batch.Seq, batch.HLC = seq, clock.NewHLC(1, 0)+clock.HLC(seq)
		e.Lock()
		if err := e.Apply(batch); err != nil {
			b.Fatal(err)
		}
		e.Unlock()
	}
}

// TestNoConflictWithoutConcurrency: when every write is delivered before the next one is made
// (whichever member makes it), nothing is concurrent and no member records a conflict, whatever
// the mix of types, removals, type changes and expiries.
func TestNoConflictWithoutConcurrency(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		a, b := newMember(1, true), newMember(2, true)
		ms := []*member{a, b}
		keys := []string{"k1", "k2"}
		for range rapid.IntRange(1, 40).Draw(rt, "n") {
			m := ms[rapid.IntRange(0, 1).Draw(rt, "member")]
			m.src.Millis += int64(rapid.IntRange(0, 2).Draw(rt, "tick"))
			key := rapid.SampledFrom(keys).Draw(rt, "key")
			v := rapid.SampledFrom([]string{"x", "y"}).Draw(rt, "v")
			m.e.Lock()
			typ := crdt.TypeNone
			if ent := m.e.LookupWrite(0, key); ent != nil {
				typ = ent.Type()
			}
			m.e.Unlock()
			switch op := rapid.IntRange(0, 5).Draw(rt, "op"); {
			case op == 0 && (typ == crdt.TypeNone || typ == crdt.TypeString):
				m.set(key, v)
			case op == 1 && (typ == crdt.TypeNone || typ == crdt.TypeSet):
				m.sadd(key, v)
			case op == 2 && typ == crdt.TypeSet:
				m.srem(key, v)
			case op == 3 && (typ == crdt.TypeNone || typ == crdt.TypeHash):
				m.hset(key, "f", v)
			case op == 4 && typ != crdt.TypeNone:
				m.expire(key, 5_000_000+int64(len(v)))
			default:
				m.del(key)
			}
			deliver(a, b)
			deliver(b, a)
		}
		for _, m := range ms {
			if got := m.conflicts(); len(got) != 0 {
				rt.Fatalf("member %d recorded conflicts of sequential writes: %v", m.e.Member(), got)
			}
		}
	})
}

func TestConflictLogOff(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	a.set("k", "va")
	b.set("k", "vb")
	a.e.SetConflictLog(false)
	deliver(a, b)
	if got := a.conflicts(); len(got) != 0 {
		t.Fatalf("recorded while off: %v", got)
	}
	a.e.SetConflictLog(true)
	deliver(b, a)
	if got := b.conflicts(); len(got) != 1 {
		t.Fatalf("b: %v", got)
	}
}
