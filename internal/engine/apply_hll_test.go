package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/hll"
	"github.com/concord-db/concord/internal/effect"
)

// The HyperLogLog write paths below mirror what the command layer (internal/command/
// hyperloglog.go) emits for PFADD and PFMERGE.

// pfadd is PFADD: it reports 1 when a register rose or the key was created, -1 on WRONGTYPE.
func (m *member) pfadd(key string, elems ...string) int {
	m.e.Lock()
	defer m.e.Unlock()
	ent := m.e.LookupWrite(0, key)
	if ent != nil && ent.Type() != crdt.TypeHLL {
		return -1
	}
	var bs [][]byte
	for _, e := range elems {
		bs = append(bs, []byte(e))
	}
	base, dense, created := &hll.Registers{}, false, m.e.Stamp()
	if ent != nil {
		v := ent.Value.(*hll.Value)
		base, dense, created = v.Registers(), v.Dense(), ent.Created
	}
	u, changed := hll.AddElements(base, dense, bs, 3000)
	if ent != nil && !changed {
		return 0
	}
	m.e.Emit(effect.Op{Kind: effect.HLLAdd, Key: key, Created: created, Value: u.Append(nil)})
	return 1
}

// pfmerge is PFMERGE dst srcs... on HyperLogLog keys.
func (m *member) pfmerge(dst string, srcs ...string) {
	m.e.Lock()
	defer m.e.Unlock()
	var union hll.Registers
	toDense := false
	for _, k := range append([]string{dst}, srcs...) {
		if ent := m.e.LookupWrite(0, k); ent != nil && ent.Type() == crdt.TypeHLL {
			v := ent.Value.(*hll.Value)
			union.MaxWith(v.Registers())
			toDense = toDense || v.Dense()
		}
	}
	ent := m.e.LookupWrite(0, dst)
	if ent != nil && ent.Type() != crdt.TypeHLL {
		return
	}
	base, dense, created := &hll.Registers{}, false, m.e.Stamp()
	if ent != nil {
		v := ent.Value.(*hll.Value)
		base, dense, created = v.Registers(), v.Dense(), ent.Created
	}
	u, changed := hll.MergeRegisters(base, dense, &union, toDense, 3000)
	if ent != nil && !changed && !u.Promote {
		return
	}
	m.e.Emit(effect.Op{Kind: effect.HLLAdd, Key: dst, Created: created, Value: u.Append(nil)})
}

// pfcount is PFCOUNT key, "(nil)" when the key does not exist, and the GET string's length.
func (m *member) pfcount(k string) string {
	m.e.Lock()
	defer m.e.Unlock()
	ent := m.e.Lookup(0, k)
	if ent == nil {
		return "(nil)"
	}
	if ent.Type() != crdt.TypeHLL {
		return "type " + ent.Type().Name()
	}
	v := ent.Value.(*hll.Value)
	return fmt.Sprintf("%d/%d", v.Count(), len(v.AppendRedis(nil)))
}

