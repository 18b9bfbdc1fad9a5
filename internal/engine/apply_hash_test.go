package engine

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/ormap"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// The write paths below mirror what the command layer emits for HSET, HINCRBY/HINCRBYFLOAT,
// HDEL and FLUSHDB (DEL is member.del).

// hashState is key's map, live or not (for the totals a write carries).
func (m *member) hashState(key string) *ormap.Map {
	if ent := m.e.Store().DB(0).Get(key); ent != nil {
		if h, ok := ent.Value.(*ormap.Map); ok {
			return h
		}
	}
	return nil
}

// hashCreated is the creation stamp a hash write carries; ok is false when key holds another
// type (the command would answer WRONGTYPE).
func (m *member) hashCreated(key string) (clock.Stamp, bool) {
	ent := m.e.LookupWrite(0, key)
	if ent == nil {
		return m.e.Stamp(), true
	}
	return ent.Created, ent.Type() == crdt.TypeHash
}

func (m *member) hset(key string, fv ...string) {
	m.e.Lock()
	defer m.e.Unlock()
	created, ok := m.hashCreated(key)
	if !ok {
		return
	}
	op := effect.Op{Kind: effect.HashSet, Key: key, Created: created}
	state := m.hashState(key)
	for i := 0; i+1 < len(fv); i += 2 {
		op.Elems = append(op.Elems, []byte(fv[i]))
		op.Values = append(op.Values, []byte(fv[i+1]))
		var t []register.Total
		if state != nil {
			t = state.Totals([]byte(fv[i]))
		}
		op.ElemOffsets = append(op.ElemOffsets, t)
	}
	m.e.Emit(op)
}

func (m *member) hincr(key, field string, n int64, f *big.Rat) {
	m.e.Lock()
	defer m.e.Unlock()
	created, ok := m.hashCreated(key)
	if !ok {
		return
	}
	m.e.Emit(effect.Op{Kind: effect.HashAdd, Key: key, Created: created, Elems: [][]byte{[]byte(field)}, Int: n, Float: f})
}

func (m *member) hdel(key string, fields ...string) {
	m.e.Lock()
	defer m.e.Unlock()
	ent := m.e.LookupWrite(0, key)
	if ent == nil || ent.Type() != crdt.TypeHash {
		return
	}
	h := ent.Value.(*ormap.Map)
	op := effect.Op{Kind: effect.HashDelete, Key: key, Created: ent.Created}
	seen := map[string]bool{}
	for _, f := range fields {
		if !h.Has([]byte(f)) || seen[f] {
			continue
		}
		seen[f] = true
		op.Elems = append(op.Elems, []byte(f))
		op.ElemOffsets = append(op.ElemOffsets, h.Totals([]byte(f)))
	}
	switch {
	case len(op.Elems) == 0:
	case len(op.Elems) == h.Len():
		m.e.Emit(DeleteOp(0, ent))
	default:
		m.e.Emit(op)
	}
}

func (m *member) hflushdb() {
	m.e.Lock()
	defer m.e.Unlock()
	var ops []effect.Op
	m.e.Store().DB(0).Each(func(ent *store.Entry) bool {
		if op := DeleteOp(0, ent); HasRemovalContext(&op) {
			ops = append(ops, op)
		}
		return true
	})
	for _, op := range ops {
		m.e.Emit(op)
	}
	m.e.Emit(effect.Op{Kind: effect.Flush, DB: 0})
}

// hshow renders a key as the read commands see it: a string's value, or a hash's fields sorted,
// with the TTL.
func (m *member) hshow(key string) string {
	m.e.Lock()
	defer m.e.Unlock()
	ent := m.e.Lookup(0, key)
	if ent == nil {
		return "(nil)"
	}
	at, _ := ent.Expiry.At()
	switch v := ent.Value.(type) {
	case *register.Value:
		b, _ := v.Bytes()
		return fmt.Sprintf("string %q ttl=%d", b, at)
	case *ormap.Map:
		var fs []string
		v.Each(func(name string, val []byte) bool {
			fs = append(fs, fmt.Sprintf("%s=%s", name, val))
			return true
		})
		sort.Strings(fs)
		return fmt.Sprintf("hash{%s} ttl=%d", strings.Join(fs, " "), at)
	}
	return "?"
}

