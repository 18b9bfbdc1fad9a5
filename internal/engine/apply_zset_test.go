package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/crdt/zset"
	"github.com/concord-db/concord/internal/effect"
)

// The write paths below mirror what the command layer emits for ZADD, ZINCRBY and ZREM (DEL is
// member.del, FLUSHDB member.hflushdb).

func (m *member) zsetState(key string) *zset.ZSet {
	if ent := m.e.Store().DB(0).Get(key); ent != nil {
		if z, ok := ent.Value.(*zset.ZSet); ok {
			return z
		}
	}
	return nil
}

// zsetCreated is the creation stamp a write carries; ok is false for another type.
func (m *member) zsetCreated(key string) (clock.Stamp, bool) {
	ent := m.e.LookupWrite(0, key)
	if ent == nil {
		return m.e.Stamp(), true
	}
	return ent.Created, ent.Type() == crdt.TypeZSet
}

func (m *member) zadd(key string, score float64, names ...string) {
	m.e.Lock()
	defer m.e.Unlock()
	created, ok := m.zsetCreated(key)
	if !ok {
		return
	}
	op := effect.Op{Kind: effect.ZsetSet, Key: key, Created: created}
	state := m.zsetState(key)
	for _, n := range names {
		op.Elems = append(op.Elems, []byte(n))
		op.Scores = append(op.Scores, score)
		op.ElemOffsets = append(op.ElemOffsets, zset.ToTotals(state.Totals([]byte(n))))
	}
	m.e.Emit(op)
}

func (m *member) zincr(key, name string, incr float64) {
	m.e.Lock()
	defer m.e.Unlock()
	created, ok := m.zsetCreated(key)
	if !ok {
		return
	}
	m.e.Stamp() // opens the batch: Seq is the one the contribution carries
	state := m.zsetState(key)
	total, target, ok := state.IncrTotal([]byte(name), m.e.Member(), m.e.Seq(), incr)
	if math.IsNaN(target) {
		return
	}
	if ok {
		m.e.Emit(effect.Op{Kind: effect.ZsetAdd, Key: key, Created: created, Elems: [][]byte{[]byte(name)}, Scores: []float64{total}})
		return
	}
	m.e.Emit(effect.Op{Kind: effect.ZsetSet, Key: key, Created: created, Elems: [][]byte{[]byte(name)},
		Scores: []float64{target}, ElemOffsets: [][]register.Total{zset.ToTotals(state.Totals([]byte(name)))}})
}

func (m *member) zrem(key string, names ...string) {
	m.e.Lock()
	defer m.e.Unlock()
	ent := m.e.LookupWrite(0, key)
	if ent == nil || ent.Type() != crdt.TypeZSet {
		return
	}
	z := ent.Value.(*zset.ZSet)
	op := effect.Op{Kind: effect.ZsetRemove, Key: key, Created: ent.Created}
	seen := map[string]bool{}
	for _, n := range names {
		if !z.Has([]byte(n)) || seen[n] {
			continue
		}
		seen[n] = true
		op.Elems = append(op.Elems, []byte(n))
		op.ElemOffsets = append(op.ElemOffsets, zset.ToTotals(z.Totals([]byte(n))))
	}
	switch {
	case len(op.Elems) == 0:
	case len(op.Elems) == z.Len():
		m.e.Emit(DeleteOp(0, ent))
	default:
		m.e.Emit(op)
	}
}

// zshow renders a sorted set as ZRANGE WITHSCORES would, with the TTL.
func (m *member) zshow(key string) string {
	m.e.Lock()
	defer m.e.Unlock()
	ent := m.e.Lookup(0, key)
	if ent == nil {
		return "(nil)"
	}
	z, ok := ent.Value.(*zset.ZSet)
	if !ok {
		return "other type"
	}
	var b strings.Builder
	z.Each(func(name string, score float64) bool {
		fmt.Fprintf(&b, "%s=%v ", name, score)
		return true
	})
	at, _ := ent.Expiry.At()
	return fmt.Sprintf("zset{%s} ttl=%d", strings.TrimSpace(b.String()), at)
}