// The timelines of semantics.md §6 and hyperloglog.scn.
func TestHLLTimelines(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	sync := func() { deliver(a, b); deliver(b, a) }
	count := func(m *member, k string) string {
		s := m.pfcount(k)
		if s == "(nil)" {
			return "0"
		}
		return s[:bytes.IndexByte([]byte(s), '/')]
	}

	if a.pfadd("hll", "x") != 1 {
		t.Fatal("PFADD x")
	}
	sync()
	if b.pfadd("hll", "y") != 1 {
		t.Fatal("PFADD y")
	}
	sync()
	if count(a, "hll") != "2" || count(b, "hll") != "2" {
		t.Fatalf("sequential adds: %s %s", count(a, "hll"), count(b, "hll"))
	}

	// PFADD ∥ PFADD: union.
	if a.pfadd("h2", "x") != 1 || b.pfadd("h2", "y") != 1 {
		t.Fatal("concurrent PFADD")
	}
	if count(a, "h2") != "1" || count(b, "h2") != "1" {
		t.Fatal("before sync")
	}
	sync()
	if count(a, "h2") != "2" || count(b, "h2") != "2" {
		t.Fatalf("PFADD ∥ PFADD: %s %s", count(a, "h2"), count(b, "h2"))
	}

	// DEL ∥ PFADD: deletion wins, whichever arrives first.
	a.pfadd("h", "e1")
	sync()
	a.pfadd("h", "e2")
	b.del("h")
	if count(a, "h") != "2" || count(b, "h") != "0" {
		t.Fatal("before sync")
	}
	sync()
	if a.pfcount("h") != "(nil)" || b.pfcount("h") != "(nil)" {
		t.Fatalf("DEL ∥ PFADD: a=%s b=%s", a.pfcount("h"), b.pfcount("h"))
	}

	// A PFADD made after seeing the deletion survives it.
	b.pfadd("h", "e3")
	sync()
	if count(a, "h") != "1" || count(b, "h") != "1" {
		t.Fatalf("PFADD after DEL: %s %s", a.pfcount("h"), b.pfcount("h"))
	}

	// PFMERGE ∥ PFADD on the destination: union.
	a.pfadd("m", "1", "2")
	b.pfadd("src", "3", "4", "5")
	sync()
	a.pfmerge("m", "src")
	b.pfadd("m", "6")
	sync()
	if count(a, "m") != "6" || a.pfcount("m") != b.pfcount("m") {
		t.Fatalf("PFMERGE ∥ PFADD: %s %s", a.pfcount("m"), b.pfcount("m"))
	}
}

// Random PFADD / PFMERGE / DEL / EXPIRE / FLUSHALL on three members, with SET and SADD
// contesting the keys' type and garbage collection along the way, applied by fresh replicas in
// random causal orders, converge: equal counts, GET strings, states and remembered deletions;
// and the members themselves, once synced, agree with the replicas.
func TestHLLAnyCausalOrderConverges(t *testing.T) {
	keys := []string{"h1", "h2", "h3"}
	for seed := range uint64(hllSeeds) {
		r := rand.New(rand.NewPCG(seed, 11))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		for range 50 {
			m := ms[r.IntN(len(ms))]
			m.src.Millis += int64(r.IntN(3))
			k := keys[r.IntN(len(keys))]
			switch r.IntN(12) {
			case 0, 1, 2:
				var elems []string
				n := r.IntN(6)
				if r.IntN(15) == 0 {
					n = 4000 // dense
				}
				for range n {
					elems = append(elems, fmt.Sprint(r.IntN(100000)))
				}
				m.pfadd(k, elems...)
			case 3:
				m.pfmerge(k, keys[r.IntN(len(keys))])
			case 4:
				m.del(k)
			case 5:
				m.expire(k, 2_000_000+int64(r.IntN(3))*1000)
			case 6:
				m.set(k, fmt.Sprint(r.IntN(9)))
			case 7:
				if r.IntN(3) == 0 {
					m.sadd(k, "a")
				} else if r.IntN(3) == 0 {
					m.flushall()
				}
			case 8:
				if r.IntN(3) == 0 {
					collectAll(ms) // deletions forgotten while adds are still travelling
				}
			default:
				other := ms[r.IntN(len(ms))]
				if other != m {
					deliver(m, other, ms...)
				}
			}
		}
		var all []*effect.Effect
		for _, m := range ms {
			all = append(all, m.log...)
		}
		syncAll(ms)
		var want map[string]string
		for replica := range 3 {
			rep := replay(t, r, clock.MemberID(10+replica), all)
			got := map[string]string{}
			for _, k := range keys {
				got[k] = rep.pfcount(k) + " " + hllState(rep, k) + " " + envelope(rep, k)
			}
			if want == nil {
				want = got
				continue
			}
			for _, k := range keys {
				if got[k] != want[k] {
					t.Fatalf("seed %d: replica %d has %s=%s, replica 0 has %s", seed, replica, k, got[k], want[k])
				}
			}
		}
		// The members, which collected garbage along the way (tombstones included, so only
		// live values are compared), agree with the replays.
		for _, m := range ms {
			for _, k := range keys {
				got := m.pfcount(k)
				if got != "(nil)" && !strings.HasPrefix(got, "type ") {
					got += " " + hllState(m, k)
				}
				if w := want[k]; !strings.HasPrefix(w, got+" ") {
					t.Fatalf("seed %d: member %d has %s=%s, replays have %s", seed, m.e.Member(), k, got, w)
				}
			}
		}
	}
}