func TestHashTimelines(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	sync := func() { deliver(a, b); deliver(b, a) }
	both := func(key, want string) {
		t.Helper()
		if got, other := a.hshow(key), b.hshow(key); got != want || other != want {
			t.Fatalf("%s: a=%s b=%s, want %s", key, got, other, want)
		}
	}

	// Concurrent HSET of different fields: all kept.
	a.hset("h", "f1", "a")
	b.hset("h", "f2", "b")
	sync()
	both("h", "hash{f1=a f2=b} ttl=0")

	// HSET ∥ HSET of the same field: the later write wins.
	a.hset("h", "f1", "from-a")
	b.src.Millis += 5
	b.hset("h", "f1", "from-b")
	sync()
	both("h", "hash{f1=from-b f2=b} ttl=0")

	// HDEL ∥ HSET of the same field: the HSET's value.
	a.hdel("h", "f2")
	b.hset("h", "f2", "again")
	sync()
	both("h", "hash{f1=from-b f2=again} ttl=0")

	// HDEL ∥ HINCRBY: only the increment the remover had not seen.
	a.hincr("h", "c", 4, nil)
	sync()
	a.hdel("h", "c")
	b.hincr("h", "c", 3, nil)
	sync()
	both("h", "hash{c=3 f1=from-b f2=again} ttl=0")

	// HINCRBY ∥ HINCRBY: both; HINCRBYFLOAT adds up too.
	a.hincr("h", "c", 10, nil)
	b.hincr("h", "c", 0, big.NewRat(1, 2))
	sync()
	both("h", "hash{c=13.5 f1=from-b f2=again} ttl=0")

	// HSET ∥ HINCRBY: the increment is added to the winning value.
	a.hset("h", "n", "100")
	sync()
	a.hset("h", "n", "5")
	b.hincr("h", "n", 2, nil)
	sync()
	both("h", "hash{c=13.5 f1=from-b f2=again n=7} ttl=0")

	// DEL ∥ HSET f: the hash survives with only f (and no TTL: the DEL removed it).
	a.hset("d", "x", "1", "y", "2")
	a.expire("d", 5_000_000)
	sync()
	a.del("d")
	b.hset("d", "f", "new")
	sync()
	both("d", "hash{f=new} ttl=0")

	// DEL ∥ HINCRBY: only the unobserved increment.
	a.hincr("e", "c", 5, nil)
	a.hset("e", "s", "v")
	sync()
	a.del("e")
	b.hincr("e", "c", 2, nil)
	sync()
	both("e", "hash{c=2} ttl=0")

	// HDEL of every field, as DEL, takes the TTL with it: a later HSET makes a hash without one.
	a.hset("t", "f", "v")
	a.expire("t", 5_000_000)
	sync()
	a.hdel("t", "f")
	sync()
	both("t", "(nil)")
	b.hset("t", "g", "w")
	sync()
	both("t", "hash{g=w} ttl=0")

	// FLUSHDB ∥ HSET, HINCRBY: what the flusher had not seen survives.
	a.hincr("fl", "c", 9, nil)
	a.hset("fl", "old", "1")
	sync()
	a.hflushdb()
	b.hset("fl", "new", "2")
	b.hincr("fl", "c", 1, nil)
	sync()
	both("fl", "hash{c=1 new=2} ttl=0")

	// Type conflict: concurrent SET and HSET of a new key, the later write wins everywhere.
	a.set("x", "string")
	b.src.Millis += 10
	b.hset("x", "f", "hash")
	sync()
	both("x", "hash{f=hash} ttl=0")
	a.hincr("x", "c", 1, nil) // targets the hash: accepted
	b.src.Millis += 10
	a.src.Millis = b.src.Millis + 10
	a.set("y", "later")
	b.hset("y", "f", "earlier")
	sync()
	both("y", `string "later" ttl=0`)
}