func TestZsetTimelines(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	sync := func() { deliver(a, b); deliver(b, a) }
	both := func(key, want string) {
		t.Helper()
		if got, other := a.zshow(key), b.zshow(key); got != want || other != want {
			t.Fatalf("%s: a=%s b=%s, want %s", key, got, other, want)
		}
	}

	// ZADD x 1.1 ∥ ZADD x 2.1 (later) → 2.1.
	a.zadd("z", 1.1, "x")
	b.src.Millis += 5
	b.zadd("z", 2.1, "x")
	sync()
	both("z", "zset{x=2.1} ttl=0")

	// Exact tie → the smaller member id's score.
	a.src.Millis, b.src.Millis = 2_000_000, 2_000_000
	a.zadd("t", 1, "x")
	b.zadd("t", 2, "x")
	sync()
	both("t", "zset{x=1} ttl=0")

	// ZINCRBY 1 ∥ ZINCRBY 1 on 1.1 → 3.1.
	a.zadd("c", 1.1, "x")
	sync()
	a.zincr("c", "x", 1)
	b.zincr("c", "x", 1)
	sync()
	both("c", "zset{x=3.1} ttl=0")

	// ZREM x ∥ ZINCRBY 2 x on 4.1 → x present with 2.
	a.zadd("r", 4.1, "x", "other")
	sync()
	a.zrem("r", "x")
	b.zincr("r", "x", 2)
	sync()
	both("r", "zset{x=2 other=4.1} ttl=0")

	// ZREM x ∥ ZADD x → present (add wins); ZREM of a member never seen does nothing.
	a.zrem("r", "x")
	b.zadd("r", 9, "x")
	sync()
	both("r", "zset{other=4.1 x=9} ttl=0")

	// DEL ∥ ZADD e2 → only e2 (and no TTL).
	a.zadd("d", 1, "e1")
	a.expire("d", 5_000_000)
	sync()
	a.del("d")
	b.zadd("d", 2, "e2")
	sync()
	both("d", "zset{e2=2} ttl=0")

	// DEL ∥ ZINCRBY → only the unobserved increment.
	a.zincr("e", "x", 5)
	sync()
	a.del("e")
	b.zincr("e", "x", 2)
	sync()
	both("e", "zset{x=2} ttl=0")

	// ZADD ∥ ZINCRBY: the increment is added to the winning base.
	a.zadd("n", 100, "x")
	sync()
	a.zadd("n", 5, "x")
	b.zincr("n", "x", 2)
	sync()
	both("n", "zset{x=7} ttl=0")

	// FLUSHDB ∥ ZADD, ZINCRBY: what the flusher had not seen survives.
	a.zincr("fl", "c", 9)
	a.zadd("fl", 1, "old")
	sync()
	a.hflushdb()
	b.zadd("fl", 2, "new")
	b.zincr("fl", "c", 1)
	sync()
	both("fl", "zset{c=1 new=2} ttl=0")

	// Local arithmetic is Redis's: 0.1 + 0.2 + 0.2.
	a.zadd("f", 0.1, "x")
	a.zincr("f", "x", 0.2)
	a.zincr("f", "x", 0.2)
	sync()
	both("f", "zset{x=0.5} ttl=0")
}

// Random sorted-set writes by three members with partial exchanges, then every batch applied to
// fresh replicas in random causal orders: all end equal, and equal to the members once they
// have everything.
func TestZsetAnyCausalOrderConverges(t *testing.T) {
	keys := []string{"z1", "z2"}
	names := []string{"a", "b", "c"}
	scores := []float64{0, 1.5, -2, 0.1, 1e16, math.Inf(1)}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 17))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		for range 60 {
			m := ms[r.IntN(len(ms))]
			m.src.Millis += int64(r.IntN(3))
			k := keys[r.IntN(len(keys))]
			n := names[r.IntN(len(names))]
			switch r.IntN(10) {
			case 0, 1, 2:
				m.zadd(k, scores[r.IntN(len(scores))], n, names[r.IntN(len(names))])
			case 3, 4, 5:
				m.zincr(k, n, scores[r.IntN(len(scores)-1)])
			case 6:
				m.zrem(k, n, names[r.IntN(len(names))])
			case 7:
				if r.IntN(3) == 0 {
					m.hflushdb()
				} else {
					m.del(k)
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
		var want map[string]string
		for replica := range 3 {
			rep := replay(t, r, clock.MemberID(10+replica), all)
			got := map[string]string{}
			for _, k := range keys {
				got[k] = rep.zshow(k)
			}
			if want == nil {
				want = got
				continue
			}
			for _, k := range keys {
				if got[k] != want[k] {
					t.Fatalf("seed %d, key %s: replica %d has %s, replica 0 has %s", seed, k, replica, got[k], want[k])
				}
			}
		}
		for _, m := range ms {
			for _, o := range ms {
				deliver(m, o, ms...)
			}
		}
		for i, m := range ms {
			for _, k := range keys {
				if got := m.zshow(k); got != want[k] {
					t.Fatalf("seed %d, key %s: member %d has %s, replicas %s", seed, k, i+1, got, want[k])
				}
			}
		}
	}
}