// collectAll runs garbage collection on every member with every member's vector clock.
func collectAll(ms []*member) {
	var ovcs []clock.Vector
	for _, m := range ms {
		m.e.Lock()
		ovcs = append(ovcs, m.e.Vector())
		m.e.Unlock()
	}
	for _, m := range ms {
		m.e.Lock()
		m.e.CollectGarbage(ovcs)
		m.e.Unlock()
	}
}

// hllSeeds is the number of seeds of the random tests; CONCORD_SEEDS raises it for a longer run.
var hllSeeds = seedCount(150)

// seedCount is n, or CONCORD_SEEDS when set.
func seedCount(n int) int {
	if s, err := strconv.Atoi(os.Getenv("CONCORD_SEEDS")); err == nil && s > 0 {
		return s
	}
	return n
}

// envelope is the key's remembered deletions and type-contest outcome, "-" when there is no
// key. (The contest record's vectors are bookkeeping that may differ between orders.)
func envelope(m *member, k string) string {
	m.e.Lock()
	defer m.e.Unlock()
	ent := m.e.Store().DB(0).Get(k)
	if ent == nil {
		return "-"
	}
	return fmt.Sprintf("dels %v created %v beaten %v", ent.Deletions(), ent.Created, ent.Beaten())
}

// hllState is the key's state encoding through the registered codec, checked to round-trip.
func hllState(m *member, k string) string {
	m.e.Lock()
	defer m.e.Unlock()
	ent := m.e.Store().DB(0).Get(k)
	if ent == nil || ent.Value == nil || ent.Value.Type() != crdt.TypeHLL {
		return "-"
	}
	codec := stateCodecs[crdt.TypeHLL]
	st := codec.Append(ent.Value, nil)
	back, err := codec.Decode(st)
	if err != nil || !bytes.Equal(codec.Append(back, nil), st) {
		panic(fmt.Sprintf("state round trip: %v %x", err, st))
	}
	return fmt.Sprintf("%x", st)
}

// Full resync (ExportState/MergeState): merging two members gives what applying everything
// gives, DEL-wins included.
func TestHLLStateMerge(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	a.pfadd("h", "e1")
	deliver(b, a)
	a.pfadd("h", "e2")
	b.del("h")
	a.pfadd("g", "x")
	b.pfadd("g", "y")
	vcB, stB := export(b)
	mergeInto(t, a, vcB, stB)
	if got := a.pfcount("h"); got != "(nil)" {
		t.Fatalf("DEL ∥ PFADD merged: the key must be gone, got %s", got)
	}
	if got := a.pfcount("g"); !strings.HasPrefix(got, "2/") {
		t.Fatalf("PFADD ∥ PFADD merged: %s", got)
	}
	// The deletion travelled with the merge: a PFADD made by b before seeing a's adds (here,
	// one b made concurrently with them) is discarded by a too.
	c := newMember(3, true)
	c.pfadd("h", "late") // concurrent with b's DEL
	deliver(a, c)
	if got := a.pfcount("h"); got != "(nil)" {
		t.Fatalf("PFADD concurrent with a merged DEL: %s", got)
	}
}