// Random hash writes (and DEL, FLUSHDB, EXPIRE) on a few keys by three members with partial
// exchanges, then every batch applied to fresh replicas in random causal orders: all end equal.
// Strings are written to their own key: see TestTypeContestRecreation for why hashes and strings
// do not share keys here.
func TestHashAnyCausalOrderConverges(t *testing.T) {
	keys := []string{"h1", "h2", "s"}
	fields := []string{"a", "b", "c"}
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 11))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		for range 60 {
			m := ms[r.IntN(len(ms))]
			m.src.Millis += int64(r.IntN(3))
			k := keys[r.IntN(len(keys)-1)] // hash keys
			f := fields[r.IntN(len(fields))]
			switch r.IntN(12) {
			case 0, 1, 2:
				m.hset(k, f, fmt.Sprint(r.IntN(20)), fields[r.IntN(len(fields))], "x")
			case 3, 4:
				m.hincr(k, f, int64(r.IntN(11)-5), nil)
			case 5:
				m.hincr(k, f, 0, big.NewRat(int64(r.IntN(7)-3), 4))
			case 6, 7:
				m.hdel(k, f, fields[r.IntN(len(fields))])
			case 8:
				m.del(k)
			case 9:
				if r.IntN(4) == 0 {
					m.hflushdb()
				} else {
					m.set("s", fmt.Sprint(r.IntN(5)))
				}
			case 10:
				m.expire(k, 2_000_000+int64(r.IntN(3))*1000)
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
		for replica := range 4 {
			rep := replay(t, r, clock.MemberID(10+replica), all)
			got := map[string]string{}
			for _, k := range keys {
				got[k] = rep.hshow(k)
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
		// The members themselves, once they have everything, agree with the replicas.
		for _, m := range ms {
			for _, o := range ms {
				deliver(m, o, ms...)
			}
		}
		for i, m := range ms {
			for _, k := range keys {
				if got := m.hshow(k); got != want[k] {
					t.Fatalf("seed %d, key %s: member %d has %s, replicas %s", seed, k, i+1, got, want[k])
				}
			}
		}
	}
}

// TestTypeContestRecreation: a hash loses to a concurrent string, and a later, concurrent
// creation of a hash wins back. The write aimed at the first hash must be ignored in every
// causal order (it used to be kept when it arrived after the second hash; crdt/contest.go).
func TestTypeContestRecreation(t *testing.T) {
	a, b, c := newMember(1, true), newMember(2, true), newMember(3, true)
	a.hset("h", "x", "1") // created c1
	deliver(b, a)
	c.src.Millis += 5
	c.set("h", "s")       // concurrent, created c2 > c1
	b.hset("h", "y", "2") // targets the hash created at c1
	a.del("h")
	a.src.Millis += 10
	a.hset("h", "z", "3") // a new hash, created c3 > c2
	a1, a2, a3, b1, c1 := a.log[0], a.log[1], a.log[2], b.log[0], c.log[0]
	orders := [][]*effect.Effect{{a1, c1, b1, a2, a3}, {a1, b1, a2, a3, c1}}
	var results []string
	for i, order := range orders {
		rep := newMember(clock.MemberID(10+i), true)
		rep.e.Lock()
		for _, bt := range order {
			if err := rep.e.Apply(bt); err != nil {
				t.Fatal(err)
			}
		}
		rep.e.Unlock()
		results = append(results, rep.hshow("h"))
	}
	if results[0] != results[1] {
		t.Fatalf("orders disagree: %s vs %s", results[0], results[1])
	}
}