// DEL ∥ SET ∥ a later creation of the HyperLogLog elsewhere: the creation wins the type
// contest, and the DEL wins over the concurrent PFADD, whatever the order (the key, not the
// value, remembers the deletion: the SET replaces the deleted HyperLogLog in one order).
func TestHLLDeleteAcrossTypeContest(t *testing.T) {
	for _, setFirst := range []bool{true, false} {
		a, b, c := newMember(1, true), newMember(2, true), newMember(3, true)
		a.pfadd("h", "x")
		deliver(b, a)
		a.del("h")
		b.src.Millis += 5
		b.set("h", "s")
		c.src.Millis += 10
		c.pfadd("h", "y")
		rep := newMember(4, true)
		deliver(rep, a)
		if setFirst {
			deliver(rep, b, a, b)
			deliver(rep, c)
		} else {
			deliver(rep, c)
			deliver(rep, b, a, b)
		}
		if got := rep.pfcount("h"); got != "(nil)" {
			t.Fatalf("set first %v: %s", setFirst, got)
		}
	}
}

// A DEL that arrives while the key holds nothing or another type is remembered all the same:
// the key was a HyperLogLog for the deleting member.
func TestHLLDeleteWhileOtherType(t *testing.T) {
	for _, order := range []string{"del-set-add", "set-del-add", "add-set-del", "set-add-del", "add-del-set", "del-add-set"} {
		a, b, c := newMember(1, true), newMember(2, true), newMember(3, true)
		a.pfadd("h", "x")
		deliver(b, a)
		deliver(c, a)
		a.del("h") // DEL of the HyperLogLog
		b.src.Millis += 5
		b.del("h")
		b.set("h", "s") // the key is a string for b
		c.src.Millis += 10
		c.del("h")
		c.pfadd("h", "y") // a new HyperLogLog, later than the SET, concurrent with a's DEL
		for _, m := range []*member{a, b, c} {
			m.e.Lock()
			m.e.Commit()
			m.e.Unlock()
		}
		rep := newMember(4, true)
		for _, step := range strings.Split(order, "-") {
			switch step {
			case "del":
				deliver(rep, a)
			case "set":
				deliver(rep, b, a, b)
			case "add":
				deliver(rep, c, a, c)
			}
		}
		if got := rep.pfcount("h"); got != "(nil)" {
			t.Fatalf("%s: %s", order, got)
		}
	}
}

// FLUSHALL ∥ PFADD: the FLUSH wins over the PFADD on a key the flushing member saw as a
// HyperLogLog, and leaves a HyperLogLog it never saw alone (semantics.md §7), in every order.
func TestHLLFlushConcurrentAdd(t *testing.T) {
	for _, flushFirst := range []bool{true, false} {
		a, b := newMember(1, true), newMember(2, true)
		a.pfadd("seen", "x")
		deliver(b, a)
		a.flushall()
		b.pfadd("seen", "y")
		b.pfadd("fresh", "z")
		rep := newMember(3, true)
		if flushFirst {
			deliver(rep, a, a, b)
			deliver(rep, b, a, b)
		} else {
			deliver(rep, b, a, b)
			deliver(rep, a, a, b)
		}
		deliver(a, b)
		deliver(b, a)
		for _, m := range []*member{a, b, rep} {
			if got := m.pfcount("seen"); got != "(nil)" {
				t.Fatalf("flush first %v: member %d: seen=%s", flushFirst, m.e.Member(), got)
			}
			if got := m.pfcount("fresh"); !strings.HasPrefix(got, "1/") {
				t.Fatalf("flush first %v: member %d: fresh=%s", flushFirst, m.e.Member(), got)
			}
		}
	}
}

// The key forgets a deletion once tombstone collection's two-phase rule says no concurrent add
// can still arrive, and a key that never held a HyperLogLog never records one.
func TestHLLDeletionsCollected(t *testing.T) {
	ms := []*member{newMember(1, true), newMember(2, true)}
	a, b := ms[0], ms[1]
	a.pfadd("h", "x")
	a.set("s", "v")
	syncAll(ms)
	a.del("h")
	a.del("s")
	a.pfadd("h", "again") // live again, with the deletion remembered
	syncAll(ms)
	deletions := func(m *member, k string) int {
		m.e.Lock()
		defer m.e.Unlock()
		ent := m.e.Store().DB(0).Get(k)
		if ent == nil {
			return -1
		}
		return len(ent.Deletions())
	}
	if deletions(b, "h") != 1 || deletions(b, "s") > 0 {
		t.Fatalf("before collection: h %d s %d", deletions(b, "h"), deletions(b, "s"))
	}
	for range 3 {
		var ovcs []clock.Vector
		for _, m := range ms {
			m.e.Lock()
			ovcs = append(ovcs, m.e.Vector())
			m.e.Unlock()
		}
		for _, m := range ms {
			m.e.Lock()
			m.e.CollectGarbage(ovcs)
			m.e.Unlock()
		}
	}
	for _, m := range ms {
		if deletions(m, "h") != 0 {
			t.Fatalf("member %d still remembers the deletion", m.e.Member())
		}
		m.e.Lock()
		contested := m.e.Store().DB(0).Get("h").Contested()
		m.e.Unlock()
		if contested {
			t.Fatalf("member %d keeps a record for h", m.e.Member())
		}
		if !strings.HasPrefix(m.pfcount("h"), "1/") {
			t.Fatalf("member %d: %s", m.e.Member(), m.pfcount("h"))
		}
	}
}

// Collection keeps a deletion while an add concurrent with it may still arrive: a member that
// had seen the deletion but whose own concurrent PFADD is still travelling holds it back.
func TestHLLDeletionKeptWhileConcurrentAddInFlight(t *testing.T) {
	ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
	a, b, c := ms[0], ms[1], ms[2]
	a.pfadd("h", "x")
	syncAll(ms)
	a.del("h")
	c.pfadd("h", "y") // concurrent with the DEL; b receives it last
	deliver(b, a)
	deliver(c, a)
	collect := func() {
		var ovcs []clock.Vector
		for _, m := range ms {
			m.e.Lock()
			ovcs = append(ovcs, m.e.Vector())
			m.e.Unlock()
		}
		for _, m := range ms {
			m.e.Lock()
			m.e.CollectGarbage(ovcs)
			m.e.Unlock()
		}
	}
	for range 3 {
		collect()
	}
	b.e.Lock()
	ent := b.e.Store().DB(0).Get("h")
	kept := ent != nil && len(ent.Deletions()) == 1
	b.e.Unlock()
	if !kept {
		t.Fatal("b forgot the deletion while c's concurrent PFADD is in flight")
	}
	deliver(b, c)
	if got := b.pfcount("h"); got != "(nil)" {
		t.Fatalf("the concurrent PFADD survived on b: %s", got)
	}
	syncAll(ms)
	for range 3 {
		collect()
	}
	for _, m := range ms {
		if got := m.pfcount("h"); got != "(nil)" {
			t.Fatalf("member %d: %s", m.e.Member(), got)
		}
		m.e.Lock()
		ent := m.e.Store().DB(0).Get("h")
		m.e.Unlock()
		if ent != nil && len(ent.Deletions()) != 0 {
			t.Fatalf("member %d still remembers the deletion after collection", m.e.Member())
		}
	}
}

// The keys a FLUSH deletes for good travel in the operation (Elems) through the effect codec.
func TestHLLFlushThroughCodec(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	a.pfadd("h", "x")
	a.set("s", "v")
	deliver(b, a)
	a.flushall()
	b.pfadd("h", "y") // concurrent with the FLUSH
	last := a.log[len(a.log)-1]
	back, err := effect.Decode(effect.Encode(nil, last))
	if err != nil {
		t.Fatal(err)
	}
	op := back.Ops[len(back.Ops)-1]
	if op.Kind != effect.Flush || len(op.Elems) != 1 || !parseFlushWinners(op.Elems)[keyRef{0, "h"}] {
		t.Fatalf("flush operation %+v", op)
	}
	b.e.Lock()
	err = b.e.Apply(back)
	b.e.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if got := b.pfcount("h"); got != "(nil)" {
		t.Fatalf("PFADD concurrent with FLUSH survived: %s", got)
	}
}
